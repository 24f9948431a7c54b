// Layer normalisation over the last axis: the one implementation the runtime's `normalize` and
// MoegcNN's `layerNorm` (the policy's encoder) share.
//
//     s_j = x_j (+ residual_j)                         formed in `out` when there is a residual
//     μ = (Σ_j s_j) / F                                both sums taken in index order, then divided
//     σ² = (Σ_j (s_j − μ)²) / F
//     r = 1 / √(σ² + ε)
//     x̂_j = (s_j − μ) · r;   out_j = x̂_j · γ_j + β_j
//
// The arithmetic is fixed bit for bit (sums in index order, a division by F): trained policies
// depend on it.

extension Kernels {
    /// Row-wise layer norm of a [rows, cols] block:
    /// out[r,c] = (x[r,c] − μ_r) / √(σ²_r + eps) · gamma[c] + beta[c], with μ_r the row mean and
    /// σ²_r the row's population variance (divisor cols), two-pass (see the file comment for the
    /// order of operations).
    ///
    /// `gamma` and `beta` (cols elements each) may be nil for 1 and 0. With `residual` (a
    /// [rows, cols] block) the rows normalised are `x + residual`, summed in `out` (the sum is
    /// never a buffer of its own). If `mean` / `rstd` are given (rows elements each) they receive
    /// μ_r and 1/√(σ²_r + eps); if `normalized` is given ([rows, cols]) it receives x̂ — what a
    /// backward pass needs.
    /// In place allowed (`out` may be `x`, or `residual`); gamma, beta, mean, rstd and normalized
    /// must not overlap `out`. cols must be ≥ 1 when rows > 0; eps ≥ 0.
    public static func layerNorm(_ x: UnsafePointer<Float>, adding residual: UnsafePointer<Float>? = nil,
                                 gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
                                 out: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                 mean: UnsafeMutablePointer<Float>? = nil,
                                 rstd: UnsafeMutablePointer<Float>? = nil,
                                 normalized: UnsafeMutablePointer<Float>? = nil) {
        checkShape(rows, cols)
        precondition(rows == 0 || cols > 0, "layerNorm over an empty axis")
        precondition(eps >= 0, "layerNorm: negative eps")
        let count = rows * cols
        checkSameOrDisjoint(x, out, count)
        if let residual { checkSameOrDisjoint(residual, out, count) }
        if let gamma { checkDisjoint(gamma, cols, out, count) }
        if let beta { checkDisjoint(beta, cols, out, count) }
        if let normalized { checkDisjoint(UnsafePointer(normalized), count, out, count) }
        let width = Float(cols)
        // Rows in groups of four: the sums of a group run as four independent chains (one SIMD
        // lane a row), each still adding its row in index order, so the results are those of one
        // row at a time and the adds do not wait on each other.
        var start = 0
        while start < rows {
            let group = min(4, rows - start)
            if let residual {
                for r in start..<(start + group) {
                    let xr = x + r * cols, rr = residual + r * cols, or = out + r * cols
                    for c in 0..<cols { or[c] = xr[c] + rr[c] }
                }
            }
            // The rows normalised (x, or the sums in out); the last repeated to fill four lanes,
            // whose extra results are dropped.
            let source = residual == nil ? x : UnsafePointer(out)
            func row(_ l: Int) -> UnsafePointer<Float> { source + (start + min(l, group - 1)) * cols }
            let (x0, x1, x2, x3) = (row(0), row(1), row(2), row(3))
            var sum = SIMD4<Float>()
            for c in 0..<cols { sum += SIMD4(x0[c], x1[c], x2[c], x3[c]) }
            let mu = sum / width
            var squares = SIMD4<Float>()
            for c in 0..<cols {
                let d = SIMD4(x0[c], x1[c], x2[c], x3[c]) - mu
                squares += d * d
            }
            let variance = squares / width
            for l in 0..<group {
                let r = start + l
                let (m, inv) = (mu[l], 1 / (variance[l] + eps).squareRoot())
                mean?[r] = m
                rstd?[r] = inv
                normalizeRow(row(l), out + r * cols, cols, mean: m, inverse: inv, gamma: gamma, beta: beta,
                             normalized: normalized.map { $0 + r * cols })
            }
            start += group
        }
    }

    /// One row's output from its mean and 1/σ: x̂ = (x − μ)·r, out = x̂·γ + β.
    @inline(__always)
    private static func normalizeRow(_ xr: UnsafePointer<Float>, _ or: UnsafeMutablePointer<Float>, _ cols: Int,
                                     mean mu: Float, inverse inv: Float, gamma: UnsafePointer<Float>?,
                                     beta: UnsafePointer<Float>?, normalized: UnsafeMutablePointer<Float>?) {
        if let nr = normalized {
            for c in 0..<cols { nr[c] = (xr[c] - mu) * inv }
        }
        switch (gamma, beta) {
        case let (g?, b?): affineRow(xr, or, cols) { c, v in (v - mu) * inv * g[c] + b[c] }
        case let (g?, nil): affineRow(xr, or, cols) { c, v in (v - mu) * inv * g[c] }
        case let (nil, b?): affineRow(xr, or, cols) { c, v in (v - mu) * inv + b[c] }
        case (nil, nil): map(xr, or, cols) { ($0 - mu) * inv }
        }
    }

    /// out[c] = f(c, x[c]), with a separate loop for out == x so both vectorise.
    @inline(__always)
    private static func affineRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                  _ count: Int, _ f: (Int, Float) -> Float) {
        if UnsafePointer(out) == x {
            for c in 0..<count { out[c] = f(c, out[c]) }
        } else {
            for c in 0..<count { out[c] = f(c, x[c]) }
        }
    }
}
