import Testing
import MoegcIR

struct OpCodeHashTests {
    @Test func dictionaryFindsEveryOp() {
        var d: [OpCode: Int] = [:]
        for (i, c) in OpCode.allCases.enumerated() { d[c] = i }
        for (i, c) in OpCode.allCases.enumerated() {
            #expect(d[c] == i, "\(c) ordinal \(c.ordinal)")
            #expect(OpCode(rawValue: c.rawValue) == c)
        }
    }
}
