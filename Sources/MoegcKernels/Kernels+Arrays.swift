// Safe wrappers over [Float] for tests and simple callers: same semantics as the pointer kernels
// they call (see those for details), sizes checked against the array counts, results returned
// as new arrays.

import MoegcSupport

extension Kernels {
    /// A new array of `count` floats filled by `body` (which must write every element).
    @inline(__always)
    static func makeArray(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer.baseAddress!)
            initialized = count
        }
    }

    /// op(A)·op(B) as a new [m, n] array; `a` holds op(A)'s storage ([m, k] or, transposed,
    /// [k, m]) and `b` op(B)'s ([k, n] or [n, k]), densely.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                              transA: Transpose = .none, transB: Transpose = .none) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "matmul: array sizes do not match m, n, k")
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0 && n > 0 else { return c }
        matmul(transA: transA, transB: transB, m: m, n: n, k: k, a: a, b: b, c: &c)
        return c
    }

    /// op applied to every element.
    public static func unary(_ op: UnaryOp, _ x: [Float]) -> [Float] {
        makeArray(x.count) { unary(op, x, out: $0, count: x.count) }
    }

    /// a op b over [rows, cols], b laid out as `broadcast` says.
    public static func binary(_ op: BinaryOp, _ a: [Float], _ b: [Float], broadcast: Broadcast,
                              rows: Int, cols: Int) -> [Float] {
        precondition(a.count == rows * cols, "binary: a is not [rows, cols]")
        precondition(b.count == broadcast.count(rows: rows, cols: cols), "binary: b does not fit the broadcast")
        return makeArray(a.count) { binary(op, a, b, broadcast: broadcast, out: $0, rows: rows, cols: cols) }
    }

    /// a·b + c elementwise.
    public static func multiplyAdd(_ a: [Float], _ b: [Float], _ c: [Float]) -> [Float] {
        precondition(a.count == b.count && b.count == c.count, "multiplyAdd: sizes differ")
        return makeArray(a.count) { multiplyAdd(a, b, c, out: $0, count: a.count) }
    }

    /// alpha·x + beta elementwise.
    public static func affine(_ x: [Float], alpha: Float, beta: Float = 0) -> [Float] {
        makeArray(x.count) { affine(x, alpha: alpha, beta: beta, out: $0, count: x.count) }
    }

    /// Row-wise softmax of [rows, cols].
    public static func softmax(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "softmax: x is not [rows, cols]")
        return makeArray(x.count) { softmax(x, out: $0, rows: rows, cols: cols) }
    }

    /// Row-wise log-softmax of [rows, cols].
    public static func logSoftmax(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "logSoftmax: x is not [rows, cols]")
        return makeArray(x.count) { logSoftmax(x, out: $0, rows: rows, cols: cols) }
    }

    /// Row-wise log-sum-exp of [rows, cols] (rows values).
    public static func logSumExp(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "logSumExp: x is not [rows, cols]")
        return makeArray(rows) { logSumExp(x, out: $0, rows: rows, cols: cols) }
    }

    /// The k largest values of each row of [rows, n] (descending) and their indices.
    public static func topK(_ x: [Float], rows: Int, n: Int, k: Int) -> (values: [Float], indices: [Int32]) {
        precondition(x.count == rows * n, "topK: x is not [rows, n]")
        guard rows > 0 else { return ([], []) }
        var indices = [Int32](repeating: 0, count: rows * k)
        let values = makeArray(rows * k) { topK(x, rows: rows, n: n, k: k, values: $0, indices: &indices) }
        return (values, indices)
    }

    /// Rows `indices[i]` of a [src.count / width, width] block, stacked.
    public static func gatherRows(_ src: [Float], width: Int, indices: [Int32]) -> [Float] {
        precondition(width > 0 && src.count % width == 0, "gatherRows: src is not a whole number of rows")
        return makeArray(indices.count * width) {
            gatherRows(src, srcRows: src.count / width, indices: indices, count: indices.count,
                       width: width, out: $0)
        }
    }

    /// out[indices[i], :] += weights[i]·src[i, :] (weight 1 without weights).
    public static func scatterAddRows(_ src: [Float], width: Int, indices: [Int32], weights: [Float]? = nil,
                                      into out: inout [Float]) {
        precondition(width > 0 && src.count == indices.count * width, "scatterAddRows: src is not [indices.count, width]")
        precondition(out.count % width == 0, "scatterAddRows: out is not a whole number of rows")
        precondition(weights.map { $0.count == indices.count } ?? true, "scatterAddRows: one weight a row")
        let outRows = out.count / width
        out.withUnsafeMutableBufferPointer { o in
            guard let base = o.baseAddress else { return }
            if let weights {
                scatterAddRows(src, indices: indices, weights: weights, count: indices.count,
                               width: width, out: base, outRows: outRows)
            } else {
                scatterAddRows(src, indices: indices, weights: nil, count: indices.count,
                               width: width, out: base, outRows: outRows)
            }
        }
    }

    /// Σ over rows of [rows, cols] (cols values).
    public static func sumOverRows(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "sumOverRows: x is not [rows, cols]")
        return makeArray(cols) { sumOverRows(x, out: $0, rows: rows, cols: cols) }
    }

    /// Σ over columns of [rows, cols] (rows values).
    public static func sumOverCols(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "sumOverCols: x is not [rows, cols]")
        return makeArray(rows) { sumOverCols(x, out: $0, rows: rows, cols: cols) }
    }

    /// The maximum of each row of [rows, cols].
    public static func maxPerRow(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "maxPerRow: x is not [rows, cols]")
        return makeArray(rows) { maxPerRow(x, out: $0, rows: rows, cols: cols) }
    }

    /// Σ x.
    public static func sum(_ x: [Float]) -> Float { sum(x, count: x.count) }
    /// The mean of a non-empty x.
    public static func mean(_ x: [Float]) -> Float { mean(x, count: x.count) }
    /// The population variance of a non-empty x.
    public static func variance(_ x: [Float]) -> Float { variance(x, count: x.count) }
    /// CV² = population variance / (mean² + 1e−10) of a non-empty x.
    public static func coefficientOfVariationSquared(_ x: [Float]) -> Float {
        coefficientOfVariationSquared(x, count: x.count)
    }

    /// Row-wise layer norm of [rows, cols].
    public static func layerNorm(_ x: [Float], gamma: [Float]?, beta: [Float]?, eps: Float,
                                 rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "layerNorm: x is not [rows, cols]")
        precondition((gamma?.count ?? cols) == cols && (beta?.count ?? cols) == cols,
                     "layerNorm: gamma and beta need cols elements")
        let g = gamma ?? [], b = beta ?? []
        return makeArray(x.count) { out in
            g.withUnsafeBufferPointer { gp in
                b.withUnsafeBufferPointer { bp in
                    layerNorm(x, gamma: gamma == nil ? nil : gp.baseAddress,
                              beta: beta == nil ? nil : bp.baseAddress, eps: eps,
                              out: out, rows: rows, cols: cols)
                }
            }
        }
    }

    /// The [cols, rows] transpose of [rows, cols].
    public static func transpose(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(x.count == rows * cols, "transpose: x is not [rows, cols]")
        return makeArray(x.count) { transpose(x, out: $0, rows: rows, cols: cols) }
    }

    /// Columns start..<start+width of [rows, cols].
    public static func sliceColumns(_ x: [Float], rows: Int, cols: Int, start: Int, width: Int) -> [Float] {
        precondition(x.count == rows * cols, "sliceColumns: x is not [rows, cols]")
        return makeArray(rows * width) { sliceColumns(x, rows: rows, cols: cols, start: start, width: width, out: $0) }
    }

    /// [rows, cols_p] blocks side by side.
    public static func concatColumns(_ parts: [(data: [Float], cols: Int)], rows: Int) -> [Float] {
        precondition(parts.allSatisfy { $0.data.count == rows * $0.cols }, "concatColumns: a part is not [rows, cols]")
        let total = parts.reduce(0) { $0 + $1.cols }
        var out = [Float](repeating: 0, count: rows * total)
        var offset = 0
        for part in parts where part.cols > 0 && rows > 0 {
            part.data.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    copyBlock(p.baseAddress!, srcStride: part.cols, out: o.baseAddress! + offset,
                              outStride: total, rows: rows, cols: part.cols)
                }
            }
            offset += part.cols
        }
        return out
    }

    /// `count` draws mean + std·N(0, 1) from `generator`.
    public static func normal(count: Int, mean: Float = 0, std: Float = 1,
                              generator: inout SeededGenerator) -> [Float] {
        var g = generator
        defer { generator = g }
        return makeArray(count) { fillNormal($0, count: count, mean: mean, std: std, generator: &g) }
    }

    /// `count` draws uniform in [low, high) from `generator`.
    public static func uniform(count: Int, low: Float = 0, high: Float = 1,
                               generator: inout SeededGenerator) -> [Float] {
        var g = generator
        defer { generator = g }
        return makeArray(count) { fillUniform($0, count: count, low: low, high: high, generator: &g) }
    }
}
