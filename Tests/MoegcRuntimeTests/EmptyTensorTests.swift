import Foundation
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcRuntime
import MoegcSim
import MoegcSupport
import Testing

/// Empty tensors (a dimension of 0) are legal through the IR, the kernels, the plan and the
/// runtime, as in numpy and ONNX (issue 14): a product over an empty depth is zeros, a sum over
/// nothing 0, a mean NaN, a max −∞, and whole models run with an empty batch.
struct EmptyTensorTests {
    static let primitives = """
        graph z (%a: f32[2, 0], %b: f32[0, 3], %c: f32[4, 0], %e: f32[0, 5]) -> (%m, %s, %mean, %mx, %sm, %cat, %sl, %t, %ln) {
          %m = matmul(%a, %b) : f32[2, 3]
          %s = reduce_sum(%c) {axes = [1]} : f32[4]
          %mean = reduce_mean(%c) {axes = [1]} : f32[4]
          %mx = reduce_max(%c) {axes = [1]} : f32[4]
          %sm = softmax(%c) {axis = -1} : f32[4, 0]
          %cat = concat(%e, %e) {axis = 0} : f32[0, 5]
          %sl = slice(%m) {axis = 1, start = 1, end = 1} : f32[2, 0]
          %t = transpose(%e) {perm = [1, 0]} : f32[5, 0]
          %ln = layer_norm(%c) : f32[4, 0]
        }

        """

    /// Outputs as bit patterns (NaN equals itself).
    static func bits(_ ts: [HostTensor]) -> [[UInt32]] {
        ts.map { t in t.dtype == .f32 ? t.floats.map(\.bitPattern) : t.ints.map { UInt32(bitPattern: $0) } }
    }

    @Test func primitivesOnEmptyTensorsFollowNumpy() throws {
        let g = try lowered(Self.primitives)
        let inputs = g.inputs.map { HostTensor(g.type(of: $0).shape, floats: []) }
        let out = try ReferenceInterpreter(graph: g, seed: 1).run(inputs).outputs
        #expect(out[0].shape == [2, 3] && out[0].floats.allSatisfy { $0 == 0 })
        #expect(out[1].floats == [0, 0, 0, 0])
        #expect(out[2].floats.count == 4 && out[2].floats.allSatisfy(\.isNaN))
        #expect(out[3].floats == [Float](repeating: -.infinity, count: 4))
        #expect(out[4].shape == [4, 0] && out[5].shape == [0, 5] && out[6].shape == [2, 0] && out[7].shape == [5, 0] && out[8].shape == [4, 0])
        #expect(out[4...].allSatisfy { $0.count == 0 })
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<10 {
            let plan = ExecutionPlan.random(g, devices: 1 + rng.nextInt(below: 3), fusion: rng.nextDouble(), generator: &rng)
            #expect(Self.bits(try Runtime(plan: plan, seed: 1).run(inputs).outputs) == Self.bits(out))
        }
    }

    /// Every tiny model with an empty batch: the interpreter runs, random plans on the runtime give
    /// its bits, and a compiled plan writes and reads back (its graph re-parses: no attribute of an
    /// empty batch prints as `inf`).
    @Test(arguments: InterpreterTests.tinyGraphs)
    func modelsRunWithAnEmptyBatch(_ file: String) throws {
        let source = try Frontend.load(path: repoRoot + "/graphs/" + file, overrides: ["batch": 0])
        var g = source
        try Lowering.run(&g, PassOptions(training: true))
        let inputs = randomInputs(g, vocab: InterpreterTests.vocabulary(source), seed: 2)
        #expect(inputs.allSatisfy { $0.count == 0 })
        let expected = try ReferenceInterpreter(graph: g, seed: 3).run(inputs).outputs
        var rng = SeededGenerator(seed: UInt64(file.utf8.count))
        for _ in 0..<5 {
            let plan = ExecutionPlan.random(g, devices: 1 + rng.nextInt(below: 4), fusion: rng.nextDouble(), generator: &rng)
            #expect(Self.bits(try Runtime(plan: plan, seed: 3).run(inputs).outputs) == Self.bits(expected), "\(file)")
        }
        var fused = g
        try PassManager(PassRegistry.Pipeline.fusion.passes).run(&fused, PassOptions(training: true))
        let problem = try PlacementProblem(graph: fused, cluster: try #require(Cluster.preset("k40x4")))
        let placed = try problem.place(with: HEFTPlacer())
        let plan = try CompiledPlan(placed, placer: "heft", source: file, seed: 3, training: true)
        let path = NSTemporaryDirectory() + "moegc-empty-\(getpid())-\(file).plan"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PlanFile.write(plan, to: path)
        let back = try PlanFile.read(path)
        #expect(Self.bits(try Runtime(plan: back.execution, seed: 3).run(inputs).outputs) == Self.bits(expected), "\(file) plan")
    }

    /// Every tiny model over an empty sequence (seq = 0): an LSTM over no timesteps is the empty
    /// sequence (its lowering emitted a concat of nothing, and the shape rule read an operand that
    /// was not there: found by the graph fuzzer, Tests/Fuzz/seeds/graph/lstm-no-timesteps.graph).
    /// The models lower, verify and run on the interpreter.
    @Test(arguments: InterpreterTests.tinyGraphs)
    func modelsRunOnAnEmptySequence(_ file: String) throws {
        let text = try String(contentsOfFile: repoRoot + "/graphs/" + file, encoding: .utf8)
        guard text.contains("seq = ") else { return }
        let source = try Frontend.load(path: repoRoot + "/graphs/" + file, overrides: ["seq": 0])
        var g = source
        try Lowering.run(&g, PassOptions(training: true))
        #expect(Verifier.verify(g).isEmpty, "\(file)")
        let inputs = randomInputs(g, vocab: InterpreterTests.vocabulary(source), seed: 2)
        let out = try ReferenceInterpreter(graph: g, seed: 3).run(inputs).outputs
        #expect(out.count == g.outputs.count, "\(file)")
    }

    /// The fuzzer's input itself: every layer op, seq = 0, lowers (or says why), never traps.
    @Test func theFuzzersEmptySequenceGraphLowers() throws {
        var g = try Frontend.load(path: repoRoot + "/Tests/Fuzz/seeds/graph/lstm-no-timesteps.graph")
        try Lowering.run(&g, PassOptions(training: true))
        #expect(Verifier.verify(g).isEmpty)
        let lstm = try #require(g.value(named: "lstm"))
        #expect(g.type(of: lstm).shape == [2, 0, 8])
    }
}
