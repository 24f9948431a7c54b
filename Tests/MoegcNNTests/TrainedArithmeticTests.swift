import MoegcKernels
@testable import MoegcNN
import MoegcSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The arithmetic every shipped policy was trained with, kept here verbatim as the bitwise
/// reference of the MoegcKernels code MoegcNN now computes with (MoegcNN's own exponential,
/// log-sum-exp and layer-norm loops before the two numeric stacks became one). A policy retrains
/// to the same bytes only if these stay equal bit for bit.
enum TrainedArithmetic {
    /// eˣ for x ≤ 0: Cody–Waite reduction, the Cephes polynomial, `p·r·r` evaluated left to right;
    /// below −87.336 54 exactly 0.
    static func exp(_ x: Float) -> Float {
        let lowest: Float = -87.336_54
        let c = max(x, lowest)
        let magic: Float = 12_582_912
        let t = c * 1.442_695_04 + magic
        let n = t - magic
        let k = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        var r = c - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: (k &+ 127) << 23))
        return x < lowest ? 0 : y * scale
    }

    /// log Σ eˣ: the maximum in index order, the exponentials summed in index order.
    static func logSumExp(_ x: [Float]) -> Float {
        var m = -Float.infinity
        for v in x { m = v > m ? v : m }
        if m == -.infinity { return -.infinity }
        var total: Float = 0
        for v in x { total += exp(v - m) }
        return m + logf(total)
    }

    /// One row of layer norm, the optional residual added first: (x̂·γ + β, x̂, 1/√(σ² + ε)).
    static func layerNorm(_ x: [Float], adding residual: [Float]?, gamma: [Float], beta: [Float],
                          epsilon: Float) -> (out: [Float], normalized: [Float], rstd: Float) {
        let f = x.count
        let xs = residual.map { r in (0..<f).map { x[$0] + r[$0] } } ?? x
        var mean: Float = 0
        for j in 0..<f { mean += xs[j] }
        mean /= Float(f)
        var variance: Float = 0
        for j in 0..<f { let d = xs[j] - mean; variance += d * d }
        variance /= Float(f)
        let inv = 1 / (variance + epsilon).squareRoot()
        let xh = xs.map { ($0 - mean) * inv }
        return ((0..<f).map { xh[$0] * gamma[$0] + beta[$0] }, xh, inv)
    }
}

@Suite struct TrainedArithmeticTests {
    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    /// `FastMath.expNonPositive` against the trained exponential on every 1021st non-positive float
    /// (2.1 million values from −0 down through the flush point to −∞ and the negative NaNs; the
    /// whole range, 2³¹ values, was compared once in a release build: 0 differ) and at the edges.
    @Test func exponentialEqualsTheTrainedOneBitForBit() {
        var differing = 0, first: Float?
        var b: UInt32 = 0x8000_0000
        while true {
            let x = Float(bitPattern: b)
            let got = FastMath.expNonPositive(x), want = TrainedArithmetic.exp(x)
            if got.bitPattern != want.bitPattern && !(got.isNaN && want.isNaN) {
                differing += 1
                first = first ?? x
            }
            if b > 0xFFFF_FFFF - 1021 { break }
            b += 1021
        }
        #expect(differing == 0, "first at \(String(describing: first))")
        for x: Float in [0, -0.0, -1e-30, -0.346_573_6, -1, -87.336_54, -87.336_55, -87.4, -103.9, -.infinity,
                         -Float.leastNonzeroMagnitude, -Float.greatestFiniteMagnitude] {
            #expect(FastMath.expNonPositive(x).bitPattern == TrainedArithmetic.exp(x).bitPattern, "x = \(x)")
        }
        #expect(FastMath.expNonPositive(-.nan).isNaN)
    }

    /// The runtime's full-range `FastMath.exp` is the same function where both are defined.
    @Test func fullRangeExponentialAgreesOnTheNonPositiveRange() {
        var x: Float = -87.336_54
        while x <= 0 {
            #expect(FastMath.exp(x).bitPattern == TrainedArithmetic.exp(x).bitPattern, "x = \(x)")
            x += 0.013_7
        }
    }

