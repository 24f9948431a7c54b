import CMoegcGemm
import Foundation
import MoegcKernels
@testable import MoegcNN
import MoegcSupport
import Testing

/// The row softmax of the policy's segment attention, MoegcNN's softmax and the runtime's
/// (`Kernels.softmax`, on CMoegcGemm's `moegc_softmax_rows`): every variant this
/// machine runs must return exactly what the Swift code it replaced returned (so trained policies
/// and their tables do not change), and that must be a softmax (checked against Double).
@Suite struct RowSoftmaxTests {
    /// The Swift row softmax the C kernel replaced, kept here as its bitwise reference: the maximum
    /// and the sum in eight running partials, the trained exponential (`TrainedArithmetic.exp`,
    /// which `FastMath.expNonPositive` equals) per value.
    static func reference(_ row: [Float]) -> [Float] {
        var x = row
        let n = x.count, blocks = n / 8
        var partials = [Float](repeating: -.infinity, count: 8)
        for i in 0..<blocks { for l in 0..<8 { partials[l] = max(partials[l], x[8 * i + l]) } }
        var m = max(max(max(partials[0], partials[1]), max(partials[2], partials[3])),
                    max(max(partials[4], partials[5]), max(partials[6], partials[7])))
        for j in (8 * blocks)..<n { m = max(m, x[j]) }
        if m == -.infinity { return [Float](repeating: 0, count: n) }
        for j in 0..<n { x[j] = TrainedArithmetic.exp(x[j] - m) }
        var sums = [Float](repeating: 0, count: 8)
        for i in 0..<blocks { for l in 0..<8 { sums[l] += x[8 * i + l] } }
        var total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
        for j in (8 * blocks)..<n { total += x[j] }
        let inverse = 1 / total
        for j in 0..<n { x[j] *= inverse }
        return x
    }

    /// Rows of every length from 1 to 40 and the attention's (128, 256, 257, 300): scores spread
    /// over ±40 (so some fall below the exponential's underflow point after the shift), some −∞
    /// (masked), one row all −∞, and one with a NaN score (skipped by the maximum, as before).
    static let rows: [[Float]] = {
        var rng = SeededGenerator(seed: 7)
        var rows: [[Float]] = []
        for n in Array(1...40) + [128, 256, 257, 300] {
            var row = (0..<n).map { _ in Float.random(in: -40...40, using: &rng) }
            if n > 3 { row[n / 3] = -.infinity }
            rows.append(row)
        }
        rows.append([Float](repeating: -.infinity, count: 19))
        var withNaN = (0..<37).map { Float($0) * 0.25 }
        withNaN[5] = .nan
        rows.append(withNaN)
        return rows
    }()

    static let variants: [moegc_gemm_isa] = [MOEGC_GEMM_PORTABLE, MOEGC_GEMM_AVX2, MOEGC_GEMM_AVX512]
        .filter { moegc_gemm_isa_supported($0) != 0 }

    @Test(arguments: variants)
    func equalsTheSwiftCodeBitForBit(_ isa: moegc_gemm_isa) {
        for row in Self.rows {
            var x = row
            x.withUnsafeMutableBufferPointer { moegc_softmax_rows_isa(isa, 1, $0.count, $0.baseAddress!, $0.count) }
            let expected = Self.reference(row)
            #expect(x.map(\.bitPattern) == expected.map(\.bitPattern),
                    "\(String(cString: moegc_gemm_isa_name(isa))), n = \(row.count)")
        }
    }

    /// Several rows a call, with a leading dimension larger than the row: the padding is untouched.
    @Test func stridedRowsAndTheBestVariant() {
        let n = 19, ld = 24, rows = 5
        var rng = SeededGenerator(seed: 3)
        let data = (0..<(rows * ld)).map { _ in Float.random(in: -5...5, using: &rng) }
        var x = data
        x.withUnsafeMutableBufferPointer { moegc_softmax_rows(rows, n, $0.baseAddress!, ld) }
        for r in 0..<rows {
            #expect(Array(x[(r * ld)..<(r * ld + n)]) == Self.reference(Array(data[(r * ld)..<(r * ld + n)])))
            #expect(Array(x[(r * ld + n)..<(r * ld + ld)]) == Array(data[(r * ld + n)..<(r * ld + ld)]))
        }
    }

    /// `Kernels.softmax` (the runtime's) and `Var.softmax` run this kernel: the same bits.
    @Test func kernelsAndVarSoftmaxAreThisKernel() {
        for row in Self.rows {
            let expected = Self.reference(row).map(\.bitPattern)
            #expect(Kernels.softmax(row, rows: 1, cols: row.count).map(\.bitPattern) == expected, "n = \(row.count)")
            let tape = Tape(recording: false)
            let y = tape.constant(Tensor(shape: [1, row.count], scalars: row)).softmax()
            #expect(y.value.scalars.map(\.bitPattern) == expected, "n = \(row.count)")
        }
    }

    /// Independent reference: the softmax in Double. Tolerance 1e-6 absolute plus 1e-5 relative
    /// (the exponential is within ~2 ulp; float sums of ≤ 300 terms add n·2⁻²⁴ relative at worst).
    @Test func isASoftmax() {
        for row in Self.rows where !row.contains(where: \.isNaN) && row.contains(where: { $0 > -.infinity }) {
            var x = row
            x.withUnsafeMutableBufferPointer { moegc_softmax_rows(1, $0.count, $0.baseAddress!, $0.count) }
            let m = Double(row.max()!)
            let e = row.map { Foundation.exp(Double($0) - m) }
            let total = e.reduce(0, +)
            for (got, want) in zip(x, e.map { $0 / total }) {
                #expect(abs(Double(got) - want) <= 1e-6 + 1e-5 * want, "n = \(row.count): \(got) vs \(want)")
            }
        }
    }
}
