import Testing
@testable import MoegcIR

@Test func placeholder() { }
