import MoegcIR
import MoegcPasses
import MoegcSupport
import Testing

/// Malformed inputs: each gives its message at the expected line:col, and nothing crashes.
struct DiagnosticsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        /// `line:col: error: ` followed by a prefix of the message.
        var expected: String
        var testDescription: String { name }
    }

    static let header = "graph g [batch = 2] (%x: f32[batch, 8]) -> (%y) {\n"

    static func body(_ lines: String) -> String { header + lines + "\n}\n" }

    static let cases: [Case] = [
        Case(name: "unknown op", text: body("  %y = mo(%x)"), expected: "2:8: error: unknown op 'mo'; did you mean 'moe'?"),
        Case(name: "unknown op far from any", text: body("  %y = frobnicate(%x)"), expected: "2:8: error: unknown op 'frobnicate'"),
        Case(name: "undefined value", text: body("  %y = relu(%z)"), expected: "2:13: error: use of undefined value '%z'"),
        Case(name: "undefined output", text: "graph g (%x: f32[2]) -> (%q) {\n  %y = relu(%x)\n}\n",
             expected: "1:26: error: graph output '%q' is never defined"),
        Case(name: "duplicate value", text: body("  %y = relu(%x)\n  %y = neg(%x)"), expected: "3:3: error: value '%y' is defined twice (first at 2:3)"),
        Case(name: "duplicate of an input", text: body("  %x = relu(%x)\n  %y = neg(%x)"), expected: "2:3: error: value '%x' is defined twice"),
        Case(name: "wrong arity", text: body("  %y = add(%x)"), expected: "2:8: error: 'add' takes 2 operands, got 1"),
        Case(name: "too many operands", text: body("  %y = relu(%x, %x)"), expected: "2:8: error: 'relu' takes 1 operand, got 2"),
        Case(name: "wrong result count", text: body("  %y, %w = relu(%x)"), expected: "2:12: error: 'relu' defines 1 result, got 2"),
        Case(name: "unknown attribute", text: body("  %y = dense(%x) {units = 4, colour = 1}"),
             expected: "2:30: error: unknown attribute 'colour' for 'dense'"),
        Case(name: "attribute of wrong kind", text: body("  %y = dense(%x) {units = \"four\"}"),
             expected: "2:19: error: attribute 'units' must be an integer, got a string"),
        Case(name: "attribute out of range", text: body("  %y = dense(%x) {units = 0}"),
             expected: "2:19: error: attribute 'units' must be ≥ 1, got 0"),
        Case(name: "enum attribute with unknown case", text: body("  %y, %a, %b = moe(%x) {experts = 4, k = 2, hidden = 8, gating = noisy}"),
             expected: "2:57: error: attribute 'gating' must be one of noisy_topk, softmax, got 'noisy'"),
        Case(name: "missing required attribute", text: body("  %y = dense(%x)"),
             expected: "2:8: error: 'dense' needs attribute 'units'"),
        Case(name: "attribute given twice", text: body("  %y = dense(%x) {units = 4, units = 5}"),
             expected: "2:30: error: attribute 'units' is given twice"),
        Case(name: "cross-attribute check", text: body("  %y, %a, %b = moe(%x) {experts = 4, k = 5, hidden = 8}"),
             expected: "2:3: error: 'k' (5) must not exceed 'experts' (4)"),
        Case(name: "cycle", text: "graph g (%x: f32[2]) -> (%b) {\n  %a = add(%x, %b)\n  %b = relu(%a)\n}\n",
             expected: "2:3: error: cycle in the dataflow graph: %a -> %b -> %a"),
        Case(name: "self loop", text: "graph g (%x: f32[2]) -> (%a) {\n  %a = add(%x, %a)\n}\n",
             expected: "2:3: error: cycle in the dataflow graph: %a -> %a"),
        Case(name: "shape mismatch in matmul", text: body("  %w = param() {init = zeros} : f32[4, 3]\n  %y = matmul(%x, %w)"),
             expected: "3:3: error: 'matmul' contracts f32[batch, 8] with f32[4, 3]: inner dimensions 8 and 4 differ"),
        Case(name: "written type disagrees", text: body("  %y = relu(%x) : f32[batch, 9]"),
             expected: "2:3: error: type f32[batch, 9] written for %y does not match f32[batch, 8] inferred from the operands"),
        Case(name: "broadcast failure", text: body("  %w = param() {init = ones} : f32[3]\n  %y = add(%x, %w)"),
             expected: "3:3: error: cannot broadcast f32[batch, 8] with f32[3]"),
        Case(name: "param without type", text: body("  %y = param() {init = zeros}"),
             expected: "2:8: error: 'param' needs its result types written"),
        Case(name: "truncated file", text: header + "  %y = relu(%x)\n",
             expected: "3:1: error: expected '}' to close graph 'g' (opened at 1:49), found the end of the file"),
        Case(name: "truncated statement", text: header + "  %y = relu(",
             expected: "2:13: error: expected a value (%name) as an operand, found the end of the file"),
        Case(name: "empty file", text: "", expected: "1:1: error: the file is empty"),
        Case(name: "only comments", text: "# nothing here\n", expected: "2:1: error: the file is empty"),
        Case(name: "not a graph", text: "model g () -> () {}\n", expected: "1:1: error: expected 'graph', found 'model'"),
        Case(name: "dimension overflows Int", text: "graph g (%x: f32[99999999999999999999]) -> () {}\n",
             expected: "1:18: error: dimension 99999999999999999999 does not fit in 64 bits"),
        Case(name: "tensor bytes overflow", text: "graph g (%x: f32[4611686018427387904, 4]) -> () {}\n",
             expected: "1:14: error: tensor type f32[4611686018427387904, 4] holds more than 2^63 bytes"),
        Case(name: "product of named dims overflows", text: "graph g [a = 4294967296] (%x: f32[a*a*a]) -> () {}\n",
             expected: "1:35: error: dimension a*… overflows a 64-bit integer"),
        Case(name: "inferred type overflows", text: "graph g (%x: i32[3037000500]) -> (%y) {\n  %y = embedding(%x) {vocab = 2, dim = 3037000500}\n}\n",
             expected: "2:3: error: result type f32[3037000500, 3037000500] holds more than 2^63 bytes"),
        Case(name: "unknown dimension name", text: "graph g [batch = 2] (%x: f32[bacth, 8]) -> () {}\n",
             expected: "1:30: error: unknown dimension 'bacth' (the graph names: batch)"),
        Case(name: "negative dimension", text: "graph g (%x: f32[-2, 8]) -> () {}\n", expected: "1:18: error: a dimension must be at least 0, got -2"),
        Case(name: "unknown dtype", text: "graph g (%x: f31[2]) -> () {}\n", expected: "1:14: error: unknown element type 'f31'"),
        Case(name: "integer literal overflow in attribute", text: body("  %y = dense(%x) {units = 123456789012345678901}"),
             expected: "2:27: error: integer literal 123456789012345678901 does not fit in 64 bits"),
        Case(name: "unterminated string", text: body("  %y = opaque(%x) {flops = 1, name = \"abc} : f32[2]"),
             expected: "2:38: error: unterminated string literal"),
        Case(name: "stray character", text: body("  %y = relu(%x) $"), expected: "2:17: error: unexpected character '$'"),
        Case(name: "two statements on a line", text: body("  %y = relu(%x) %z = neg(%x)"),
             expected: "2:17: error: expected the end of the statement, found '%z'"),
        Case(name: "missing equals", text: body("  %y relu(%x)"), expected: "2:6: error: expected '=' after the results, found 'relu'"),
        Case(name: "text after the graph", text: body("  %y = relu(%x)") + "extra\n", expected: "4:1: error: unexpected 'extra' after the end of the graph"),
        Case(name: "results and types disagree in number", text: body("  %y = relu(%x) : f32[2], f32[2]"),
             expected: "2:3: error: 1 result but 2 types written"),
        Case(name: "lstm on a matrix", text: body("  %y = lstm(%x) {hidden = 4}"),
             expected: "2:3: error: the input of 'lstm' ([batch, seq, features]) must have rank 3, got f32[batch, 8]"),
        Case(name: "embedding of floats", text: body("  %y = embedding(%x) {vocab = 4, dim = 2}"),
             expected: "2:3: error: the ids of 'embedding' must be i32 or i64, got f32[batch, 8]"),
        Case(name: "heads do not divide width", text: "graph g (%x: f32[1, 2, 6]) -> (%y) {\n  %y = attention(%x) {heads = 4}\n}\n",
             expected: "2:3: error: 'heads' (4) must divide the width 6"),
        Case(name: "unknown escape", text: body("  %y = opaque(%x) {flops = 1, name = \"a\\qb\"} : f32[2]"),
             expected: "2:38: error: unknown escape '\\q' in a string"),
        Case(name: "dynamic dim bound below expected", text: "graph g (%x: f32[?9<=3]) -> () {}\n",
             expected: "1:18: error: expected size 9 exceeds the bound 3"),
    ]

    @Test(arguments: cases)
    func malformedInputGivesLocatedError(_ c: Case) {
        let got = firstError(c.text)
        #expect(got?.hasPrefix(c.expected) == true, "got: \(got ?? "no error")")
    }

    @Test func invalidUTF8IsLocated() {
        var bytes = Array(DiagnosticsTests.body("  %y = relu(%x)").utf8)
        bytes.insert(0xFF, at: bytes.count - 5)
        #expect(firstError(bytes: bytes) == "2:14: error: the file is not valid UTF-8 (byte 0xFF)")
        #expect(firstError(bytes: [0x67, 0xC3]) == "1:2: error: the file is not valid UTF-8 (byte 0xC3)")
    }

    @Test func severalErrorsInOneRun() throws {
        let text = DiagnosticsTests.body("""
          %a = mo(%x)
          %b = relu(%zz)
          %c = dense(%x) {units = 4, foo = 1}
          %y = add(%a)
        """)
        do {
            _ = try load(text, path: "t.graph")
            Issue.record("expected errors")
        } catch {
            let lines = error.diagnostics.map { String($0.description.dropFirst("t.graph:".count)) }
            #expect(lines.count == 3, "\(lines)")
            #expect(lines[0].hasPrefix("2:8: error: unknown op 'mo'"))
            #expect(lines[1].hasPrefix("3:13: error: use of undefined value '%zz'"))
            #expect(lines[2].hasPrefix("4:30: error: unknown attribute 'foo'"))
        }
    }

    @Test func renderedDiagnosticShowsLineAndCaret() {
        do {
            _ = try load(DiagnosticsTests.body("  %y = mo(%x)"), path: "m.graph")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == """
            m.graph:2:8: error: unknown op 'mo'; did you mean 'moe'?
              %y = mo(%x)
                   ^
            """)
        }
    }

    @Test func unknownOverrideIsAnError() {
        do {
            _ = try Frontend.load(bytes: Array(DiagnosticsTests.body("  %y = relu(%x)").utf8), path: "t", overrides: ["seq": 4])
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.message == "graph 'g' has no dimension named 'seq' (it names: batch)")
        }
    }
}
