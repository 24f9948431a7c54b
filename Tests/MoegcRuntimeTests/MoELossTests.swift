import MoegcIR
import MoegcRuntime
import Testing

/// The gate and loss primitives on one fixed small case, against numbers computed independently
/// by Reference/moe_losses.py (its output is Reference/moe_losses.expected): 3 tokens, 4 experts,
/// k = 2, given clean logits x·W_g, raw noise logits x·W_noise and the N(0,1) draws.
struct MoELossTests {
    static let graphText = """
    graph losses (%clean: f32[3, 4], %raw: f32[3, 4], %eps: f32[3, 4]) -> (%experts, %gates, %importance, %load, %li, %ll) {
      %std = softplus(%raw) {offset = 0.01} : f32[3, 4]
      %noisy = fma(%eps, %std, %clean) : f32[3, 4]
      %top, %top_i = top_k(%noisy) {k = 3} : f32[3, 3], i32[3, 3]
      %kept = slice(%top) {axis = 1, start = 0, end = 2} : f32[3, 2]
      %experts = slice(%top_i) {axis = 1, start = 0, end = 2} : i32[3, 2]
      %gates = softmax(%kept) : f32[3, 2]
      %importance = moe_importance(%experts, %gates) {experts = 4} : f32[4]
      %load = moe_load_estimate(%clean, %noisy, %std, %top) {k = 2} : f32[4]
      %li_cv = cv_squared(%importance) : f32[]
      %li = scale(%li_cv) {factor = 0.1} : f32[]
      %ll_cv = cv_squared(%load) : f32[]
      %ll = scale(%ll_cv) {factor = 0.1} : f32[]
    }
    """

    @Test func lossesEqualTheIndependentScript() throws {
        let g = try lowered(MoELossTests.graphText)
        let clean: [Float] = [0.5, -0.2, 0.1, 0.9, -1.0, 0.3, 0.8, 0.0, 0.2, 0.2, -0.5, 0.4]
        let raw: [Float] = [0.0, 1.0, -1.0, 0.5, 0.3, -0.3, 0.0, 2.0, -2.0, 0.1, 0.4, 0.0]
        let eps: [Float] = [0.3, -1.2, 0.8, 0.1, 1.5, 0.2, -0.4, -0.9, 0.0, 0.7, 1.1, -0.3]
        let out = try ReferenceInterpreter(graph: g, seed: 0)
            .run([clean, raw, eps].map { HostTensor([3, 4], floats: $0) }).outputs
        // Reference/moe_losses.expected
        #expect(out[0].ints == [3, 0, 2, 1, 1, 2])
        let tol: Float = 1e-5
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) } }
        #expect(close(out[1].floats, [0.571375053, 0.428624947, 0.526442826, 0.473557174, 0.552990478, 0.447009522]))
        #expect(close(out[2].floats, [0.428624947, 1.02654765, 0.973452348, 0.571375053]))
        #expect(close(out[3].floats, [0.641395217, 1.24804879, 1.01650414, 1.56715534]))
        #expect(abs(out[4].floats[0] - 0.0116265934) <= 1e-5 * 0.0116265934)
        #expect(abs(out[5].floats[0] - 0.00911818292) <= 1e-5 * 0.00911818292)
    }
}
