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
        for r in 0..<rows {
            var xr = x + r * cols
            let or = out + r * cols
            if let residual {
                let rr = residual + r * cols
                for c in 0..<cols { or[c] = xr[c] + rr[c] }
                xr = UnsafePointer(or)
            }
            var mu: Float = 0
            for c in 0..<cols { mu += xr[c] }
            mu /= width
            var variance: Float = 0
            for c in 0..<cols {
                let d = xr[c] - mu
                variance += d * d
            }
            variance /= width
            let inv = 1 / (variance + eps).squareRoot()
            mean?[r] = mu
            rstd?[r] = inv
            if let normalized {
                let nr = normalized + r * cols
                for c in 0..<cols { nr[c] = (xr[c] - mu) * inv }
            }
            switch (gamma, beta) {
            case let (g?, b?): affineRow(xr, or, cols) { c, v in (v - mu) * inv * g[c] + b[c] }
            case let (g?, nil): affineRow(xr, or, cols) { c, v in (v - mu) * inv * g[c] }
            case let (nil, b?): affineRow(xr, or, cols) { c, v in (v - mu) * inv + b[c] }
            case (nil, nil): map(xr, or, cols) { ($0 - mu) * inv }
            }
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
