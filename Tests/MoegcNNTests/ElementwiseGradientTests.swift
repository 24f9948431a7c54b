import MoegcNN
import Testing

/// Finite-difference checks of matmul, broadcasting binary ops, unary ops and reductions.
@Suite struct ElementwiseGradientTests {
    let check = GradientCheck()

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulAllTransposes(transposeA: Bool, transposeB: Bool) {
        let a = randn(transposeA ? [4, 3] : [3, 4], seed: 1)
        let b = randn(transposeB ? [5, 4] : [4, 5], seed: 2)
        check.check(inputs: [a, b]) { _, v in
            v[0].matmul(v[1], transposeSelf: transposeA, transposeOther: transposeB)
        }
    }

    @Test func matmulValueMatchesNaiveProduct() {
        let a = randn([3, 4], seed: 3), b = randn([4, 2], seed: 4)
        let tape = Tape()
        let c = tape.constant(a).matmul(tape.constant(b)).value
        for i in 0..<3 {
            for j in 0..<2 {
                var s: Float = 0
                for k in 0..<4 { s += a[i, k] * b[k, j] }
                #expect(abs(c[i, j] - s) < 1e-5)
            }
        }
    }

    static let broadcastShapes: [([Int], [Int])] = [
        ([3, 4], [3, 4]), ([3, 4], [4]), ([4], [3, 4]), ([3, 4], [3, 1]), ([3, 1], [1, 4]),
        ([2, 3, 4], [3, 1]), ([2, 3, 4], [2, 3, 1]), ([3, 4], []), ([2, 1, 4], [2, 3, 1]),
    ]

    @Test(arguments: broadcastShapes)
    func addSubtractMultiplyDivideBroadcast(shapeA: [Int], shapeB: [Int]) {
        let a = randn(shapeA, seed: 5)
        let b = uniform(shapeB, seed: 6, 0.5, 2)   // denominators away from 0
        check.check(inputs: [a, b]) { _, v in v[0] + v[1] }
        check.check(inputs: [a, b]) { _, v in v[0] - v[1] }
        check.check(inputs: [a, b]) { _, v in v[0] * v[1] }
        check.check(inputs: [a, b]) { _, v in v[0] / v[1] }
    }

    @Test func broadcastValues() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        let row = tape.constant(Tensor(shape: [3], scalars: [10, 20, 30]))
        let column = tape.constant(Tensor(shape: [2, 1], scalars: [100, 200]))
        #expect((x + row).value.scalars == [11, 22, 33, 14, 25, 36])
        #expect((x * column).value.scalars == [100, 200, 300, 800, 1000, 1200])
        #expect((row + column).value.shape == [2, 3])
        #expect((row + column).value.scalars == [110, 120, 130, 210, 220, 230])
    }

    @Test func minimumMaximumAwayFromTies() {
        let a = randn([3, 4], seed: 7)
        let b = a.scalars.enumerated().map { $0.offset % 2 == 0 ? $0.element + 0.3 : $0.element - 0.3 }
        let bt = Tensor(shape: [3, 4], scalars: b)
        check.check(inputs: [a, bt]) { _, v in v[0].minimum(v[1]) }
        check.check(inputs: [a, bt]) { _, v in v[0].maximum(v[1]) }
        check.check(inputs: [a, Tensor(0.2)]) { _, v in v[0].maximum(v[1]) }   // broadcast scalar
    }

    @Test func minimumSplitsGradientOnTies() {
        let tape = Tape()
        let a = tape.variable(Tensor(shape: [2], scalars: [1, 2]))
        let b = tape.variable(Tensor(shape: [2], scalars: [1, 3]))
        let g = tape.backward(a.minimum(b).sum())
        #expect(g[a].scalars == [0.5, 1])
        #expect(g[b].scalars == [0.5, 0])
    }

    @Test func smoothUnaryOps() {
        let x = randn([3, 4], seed: 8)
        let positive = uniform([3, 4], seed: 9, 0.3, 3)
        check.check(inputs: [x]) { _, v in v[0].tanh() }
        check.check(inputs: [x]) { _, v in v[0].sigmoid() }
        check.check(inputs: [x]) { _, v in v[0].softplus() }
        check.check(inputs: [x]) { _, v in v[0].gelu() }
        check.check(inputs: [x]) { _, v in v[0].exp() }
        check.check(inputs: [x]) { _, v in v[0].square() }
        check.check(inputs: [x]) { _, v in v[0].affine(scale: -1.5, shift: 0.25) }
        check.check(inputs: [x]) { _, v in -v[0] + 2 - (3 - v[0] * 0.5) / 4 }
        check.check(inputs: [positive]) { _, v in v[0].log() }
        check.check(inputs: [positive]) { _, v in v[0].sqrt() }
    }

    @Test func kinkedUnaryOpsAwayFromKinks() {
        let x = awayFromZero([3, 5], seed: 10)
        check.check(inputs: [x]) { _, v in v[0].relu() }
        check.check(inputs: [x]) { _, v in v[0].leakyReLU(slope: 0.2) }
        // clamp to [−0.5, 0.5]: keep inputs away from ±0.5.
        let c = Tensor(shape: [8], scalars: [-1.2, -0.8, -0.4, -0.1, 0.2, 0.35, 0.7, 1.4])
        check.check(inputs: [c]) { _, v in v[0].clamp(lower: -0.5, upper: 0.5) }
    }

    @Test func clampGradientIsOneInsideZeroOutside() {
        let tape = Tape()
        let x = tape.variable(Tensor(shape: [5], scalars: [-2, -1, 0, 1, 2]))
        let g = tape.backward(x.clamp(lower: -1, upper: 1).sum())
        #expect(g[x].scalars == [0, 1, 1, 1, 0])   // bounds included
    }

    @Test func sigmoidAndSoftplusStayFiniteForLargeInputs() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2], scalars: [-200, 200]))
        #expect(x.sigmoid().value.scalars == [0, 1])
        #expect(x.softplus().value.scalars == [0, 200])
    }

    @Test func reductions() {
        let x = randn([2, 3, 4], seed: 11)
        check.check(inputs: [x]) { _, v in v[0].sum() }
        check.check(inputs: [x]) { _, v in v[0].mean() }
        for axis in 0..<3 {
            check.check(inputs: [x]) { _, v in v[0].sum(alongAxis: axis) }
            check.check(inputs: [x]) { _, v in v[0].mean(alongAxis: axis, keepingAxis: true) }
        }
        let tape = Tape()
        let m = tape.constant(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(m.sum(alongAxis: 0).value.scalars == [4, 6])
        #expect(m.sum(alongAxis: 1, keepingAxis: true).value.shape == [2, 1])
        #expect(m.mean().value.scalar == 2.5)
    }

    @Test func meanSquaredError() {
        let a = randn([4, 3], seed: 12), b = randn([4, 3], seed: 13)
        check.check(inputs: [a, b]) { _, v in v[0].meanSquaredError(v[1]) }
        let tape = Tape()
        let loss = tape.constant(a).meanSquaredError(tape.constant(b)).value.scalar
        let expected = zip(a.scalars, b.scalars).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 12
        #expect(abs(loss - expected) < 1e-5)
    }
}
