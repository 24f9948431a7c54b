import Testing
@testable import MoegcNN

@Test func placeholder() { }
