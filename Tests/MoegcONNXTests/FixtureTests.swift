import Testing
import MoegcIR
import MoegcONNX
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport

/// Models exported from library definitions (Fixtures/generate.py: transformers' Mixtral and
/// Qwen2-MoE sparse MoE blocks, a 2-layer Mixtral and a 2-layer GPT-2 causal LM, and one
/// com.microsoft.MoE node), each on a random and a skewed input (every token the same: the other
/// experts receive no token), held against the outputs onnxruntime 1.31.1 computed for the same
/// inputs. Tolerance: |moegc − onnxruntime| ≤ 1e-5 · max |onnxruntime| per output (relative to the
/// output's largest magnitude: the two sum in different orders). Run on the reference interpreter
/// and on the runtime over two devices, which must agree bit for bit.
struct FixtureTests {
    static let folder = repoRoot + "/Tests/MoegcONNXTests/Fixtures"
    static let fixtures = ["mixtral_moe", "qwen2_moe", "mixtral_lm", "gpt2_lm", "ms_moe"]

    struct Case: Sendable, CustomTestStringConvertible {
        var fixture: String
        var inputs: String
        var testDescription: String { "\(fixture) \(inputs)" }
    }

    static let cases = fixtures.flatMap { [Case(fixture: $0, inputs: "random"), Case(fixture: $0, inputs: "skewed")] }

    @Test(arguments: cases)
    func matchesOnnxruntime(_ c: Case) throws {
        let dir = FixtureTests.folder + "/" + c.fixture
        let model = try ONNXImporter.load(path: dir + "/model.onnx")
        let g = model.graph
        var inputs: [HostTensor] = []
        for i in g.inputs.indices { inputs.append(try ONNXImporter.loadTensor(path: dir + "/\(c.inputs)/input_\(i).pb")) }
        let outputs = try ReferenceInterpreter(graph: g, seed: 0, weights: model.weights).run(inputs).outputs
        for (i, a) in outputs.enumerated() {
            let e = try ONNXImporter.loadTensor(path: dir + "/\(c.inputs)/output_\(i).pb")
            let scale = e.floats.map { Double(abs($0)) }.max() ?? 1
            if let m = mismatch(a, e, rtol: 0, atol: 1e-5 * scale) { Issue.record("\(c.testDescription): output \(i): \(m)") }
        }
        let (device, order) = roundRobinPlan(g, devices: 2)
        let runtime = try Runtime(plan: ExecutionPlan(graph: g, deviceCount: 2, device: device, order: order), seed: 0, threads: 2,
                                  weights: model.weights)
        let r = try runtime.run(inputs).outputs
        if r != outputs {
            let d = zip(r[0].floats, outputs[0].floats).map { abs($0 - $1) }.max() ?? 0
            let e = try ONNXImporter.loadTensor(path: dir + "/\(c.inputs)/output_0.pb")
            let dOrt = zip(r[0].floats, e.floats).map { abs($0 - $1) }.max() ?? 0
            Issue.record("\(c.testDescription): the runtime differs from the interpreter by \(d) (from onnxruntime by \(dOrt))")
        }
    }

    /// The skewed inputs leave experts without a token: what exporters and runtimes are known to break on.
    @Test func skewedInputsLeaveExpertsIdle() throws {
        let dir = FixtureTests.folder + "/ms_moe"
        let model = try ONNXImporter.load(path: dir + "/model.onnx")
        let g = model.graph
        let route = try #require(g.nodes.first { $0.op == .moe_route })
        let x = try ONNXImporter.loadTensor(path: dir + "/skewed/input_0.pb")
        let run = try ReferenceInterpreter(graph: g, seed: 0, weights: model.weights).run([x], keep: [route.results[0]])
        let positions = try #require(run.kept[route.results[0]]).ints
        let rows = (0..<(positions.count - 1)).map { positions[$0 + 1] - positions[$0] }
        #expect(rows.filter { $0 == 0 }.count == rows.count - 2, "rows per expert \(rows)")
    }

    /// com.microsoft.MoE arrives as moegc's sorted-by-expert MoE: one routing, a dispatch per
    /// expert, every expert node annotated with its expert, one combine.
    @Test func microsoftMoEBecomesPerExpertSubgraphs() throws {
        let g = try ONNXImporter.load(path: FixtureTests.folder + "/ms_moe/model.onnx").graph
        #expect(g.nodes.filter { $0.op == .moe_route }.count == 1)
        #expect(g.nodes.filter { $0.op == .moe_dispatch }.count == 4)
        #expect(g.nodes.filter { $0.op == .moe_combine }.count == 1)
        let experts = Set(g.nodes.compactMap { $0.attributes["expert"]?.intValue })
        #expect(experts == [0, 1, 2, 3])
        #expect(g.nodes.filter { $0.op == .matmul && $0.attributes["expert"] != nil }.count == 8)
    }
}
