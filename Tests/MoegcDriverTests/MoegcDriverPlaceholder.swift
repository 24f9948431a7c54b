import Testing
@testable import MoegcDriver

@Test func placeholder() { }
