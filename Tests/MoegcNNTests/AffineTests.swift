@testable import MoegcNN
import MoegcSupport
import Testing

/// `affine` (x·W + b in one op: the product into the output, then the bias added in place) must
/// equal `matmul` then `+` bit for bit, forward and backward, on whatever OpenBLAS core the process
/// runs, or every trained policy would change with the core: row counts from one to two row bands
/// of the threaded path, and depths around and far past the blocks OpenBLAS's cores split the
/// depth into (128 to 384 depending on the core; run the suite with OPENBLAS_CORETYPE=Prescott,
/// Haswell, SkylakeX to see each).
@Suite struct AffineTests {
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (1, 1, 1), (3, 5, 7), (17, 64, 64), (300, 64, 128), (300, 128, 64), (257, 70, 64), (40, 128, 1),
        (33, 255, 16), (33, 256, 16), (33, 257, 16), (9, 513, 3), (9, 3000, 3), (300, 3000, 64), (2 * 8192 + 3, 64, 64),
    ]

    @Test(arguments: [1, 2])
    func equalsMatmulThenAddBitForBit(threads: Int) {
        for (index, shape) in Self.shapes.enumerated() {
            let seed = UInt64(10 * index)
            let x = randn([shape.m, shape.k], seed: seed), w = randn([shape.k, shape.n], seed: seed + 1, scale: 0.3)
            let b = randn([shape.n], seed: seed + 2), seedGradient = randn([shape.m, shape.n], seed: seed + 3)
            func run(_ fused: Bool) -> (Tensor, Tensor, Tensor, Tensor) {
                let tape = Tape(threads: threads)
                let (vx, vw, vb) = (tape.variable(x), tape.variable(w), tape.variable(b))
                let y = fused ? vx.affine(vw, vb) : vx.matmul(vw) + vb
                let g = tape.backward(y, seed: seedGradient)
                return (y.value, g[vx], g[vw], g[vb])
            }
            let (fused, split) = (run(true), run(false))
            let label = "\(shape.m)×\(shape.k)·\(shape.k)×\(shape.n), \(threads) threads"
            #expect(Self.identical(fused.0, split.0), "value, \(label)")
            #expect(Self.identical(fused.1, split.1), "dx, \(label)")
            #expect(Self.identical(fused.2, split.2), "dW, \(label)")
            #expect(Self.identical(fused.3, split.3), "db, \(label)")
        }
    }

    static func identical(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern)
    }

    /// Independent reference: the sum in Double (tolerance 1e-4 relative to the row's magnitude).
    @Test func isXTimesWPlusB() {
        let x = randn([5, 9], seed: 1), w = randn([9, 4], seed: 2), b = randn([4], seed: 3)
        let tape = Tape(recording: false)
        let y = tape.constant(x).affine(tape.constant(w), tape.constant(b))
        for r in 0..<5 {
            for j in 0..<4 {
                var sum = Double(b[j]), magnitude = abs(Double(b[j]))
                for l in 0..<9 { sum += Double(x[r, l]) * Double(w[l, j]); magnitude += abs(Double(x[r, l]) * Double(w[l, j])) }
                #expect(abs(Double(y.value[r, j]) - sum) <= 1e-4 * magnitude)
            }
        }
    }
}

/// `layerNorm(adding:)` must equal `+` then `layerNorm` bit for bit, forward and backward (every
/// trained policy depends on it), with a residual that is also used elsewhere (its gradient then
/// accumulates from both uses, as in the policy's `norm(h + layer(h))`).
@Suite struct ResidualLayerNormTests {
    @Test(arguments: [1, 2])
    func equalsAddThenNormBitForBit(threads: Int) {
        for (index, shape) in [[1, 1], [3, 5], [17, 64], [2 * 8192 + 3, 16], [2, 3, 8]].enumerated() {
            let seed = UInt64(20 * index)
            let x = randn(shape, seed: seed), w = randn([shape.last!, shape.last!], seed: seed + 1, scale: 0.3)
            let gamma = randn([shape.last!], seed: seed + 2), beta = randn([shape.last!], seed: seed + 3)
            let seedGradient = randn(shape, seed: seed + 4)
            func run(_ fused: Bool) -> [Tensor] {
                let tape = Tape(threads: threads)
                let (vx, vg, vb, vw) = (tape.variable(x), tape.variable(gamma), tape.variable(beta), tape.variable(w))
                let flat = vx.reshaped(to: [x.count / shape.last!, shape.last!])
                let branch = flat.matmul(vw).tanh().reshaped(to: shape)                     // uses x too
                let y = fused ? vx.layerNorm(adding: branch, gamma: vg, beta: vb) : (vx + branch).layerNorm(gamma: vg, beta: vb)
                let g = tape.backward(y, seed: seedGradient)
                return [y.value, g[vx], g[vg], g[vb], g[vw]]
            }
            let (fused, split) = (run(true), run(false))
            for (name, (a, b)) in zip(["value", "dx", "dγ", "dβ", "dW"], zip(fused, split)) {
                #expect(AffineTests.identical(a, b), "\(name), shape \(shape), \(threads) threads")
            }
        }
    }
}
