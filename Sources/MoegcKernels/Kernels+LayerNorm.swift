// Layer normalisation over the last axis.

extension Kernels {
    /// Row-wise layer norm of a [rows, cols] block:
    /// out[r,c] = (x[r,c] − μ_r) / √(σ²_r + eps) · gamma[c] + beta[c], with μ_r the row mean and
    /// σ²_r the row's population variance (divisor cols), two-pass.
    ///
    /// `gamma` and `beta` (cols elements each) may be nil for 1 and 0. If `mean` / `rstd` are given
    /// (rows elements each) they receive μ_r and 1/√(σ²_r + eps), what a backward pass needs.
    /// In place allowed (`out` may be `x`); gamma, beta, mean and rstd must not overlap `out`.
    /// cols must be ≥ 1 when rows > 0; eps ≥ 0.
    public static func layerNorm(_ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>?,
                                 beta: UnsafePointer<Float>?, eps: Float,
                                 out: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                 mean: UnsafeMutablePointer<Float>? = nil,
                                 rstd: UnsafeMutablePointer<Float>? = nil) {
        checkShape(rows, cols)
        precondition(rows == 0 || cols > 0, "layerNorm over an empty axis")
        precondition(eps >= 0, "layerNorm: negative eps")
        let count = rows * cols
        checkSameOrDisjoint(x, out, count)
        if let gamma { checkDisjoint(gamma, cols, out, count) }
        if let beta { checkDisjoint(beta, cols, out, count) }
        let invCols = 1 / Float(cols)
        for r in 0..<rows {
            let xr = x + r * cols, or = out + r * cols
            let mu = laneSum(xr, cols) * invCols
            let variance = laneSquaredDeviation(xr, cols, from: mu) * invCols
            let inv = 1 / (variance + eps).squareRoot()
            mean?[r] = mu
            rstd?[r] = inv
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
