// Data movement without arithmetic: transpose, strided block copies, slices and concatenation
// along the last axis.

extension Kernels {
    /// out[c, r] = x[r, c]: the transpose of a [rows, cols] block into a [cols, rows] block,
    /// in 32×32 tiles so that both sides stay in cache. `out` must not overlap `x`.
    public static func transpose(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                 rows: Int, cols: Int) {
        checkShape(rows, cols)
        checkDisjoint(x, rows * cols, out, rows * cols)
        let tile = 32
        for r0 in stride(from: 0, to: rows, by: tile) {
            let r1 = min(r0 + tile, rows)
            for c0 in stride(from: 0, to: cols, by: tile) {
                let c1 = min(c0 + tile, cols)
                for r in r0..<r1 {
                    let xr = x + r * cols
                    for c in c0..<c1 { out[c &* rows &+ r] = xr[c] }
                }
            }
        }
    }

    /// Copies a [rows, cols] block between strided buffers: out[r * outStride + c] =
    /// src[r * srcStride + c] for c < cols (one memcpy a row). Strides are ≥ cols.
    /// The blocks must not overlap.
    public static func copyBlock(_ src: UnsafePointer<Float>, srcStride: Int,
                                 out: UnsafeMutablePointer<Float>, outStride: Int,
                                 rows: Int, cols: Int) {
        checkShape(rows, cols)
        precondition(srcStride >= cols && outStride >= cols, "copyBlock: stride below the width")
        guard rows > 0 && cols > 0 else { return }
        checkDisjoint(src, (rows - 1) * srcStride + cols, out, (rows - 1) * outStride + cols)
        if srcStride == cols && outStride == cols {
            out.update(from: src, count: rows * cols)
            return
        }
        for r in 0..<rows {
            (out + r * outStride).update(from: src + r * srcStride, count: cols)
        }
    }

    /// out[r, j] = x[r, start + j] for j < width: columns start..<start+width of a [rows, cols]
    /// block into a [rows, width] block. Requires 0 ≤ start ≤ start + width ≤ cols; no overlap.
    public static func sliceColumns(_ x: UnsafePointer<Float>, rows: Int, cols: Int,
                                    start: Int, width: Int, out: UnsafeMutablePointer<Float>) {
        precondition(start >= 0 && width >= 0 && start + width <= cols, "sliceColumns: range outside the row")
        copyBlock(x + start, srcStride: cols, out: out, outStride: width, rows: rows, cols: width)
    }

    /// Concatenates [rows, cols_p] blocks along the last axis into a [rows, Σ cols_p] block:
    /// part p fills out columns offset_p ..< offset_p + cols_p, offset_p = Σ_{q<p} cols_q.
    /// No part may overlap `out`.
    public static func concatColumns(_ parts: [(data: UnsafePointer<Float>, cols: Int)], rows: Int,
                                     out: UnsafeMutablePointer<Float>) {
        let total = parts.reduce(0) { $0 + $1.cols }
        var offset = 0
        for part in parts {
            copyBlock(part.data, srcStride: part.cols, out: out + offset, outStride: total,
                      rows: rows, cols: part.cols)
            offset += part.cols
        }
    }
}
