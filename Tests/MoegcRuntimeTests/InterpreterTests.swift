import Testing
import MoegcIR
import MoegcPasses
import MoegcRuntime
import MoegcSupport

/// The reference interpreter on every tiny-* model of graphs/, and on bad inputs.
struct InterpreterTests {
    static let tinyGraphs: [String] = ((try? FileIO.list(repoRoot + "/graphs")) ?? []).filter { $0.hasPrefix("tiny-") }

    /// The smallest vocabulary of the graph's embedding and output layers: ids below it are valid everywhere.
    static func vocabulary(_ g: Graph) -> Int {
        g.nodes.compactMap { $0.attributes["vocab"]?.intValue }.min() ?? 2
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var training: Bool
        var testDescription: String { "\(file) \(training ? "train" : "eval")" }
    }

    static let cases = tinyGraphs.flatMap { [Case(file: $0, training: true), Case(file: $0, training: false)] }

    @Test func thereAreTinyGraphs() { #expect(InterpreterTests.tinyGraphs.count >= 5) }

    @Test(arguments: cases)
    func runsEveryTinyGraph(_ c: Case) throws {
        let source = try Frontend.load(path: repoRoot + "/graphs/" + c.file)
        var g = source
        try Lowering.run(&g, PassOptions(file: c.file, training: c.training), verify: true)
        let inputs = randomInputs(g, vocab: InterpreterTests.vocabulary(source), seed: 1)
        let a = try ReferenceInterpreter(graph: g, seed: 42).run(inputs).outputs
        #expect(a.count == g.outputs.count)
        for (v, t) in zip(g.outputs, a) {
            #expect(t.allFinite, "%\(g[v].name) is not finite")
            #expect(t.shape == g.type(of: v).shape)
        }
        // The per-token loss of a language model is a cross-entropy: positive.
        #expect(a[0].floats.allSatisfy { $0 > 0 })
        // Deterministic for a seed; in training the seed moves the gate noise and dropout.
        #expect(try ReferenceInterpreter(graph: g, seed: 42).run(inputs).outputs == a)
        let b = try ReferenceInterpreter(graph: g, seed: 43).run(inputs).outputs
        #expect((b != a) == true, "a different seed draws different weights")
    }

    @Test func everyPrimitiveHasAKernel() throws {
        // Each primitive op appears in some lowered tiny graph or in the loss test, and runs; the
        // rest are listed here so a new primitive without a kernel fails this test.
        var seen = Set<OpCode>()
        for file in InterpreterTests.tinyGraphs {
            for training in [true, false] {
                var g = try Frontend.load(path: repoRoot + "/graphs/" + file)
                try Lowering.run(&g, PassOptions(training: training))
                seen.formUnion(g.nodes.map(\.op))
            }
        }
        let coveredElsewhere = Set<OpCode>([.moe_load_estimate, .cv_squared, .sub, .div, .maximum, .minimum, .exp, .log, .sqrt,
                                             .erf, .normal_cdf, .cast, .reduce_max, .scatter_add, .transpose, .random_ids])
            // ImportedPrimitiveTests runs these:
            .union([.pow, .abs, .reciprocal, .gelu, .sin, .cos, .equal, .less, .less_equal, .greater, .greater_equal,
                    .not, .and, .or, .xor, .where, .expand, .gather_elements, .gather_nd, .scatter_elements, .scatter_nd,
                    .cumsum, .one_hot, .trilu, .constant])
        let primitives = Set(OpCode.allCases.filter { $0.schema.level == .primitive })
        #expect(primitives.subtracting(seen).subtracting(coveredElsewhere).isEmpty,
                "primitives no test runs: \(primitives.subtracting(seen).subtracting(coveredElsewhere))")
    }

