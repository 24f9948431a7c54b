import Testing
@testable import MoegcKernels

@Test func placeholder() { }
