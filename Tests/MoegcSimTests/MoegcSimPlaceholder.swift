import Testing
@testable import MoegcSim

@Test func placeholder() { }