    @Test func remainingPrimitivesAgainstNaiveLoops() throws {
        let g = try lowered("""
        graph p (%a: f32[2, 3], %b: f32[3], %i: i32[4]) -> (%s, %d, %mx, %mn, %e, %l, %q, %erf, %cdf, %c, %r, %sc, %t) {
          %s = sub(%a, %b)
          %d = div(%a, %b)
          %mx = maximum(%a, %b)
          %mn = minimum(%a, %b)
          %e = exp(%a)
          %pos = mul(%a, %a)
          %l = log(%pos)
          %q = sqrt(%pos)
          %erf = erf(%a)
          %cdf = normal_cdf(%a)
          %c = cast(%i) {to = f32}
          %r = reduce_max(%a) {axes = [0]}
          %rows = reshape(%c) {shape = [4, 1]}
          %sc = scatter_add(%rows, %i) {rows = 5}
          %t = transpose(%a) {perm = [1, 0]}
        }
        """)
        let a: [Float] = [0.5, -1.5, 2.0, 1.0, 0.25, -0.75], b: [Float] = [2.0, 0.5, -4.0]
        let out = try ReferenceInterpreter(graph: g, seed: 0)
            .run([HostTensor([2, 3], floats: a), HostTensor([3], floats: b), HostTensor([4], ints: [4, 0, 4, 2])]).outputs
        func near(_ x: [Float], _ y: [Double], _ tol: Double = 1e-6) -> Bool {
            zip(x, y).allSatisfy { abs(Double($0) - $1) <= tol * max(1, abs($1)) }
        }
        #expect(near(out[0].floats, a.indices.map { Double(a[$0] - b[$0 % 3]) }))
        #expect(near(out[1].floats, a.indices.map { Double(a[$0]) / Double(b[$0 % 3]) }))
        #expect(near(out[2].floats, a.indices.map { Double(max(a[$0], b[$0 % 3])) }))
        #expect(near(out[3].floats, a.indices.map { Double(min(a[$0], b[$0 % 3])) }))
        #expect(near(out[4].floats, a.map { Foundation_exp(Double($0)) }, 1e-6))
        #expect(near(out[5].floats, a.map { Foundation_log(Double($0) * Double($0)) }, 1e-6))
        #expect(near(out[6].floats, a.map { abs(Double($0)) }))
        #expect(near(out[7].floats, a.map { Foundation_erf(Double($0)) }, 1e-6))
        #expect(near(out[8].floats, a.map { 0.5 * (1 + Foundation_erf(Double($0) / 2.0.squareRoot())) }, 1e-6))
        #expect(out[9].floats == [4, 0, 4, 2])
        #expect(out[10].floats == [1.0, 0.25, 2.0])
        #expect(out[11].floats == [0, 0, 2, 0, 8])   // row 4 gets 4 + 4, row 2 gets 2, row 0 gets 0
        #expect(out[12].shape == [3, 2] && out[12].floats == [0.5, 1.0, -1.5, 0.25, 2.0, -0.75])
    }

    @Test func badInputsAreClearErrors() throws {
        let g = try lowered("graph g (%x: f32[2, 3], %ids: i32[2]) -> (%y) {\n  %t = param() {init = ones} : f32[4, 3]\n  %r = gather(%t, %ids)\n  %y = add(%x, %r)\n}\n")
        let interp = try ReferenceInterpreter(graph: g, seed: 0)
        let x = HostTensor([2, 3], floats: [1, 2, 3, 4, 5, 6])
        func message(_ inputs: [HostTensor]) -> String {
            do { _ = try interp.run(inputs); return "no error" } catch { return error.message }
        }
        #expect(message([x]) == "graph 'g' takes 2 inputs (%x, %ids), got 1")
        #expect(message([x, HostTensor([2], floats: [0, 1])]) == "input %ids must be i32, got f32")
        #expect(message([HostTensor([3, 2], floats: [1, 2, 3, 4, 5, 6]), HostTensor([2], ints: [0, 1])]) == "input %x must have shape f32[2, 3], got [3, 2]")
        #expect(message([x, HostTensor([2], ints: [0, 9])]) == "input 'ids' holds 9 at [1] (flat index 1): its values index the rows of %t and must be in 0..<4")
        let nan = HostTensor([2, 3], floats: [1, .nan, 3, 4, 5, 6])
        do {
            try InputCheck.requireFinite([nan, HostTensor([2], ints: [0, 1])], for: g)
            Issue.record("NaN accepted")
        } catch {
            #expect(error.message == "input %x holds nan at flat index 1 (checking for NaN and infinity was requested)")
        }
        #expect(throws: ExecutionError.self) { try ReferenceInterpreter(graph: try Frontend.load(path: repoRoot + "/graphs/tiny-moe.graph"), seed: 0) }
    }
}

#if canImport(Glibc)
import Glibc
func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
func Foundation_erf(_ x: Double) -> Double { Glibc.erf(x) }
#endif
