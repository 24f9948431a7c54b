import MoegcIR
import MoegcPasses
import MoegcSupport
import Testing

/// Lowering passes, IR in → IR out, against golden files in Golden/. Set MOEGC_RECORD_GOLDEN=1 to
/// re-record them; a recording run fails, so a re-record is never silent.
struct LoweringGoldenTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var training: Bool
        var text: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "dense-relu", training: true, text: """
        graph g [b = 2] (%x: f32[b, 3]) -> (%y) {
          %y = dense(%x) {units = 4, activation = relu}
        }
        """),
        Case(name: "layer-norm", training: true, text: """
        graph g (%x: f32[2, 3]) -> (%y) {
          %y = layer_norm(%x)
        }
        """),
        Case(name: "dropout-eval-removed", training: false, text: """
        graph g (%x: f32[2, 3]) -> (%y) {
          %d = dropout(%x) {rate = 0.5}
          %y = relu(%d)
        }
        """),
        Case(name: "lstm-two-steps", training: true, text: """
        graph g [batch = 1, seq = 2] (%x: f32[batch, seq, 3]) -> (%h) {
          %h = lstm(%x) {hidden = 2}
        }
        """),
        Case(name: "attention-causal", training: true, text: """
        graph g (%x: f32[1, 3, 4]) -> (%a) {
          %a = attention(%x) {heads = 2, causal = true}
        }
        """),
        Case(name: "moe-train", training: true, text: """
        graph g [t = 4] (%x: f32[t, 2]) -> (%y, %li, %ll) {
          %y, %li, %ll = moe(%x) {experts = 3, k = 2, hidden = 2}
        }
        """),
        Case(name: "moe-eval-capacity", training: false, text: """
        graph g [t = 4] (%x: f32[t, 2]) -> (%y, %li, %ll) {
          %y, %li, %ll = moe(%x) {experts = 2, k = 1, hidden = 2, capacity_factor = 1.0}
        }
        """),
        Case(name: "moe-softmax-switch-loss", training: true, text: """
        graph g [t = 4] (%x: f32[t, 2]) -> (%y, %ll) {
          %y, %li, %ll = moe(%x) {experts = 2, k = 1, hidden = 2, gating = softmax, w_load = 0.01}
        }
        """),
        Case(name: "hmoe-train", training: true, text: """
        graph g [t = 4] (%x: f32[t, 2]) -> (%y, %li, %ll) {
          %y, %li, %ll = hmoe(%x) {groups = 2, experts_per_group = 2, k = [1, 1], hidden = 2}
        }
        """),
        Case(name: "sampled-softmax", training: true, text: """
        graph g [b = 2, s = 1] (%h: f32[b, s, 3], %t: i32[b, s]) -> (%loss) {
          %loss = softmax_output(%h, %t) {vocab = 10, samples = 4}
        }
        """),
    ]

    static let folder = repoRoot + "/Tests/MoegcIRTests/Golden/"

    @Test(arguments: cases)
    func loweredIRMatchesGolden(_ c: Case) throws {
        var g = try load(c.text)
        try Lowering.run(&g, PassOptions(training: c.training), verify: true)
        let text = GraphText.print(g)
        #expect(GraphText.print(try load(text)) == text, "lowered IR must be canonical")
        let path = LoweringGoldenTests.folder + c.name + ".graph"
        if MoegcEnvironment.value("MOEGC_RECORD_GOLDEN") == "1" {
            try FileIO.writeAtomically(path, text: text)
            Issue.record("recorded \(path); unset MOEGC_RECORD_GOLDEN and run again")
            return
        }
        let expected = String(decoding: try FileIO.read(path), as: UTF8.self)
        #expect(text == expected, "lowering of \(c.name) changed; inspect, then re-record with MOEGC_RECORD_GOLDEN=1")
    }
}
