// Softmax, log-softmax and log-sum-exp over the last axis: the one implementation the runtime's
// ops and MoegcNN's differentiable ops (attention, the policy's action distributions) share.
//
//     softmax       m = max_j x_j;  e_j = expNonPositive(x_j − m);  s = Σ_j e_j;  y_j = e_j · (1/s)
//                   on CMoegcGemm's `moegc_softmax_rows` (AVX-512 / AVX2 / portable, chosen at
//                   run time; the sum in eight running partials, every variant the same bits)
//     log-sum-exp   m + log Σ_j expNonPositive(x_j − m), the sum taken in index order
//     log-softmax   x_j − logsumexp(x)
//
// The arithmetic is fixed bit for bit, because trained policies depend on it: a learned policy
// is the same file only if every softmax its training ran gives the same floats.

import CMoegcGemm

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Row-wise softmax of a [rows, cols] block: out[r,c] = e^(x[r,c] − m_r) / Σ_j e^(x[r,j] − m_r)
    /// with m_r the row maximum, so large values cannot overflow.
    ///
    /// −∞ entries get probability 0 (the KeepTopK mask of the MoE gate), and so does any entry
    /// more than 87.3 below its row's maximum (`FastMath.expNonPositive`). A row with no entry
    /// above −∞ has no distribution: it comes out all 0 rather than NaN. NaN entries are skipped
    /// by the maximum and make their row NaN, as does a +∞ entry.
    /// In place allowed (`out` may be `x`). cols must be ≥ 1 when rows > 0.
    public static func softmax(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkSameOrDisjoint(x, out, rows * cols)
        if UnsafePointer(out) != x { out.update(from: x, count: rows * cols) }
        softmax(inPlace: out, rows: rows, cols: cols, ld: cols)
    }

    /// Replaces each of `rows` rows of `cols` scores (row r at `x + r·ld`, ld ≥ cols) by its
    /// softmax, as `softmax(_:out:rows:cols:)` computes it; the `ld − cols` values after each row
    /// are not touched (attention heads side by side). cols must be ≥ 1 when rows > 0.
    public static func softmax(inPlace x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int) {
        checkSoftmaxShape(rows, cols)
        precondition(ld >= cols, "softmax: leading dimension smaller than the row")
        guard rows > 0 else { return }
        moegc_softmax_rows(rows, cols, x, ld)
    }

    /// Row-wise log-softmax: out[r,c] = x[r,c] − logsumexp(x[r,:]) (see `logSumExp(_:count:)`).
    ///
    /// −∞ entries give −∞; a row of all −∞ gives all −∞ (log of the all-zero softmax row) rather
    /// than NaN. In place allowed (`out` may be `x`). cols must be ≥ 1 when rows > 0.
    public static func logSoftmax(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                  rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkSameOrDisjoint(x, out, rows * cols)
        for r in 0..<rows {
            let xr = x + r * cols, or = out + r * cols
            let shift = logSumExp(xr, count: cols)
            if shift == -.infinity {
                or.update(repeating: -.infinity, count: cols)
                continue
            }
            map(xr, or, cols) { $0 - shift }
        }
    }

    /// out[r] = log Σ_c e^(x[r,c]) for a [rows, cols] block (see `logSumExp(_:count:)`). `out`
    /// (rows elements) must not overlap `x`. cols must be ≥ 1 when rows > 0.
    public static func logSumExp(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                 rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkDisjoint(x, rows * cols, out, rows)
        for r in 0..<rows { out[r] = logSumExp(x + r * cols, count: cols) }
    }

    /// log Σ_j e^(x[j]) over `count` values, max-subtracted: m + log Σ_j expNonPositive(x[j] − m)
    /// with the sum taken in index order. −∞ when every value is −∞ or there are none; NaN values
    /// are skipped by the maximum and make the result NaN.
    @inlinable
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0, "logSumExp: negative count")
        let m = count == 0 ? -.infinity : laneMax(x, count)
        if m == -.infinity { return -.infinity }
        var total: Float = 0
        for j in 0..<count { total += FastMath.expNonPositive(x[j] - m) }
        return m + logf(total)
    }

    @inline(__always)
    private static func checkSoftmaxShape(_ rows: Int, _ cols: Int) {
        checkShape(rows, cols)
        precondition(rows == 0 || cols > 0, "softmax over an empty axis")
    }
}
