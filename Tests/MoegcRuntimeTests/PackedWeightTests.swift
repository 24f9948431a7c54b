import MoegcIR
import MoegcKernels
import MoegcPlan
import MoegcRuntime
import MoegcSupport
import Testing

/// Matmuls by a weight run on the packed-weight kernel, the weight packed once when the
/// interpreter (and so the runtime) is made: plain, transposed (`transpose_b`), batched, with a
/// transposed left operand, shared by two matmuls; a weight used otherwise is not packed.
struct PackedWeightTests {
    static let text = """
    graph p (%x: f32[5, 17], %xt: f32[17, 5], %x3: f32[2, 5, 17]) -> (%y, %y2, %yt, %ya, %yb, %y3, %g) {
      %w = param() {init = normal, scale = 0.5} : f32[17, 33]
      %v = param() {init = normal, scale = 0.5} : f32[33, 17]
      %wb = param() {init = normal, scale = 0.5} : f32[2, 17, 33]
      %bias = param() {init = normal, scale = 0.5} : f32[33]
      %y = matmul(%x, %w)
      %y2 = matmul(%x, %w)
      %yt = matmul(%x, %v) {transpose_b = true}
      %ya = matmul(%xt, %w) {transpose_a = true}
      %yb = matmul(%x3, %wb)
      %y3 = matmul(%x3, %w)
      %yr = add(%y, %bias)
      %g = matmul(%y, %yr) {transpose_b = true}
    }
    """

    /// The weight `name` as the interpreter materialised it.
    static func weight(_ interp: ReferenceInterpreter, _ name: String) -> [Float] {
        let id = interp.graph.value(named: name)!
        return interp.weights[interp.graph.values[id.index].producer!.index]!.floats
    }

    /// C = op(A)·op(B) for one [m, k]·[k, n] product in Double, A and B read through index functions.
    static func product(m: Int, k: Int, n: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for l in 0..<k { c[i * n + j] += Double(a(i, l)) * Double(b(l, j)) } } }
        return c
    }

    @Test func weightsArePackedOnceAndOnlyForMatmuls() throws {
        let g = try lowered(PackedWeightTests.text)
        let interp = try ReferenceInterpreter(graph: g, seed: 4)
        // w (plain, shared by %y, %y2, %ya, %y3), v (transposed), wb (2 batches); not bias, and
        // not %yr, which is no weight. op(B) is [17, 33] each time: 33 columns pad to 48 floats
        // in the C kernels' layout, the BLAS fallback keeps 33.
        #expect(interp.packedWeightCount == 3)
        let width = PackedMatmulKernel.best == .blas ? 33 : 48
        #expect(interp.packedWeightBytes == 4 * 17 * width * MemoryLayout<Float>.size)
    }

    /// Every output against Double loops over the same floats: max error ≤ 1e-5 of the largest
    /// |exact| (k = 17 terms, float rounding ≈ 17·6·10⁻⁸ of Σ|a·b|); the plain product also bitwise
    /// equal to the packed kernel's on the same operands.
    @Test func outputsMatchDoubleLoopsAndThePackedKernel() throws {
        let g = try lowered(PackedWeightTests.text)
        let interp = try ReferenceInterpreter(graph: g, seed: 4)
        let x = randomFloats(5 * 17, seed: 1), xt = randomFloats(17 * 5, seed: 2), x3 = randomFloats(2 * 5 * 17, seed: 3)
        let out = try interp.run([HostTensor([5, 17], floats: x), HostTensor([17, 5], floats: xt),
                                  HostTensor([2, 5, 17], floats: x3)]).outputs
        let w = PackedWeightTests.weight(interp, "w"), v = PackedWeightTests.weight(interp, "v")
        let wb = PackedWeightTests.weight(interp, "wb"), bias = PackedWeightTests.weight(interp, "bias")
        let mm = PackedWeightTests.product
        let y = mm(5, 17, 33, { x[$0 * 17 + $1] }, { w[$0 * 33 + $1] })
        #expect(relativeError(out[0].floats, y) <= 1e-5)
        #expect(out[1].floats == out[0].floats)
        #expect(out[0].floats == Kernels.matmul(x, m: 5, packed: PackedMatrix(w, rows: 17, columns: 33)))
        #expect(relativeError(out[2].floats, mm(5, 17, 33, { x[$0 * 17 + $1] }, { v[$1 * 17 + $0] })) <= 1e-5)
        #expect(relativeError(out[3].floats, mm(5, 17, 33, { xt[$1 * 5 + $0] }, { w[$0 * 33 + $1] })) <= 1e-5)
        for batch in 0..<2 {
            let rows = (batch * 5 * 33)..<((batch + 1) * 5 * 33)
            let yb = mm(5, 17, 33, { x3[batch * 85 + $0 * 17 + $1] }, { wb[batch * 17 * 33 + $0 * 33 + $1] })
            #expect(relativeError(Array(out[4].floats[rows]), yb) <= 1e-5)
            let y3 = mm(5, 17, 33, { x3[batch * 85 + $0 * 17 + $1] }, { w[$0 * 33 + $1] })
            #expect(relativeError(Array(out[5].floats[rows]), y3) <= 1e-5)
        }
        // %g = y · (y + bias)ᵀ on cblas (its B is no weight), from the float y the graph computed.
        let y0 = out[0].floats
        let gRef = mm(5, 33, 5, { y0[$0 * 33 + $1] }, { y0[$1 * 33 + $0] + bias[$0] })
        #expect(relativeError(out[6].floats, gRef) <= 1e-5)
    }

    /// The runtime shares the interpreter's packed weights across its workers, also when a weight's
    /// matmul runs on another device than its `param`: outputs bitwise equal for random plans.
    @Test func runtimeMatchesTheInterpreterBitwise() throws {
        let g = try lowered(PackedWeightTests.text)
        let inputs = randomInputs(g, vocab: 1, seed: 7)
        let expected = try ReferenceInterpreter(graph: g, seed: 4).run(inputs).outputs
        var rng = SeededGenerator(seed: 11)
        for _ in 0..<10 {
            let plan = ExecutionPlan.random(g, devices: 1 + rng.nextInt(below: 4), fusion: rng.nextDouble(), generator: &rng)
            #expect(try Runtime(plan: plan, seed: 4, threads: 1 + rng.nextInt(below: 3)).run(inputs).outputs == expected)
        }
    }
}
