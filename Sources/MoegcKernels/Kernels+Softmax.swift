// Softmax, log-softmax and log-sum-exp over the last axis.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Row-wise softmax of a [rows, cols] block: out[r,c] = e^(x[r,c] − m_r) / Σ_j e^(x[r,j] − m_r)
    /// with m_r the row maximum, so large values cannot overflow.
    ///
    /// −∞ entries get probability 0 (the KeepTopK mask of the MoE gate). A row with no entry
    /// above −∞ has no distribution: it comes out all 0 rather than NaN. Otherwise a NaN or +∞
    /// entry makes its row NaN.
    /// In place allowed (`out` may be `x`). cols must be ≥ 1 when rows > 0.
    public static func softmax(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkSameOrDisjoint(x, out, rows * cols)
        for r in 0..<rows {
            let xr = x + r * cols, or = out + r * cols
            let m = laneMax(xr, cols)
            if m == -.infinity {
                or.update(repeating: 0, count: cols)
                continue
            }
            map(xr, or, cols) { FastMath.exp($0 - m) }
            let inverse = 1 / laneSum(UnsafePointer(or), cols)
            for c in 0..<cols { or[c] *= inverse }
        }
    }

    /// Row-wise log-softmax: out[r,c] = x[r,c] − logsumexp(x[r,:]), computed as
    /// (x − m_r) − log Σ_j e^(x[r,j] − m_r).
    ///
    /// −∞ entries give −∞; a row of all −∞ gives all −∞ (log of the all-zero softmax row) rather
    /// than NaN. In place allowed (`out` may be `x`). cols must be ≥ 1 when rows > 0.
    public static func logSoftmax(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                  rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkSameOrDisjoint(x, out, rows * cols)
        for r in 0..<rows {
            let xr = x + r * cols, or = out + r * cols
            let m = laneMax(xr, cols)
            if m == -.infinity {
                or.update(repeating: -.infinity, count: cols)
                continue
            }
            let shift = m + logf(sumExp(xr, cols, minus: m))
            map(xr, or, cols) { $0 - shift }
        }
    }

    /// out[r] = log Σ_c e^(x[r,c]) for a [rows, cols] block, computed max-subtracted:
    /// m_r + log Σ_c e^(x[r,c] − m_r). A row of all −∞ gives −∞. `out` (rows elements) must not
    /// overlap `x`. cols must be ≥ 1 when rows > 0.
    public static func logSumExp(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                 rows: Int, cols: Int) {
        checkSoftmaxShape(rows, cols)
        checkDisjoint(x, rows * cols, out, rows)
        for r in 0..<rows {
            let xr = x + r * cols
            let m = laneMax(xr, cols)
            out[r] = m == -.infinity ? -.infinity : m + logf(sumExp(xr, cols, minus: m))
        }
    }

    @inline(__always)
    private static func checkSoftmaxShape(_ rows: Int, _ cols: Int) {
        checkShape(rows, cols)
        precondition(rows == 0 || cols > 0, "softmax over an empty axis")
    }

    /// Σ_c e^(x[c] − m): the exponentials go through a 256-float stack block (vectorised map),
    /// which is then summed in SIMD lanes.
    private static func sumExp(_ x: UnsafePointer<Float>, _ count: Int, minus m: Float) -> Float {
        let block = 256
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { scratch in
            let buffer = scratch.baseAddress!
            var total: Float = 0
            var start = 0
            while start < count {
                let n = min(block, count - start)
                map(x + start, buffer, n) { FastMath.exp($0 - m) }
                total += laneSum(UnsafePointer(buffer), n)
                start += n
            }
            return total
        }
    }
}