    /// Rows the policy's log-softmax and entropy see (4 and 16 devices, 2 fusion actions), longer
    /// rows, masked entries and an all-masked row.
    static let rows: [[Float]] = {
        var rng = SeededGenerator(seed: 11)
        var rows: [[Float]] = []
        for n in [1, 2, 3, 4, 5, 8, 15, 16, 17, 31, 64, 100, 1000] {
            var row = (0..<n).map { _ in Float.random(in: -30...30, using: &rng) }
            if n > 2 { row[n / 2] = -.infinity }
            rows.append(row)
        }
        rows.append([-.infinity, -.infinity, -.infinity])
        rows.append([0, -0.0, -200, 0])
        return rows
    }()

    @Test func logSumExpEqualsTheTrainedOneBitForBit() {
        for row in Self.rows {
            let got = row.withUnsafeBufferPointer { Kernels.logSumExp($0.baseAddress!, count: $0.count) }
            #expect(got.bitPattern == TrainedArithmetic.logSumExp(row).bitPattern, "n = \(row.count)")
            let lse = TrainedArithmetic.logSumExp(row)
            let logSoftmax = row.map { lse == -.infinity ? -.infinity : $0 - lse }
            #expect(Self.bits(Kernels.logSoftmax(row, rows: 1, cols: row.count)) == Self.bits(logSoftmax), "n = \(row.count)")
        }
    }

    /// `Var.layerNorm` (Kernels.layerNorm) against the trained loop: the values, and the x̂ and
    /// 1/√(σ² + ε) its backward pass keeps, with and without a residual, at the policy's width 64
    /// and others.
    @Test(arguments: [1, 3, 16, 64, 65, 200])
    func layerNormEqualsTheTrainedOneBitForBit(width: Int) {
        let rows = 7
        let x = randn([rows, width], seed: UInt64(width)), residual = randn([rows, width], seed: UInt64(width) + 1)
        let gamma = randn([width], seed: UInt64(width) + 2), beta = randn([width], seed: UInt64(width) + 3)
        for withResidual in [false, true] {
            let tape = Tape()
            let (vx, vr, vg, vb) = (tape.variable(x), tape.variable(residual), tape.constant(gamma), tape.constant(beta))
            let y = withResidual ? vx.layerNorm(adding: vr, gamma: vg, beta: vb) : vx.layerNorm(gamma: vg, beta: vb)
            var expected: [Float] = []
            var normalized = [Float](repeating: 0, count: rows * width), rstd = [Float](repeating: 0, count: rows)
            for r in 0..<rows {
                let row = Array(x.scalars[(r * width)..<((r + 1) * width)])
                let res = withResidual ? Array(residual.scalars[(r * width)..<((r + 1) * width)]) : nil
                let want = TrainedArithmetic.layerNorm(row, adding: res, gamma: gamma.scalars, beta: beta.scalars, epsilon: 1e-5)
                expected += want.out
                normalized.replaceSubrange((r * width)..<((r + 1) * width), with: want.normalized)
                rstd[r] = want.rstd
            }
            #expect(Self.bits(y.value.scalars) == Self.bits(expected), "width \(width), residual \(withResidual)")
            var gotNormalized = [Float](repeating: 0, count: rows * width), gotRstd = [Float](repeating: 0, count: rows)
            x.scalars.withUnsafeBufferPointer { px in
                residual.scalars.withUnsafeBufferPointer { pr in
                    var out = [Float](repeating: 0, count: rows * width)
                    Kernels.layerNorm(px.baseAddress!, adding: withResidual ? pr.baseAddress! : nil, gamma: gamma.scalars,
                                      beta: beta.scalars, eps: 1e-5, out: &out, rows: rows, cols: width,
                                      rstd: &gotRstd, normalized: &gotNormalized)
                }
            }
            #expect(Self.bits(gotNormalized) == Self.bits(normalized) && Self.bits(gotRstd) == Self.bits(rstd),
                    "x̂ and 1/σ, width \(width), residual \(withResidual)")
        }
    }
}
