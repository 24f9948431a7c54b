import MoegcIR
import MoegcKernels

/// Contraction, data movement, reductions and normalisations.
extension NodeExecutor {
    /// a [..., M, K] · b [K, N] or batched b [..., K, N], either operand transposed in its last two
    /// axes. When b is a weight packed beforehand (`packed`: op(b) per batch, one for an
    /// unbatched b) the packed-weight kernel runs, else cblas_sgemm. Unbatched b with untransposed
    /// a is one call over all of a's rows; a transposed a is copied to row-major [M, K] first on
    /// the packed path.
    func matmul(_ a: HostTensor, _ b: HostTensor, _ ctx: OpContext, packed: [PackedMatrix]? = nil) throws(ExecutionError) -> HostTensor {
        let ta = ctx.bool("transpose_a"), tb = ctx.bool("transpose_b")
        let ar = a.rank, br = b.rank
        let m = a.shape[ar - (ta ? 1 : 2)], k = a.shape[ar - (ta ? 2 : 1)]
        let n = b.shape[br - (tb ? 2 : 1)]
        let batch = Array(a.shape.dropLast(2)), batches = batch.reduce(1, *)
        let shape = batch + [m, n]
        if let packed {
            guard packed.count == (br == 2 ? 1 : batches), packed.allSatisfy({ $0.rows == k && $0.columns == n }) else {
                throw ExecutionError("internal error: the packed weight of a matmul is not [\(k), \(n)] per batch")
            }
            return a.withFloats { pa in
                makeFloats(shape) { out, _ in
                    if !ta && br == 2 {
                        Kernels.matmul(m: batches * m, a: pa, packed: packed[0], c: out)
                    } else if !ta {
                        for i in 0..<batches { Kernels.matmul(m: m, a: pa + i * m * k, packed: packed[i], c: out + i * m * n) }
                    } else {
                        var rowMajor = [Float](repeating: 0, count: max(1, m * k))
                        rowMajor.withUnsafeMutableBufferPointer { scratch in
                            let s = scratch.baseAddress!
                            for i in 0..<batches {
                                Kernels.transpose(pa + i * m * k, out: s, rows: k, cols: m)
                                Kernels.matmul(m: m, a: s, packed: packed[br == 2 ? 0 : i], c: out + i * m * n)
                            }
                        }
                    }
                }
            }
        }
        let opA: Transpose = ta ? .transposed : .none, opB: Transpose = tb ? .transposed : .none
        return a.withFloats { pa in
            b.withFloats { pb in
                makeFloats(shape) { out, _ in
                    if br == 2 && !ta {
                        Kernels.matmul(transB: opB, m: batches * m, n: n, k: k, a: pa, b: pb, c: out)
                    } else {
                        let bStride = br == 2 ? 0 : k * n
                        for i in 0..<batches {
                            Kernels.matmul(transA: opA, transB: opB, m: m, n: n, k: k, a: pa + i * m * k,
                                           b: pb + i * bStride, c: out + i * m * n)
                        }
                    }
                }
            }
        }
    }

    func transpose(_ x: HostTensor, perm: [Int]) -> HostTensor {
        let shape = perm.map { x.shape[$0] }
        if x.rank == 2 && perm == [1, 0] {
            return x.withFloats { px in makeFloats(shape) { out, _ in Kernels.transpose(px, out: out, rows: x.shape[0], cols: x.shape[1]) } }
        }
        // out[i…] = x[j…] with j[perm[d]] = i[d]: walk the output with the input's strides permuted.
        var inStrides = [Int](repeating: 1, count: x.rank)
        for d in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * x.shape[d + 1] }
        let strides = perm.map { inStrides[$0] }
        func walk<T>(_ src: [T], _ zero: T) -> [T] {
            var out = [T](repeating: zero, count: x.count)
            var index = [Int](repeating: 0, count: shape.count), off = 0
            for i in 0..<x.count {
                out[i] = src[off]
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    off += strides[d]
                    if index[d] < shape[d] { break }
                    off -= strides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(shape, floats: walk(v, 0))
        case .i32(let v): return HostTensor(shape, ints: walk(v, 0))
        }
    }

    /// Splits `shape` at `axis` into (outer, the axis and everything after it as one chunk).
    static func chunks(_ shape: [Int], _ axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *))
    }

    func concat(_ xs: [HostTensor], axis a: Int) -> HostTensor {
        let axis = a < 0 ? a + xs[0].rank : a
        var shape = xs[0].shape
        shape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
        let outer = shape[..<axis].reduce(1, *)
        func join<T>(_ parts: [[T]]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            let inners = xs.map { NodeExecutor.chunks($0.shape, axis).inner }
            for o in 0..<outer {
                for (p, inner) in zip(parts, inners) { out.append(contentsOf: p[(o * inner)..<((o + 1) * inner)]) }
            }
            return out
        }
        if case .i32 = xs[0].storage { return HostTensor(shape, ints: join(xs.map(\.ints))) }
        return HostTensor(shape, floats: join(xs.map(\.floats)))
    }

    func slice(_ x: HostTensor, axis a: Int, _ start: Int, _ end: Int) -> HostTensor {
        let axis = a < 0 ? a + x.rank : a
        var shape = x.shape
        shape[axis] = end - start
        let (outer, inner) = NodeExecutor.chunks(x.shape, axis)
        let step = inner / max(1, x.shape[axis])
        func cut<T>(_ v: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer { out.append(contentsOf: v[(o * inner + start * step)..<(o * inner + end * step)]) }
            return out
        }
        if case .i32(let v) = x.storage { return HostTensor(shape, ints: cut(v)) }
        return HostTensor(shape, floats: cut(x.floats))
    }

    enum Reduction { case sum, mean, max }

    /// Reduces over the node's axes: the result element for an input index drops the reduced axes.
    func reduce(_ x: HostTensor, _ ctx: OpContext, _ kind: Reduction) -> HostTensor {
        let axes = Set(ctx.ints("axes").map { $0 < 0 ? $0 + x.rank : $0 })
        let keep = ctx.bool("keep_dims")
        var outShape: [Int] = [], reducedShape = x.shape
        for (d, size) in x.shape.enumerated() {
            if axes.contains(d) { if keep { outShape.append(1) }; reducedShape[d] = 1 } else { outShape.append(size) }
        }
        // n: the elements each output reduces (0 over an empty axis: the mean of nothing is NaN, as in numpy and onnxruntime).
        let outCount = outShape.reduce(1, *), n = axes.reduce(1) { $0 * x.shape[$1] }
        var acc = [Double](repeating: kind == .max ? -.infinity : 0, count: outCount)
        let v = x.floats
        let cols = x.shape.last ?? 1
        if axes == [x.rank - 1] {
            for r in 0..<outCount {
                for c in 0..<cols { acc[r] = kind == .max ? Swift.max(acc[r], Double(v[r * cols + c])) : acc[r] + Double(v[r * cols + c]) }
            }
        } else {
            var index = [Int](repeating: 0, count: x.rank)
            let outStrides = NodeExecutor.broadcastStrides(reducedShape, in: x.shape)
            var off = 0
            for i in 0..<x.count {
                acc[off] = kind == .max ? Swift.max(acc[off], Double(v[i])) : acc[off] + Double(v[i])
                var d = x.rank - 1
                while d >= 0 {
                    index[d] += 1
                    off += outStrides[d]
                    if index[d] < x.shape[d] { break }
                    off -= outStrides[d] * x.shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return HostTensor(outShape, floats: acc.map { Float(kind == .mean ? $0 / Double(n) : $0) })
    }

    func softmax(_ x: HostTensor, axis a: Int, log: Bool) throws(ExecutionError) -> HostTensor {
        let axis = a < 0 ? a + x.rank : a
        guard axis == x.rank - 1 else {
            let perm = Array(0..<axis) + Array((axis + 1)..<x.rank) + [axis]
            let moved = try softmax(transpose(x, perm: perm), axis: -1, log: log)
            var back = [Int](repeating: 0, count: x.rank)
            for (i, p) in perm.enumerated() { back[p] = i }
            return transpose(moved, perm: back)
        }
        let (rows, cols) = x.rowsAndCols
        return x.withFloats { px in
            makeFloats(x.shape) { out, _ in
                if log { Kernels.logSoftmax(px, out: out, rows: rows, cols: cols) } else { Kernels.softmax(px, out: out, rows: rows, cols: cols) }
            }
        }
    }

    func normalize(_ x: HostTensor, eps: Float) -> HostTensor {
        let (rows, cols) = x.rowsAndCols
        return x.withFloats { px in
            makeFloats(x.shape) { out, _ in Kernels.layerNorm(px, gamma: nil, beta: nil, eps: eps, out: out, rows: rows, cols: cols) }
        }
    }

    func topK(_ x: HostTensor, k: Int) -> [HostTensor] {
        let (rows, n) = x.rowsAndCols
        var shape = x.shape
        shape[shape.count - 1] = k
        var indices = HostTensor(zeros: .i32, shape)
        let values = x.withFloats { px in
            makeFloats(shape) { vs, _ in
                var ix = indices.ints
                ix.withUnsafeMutableBufferPointer { Kernels.topK(px, rows: rows, n: n, k: k, values: vs, indices: $0.baseAddress!) }
                indices.ints = ix
            }
        }
        return [values, indices]
    }

    /// Checks every index of `idx` lies in 0..<bound, naming the node on failure.
    static func checkIndices(_ idx: HostTensor, below bound: Int, _ what: String, _ name: String) throws(ExecutionError) {
        if let bad = idx.ints.first(where: { $0 < 0 || Int($0) >= bound }) {
            throw ExecutionError("index \(bad) out of range 0..<\(bound) for the \(what) of %\(name)")
        }
    }

    func gather(_ table: HostTensor, _ idx: HostTensor, _ name: String) throws(ExecutionError) -> HostTensor {
        let rows = table.shape.first ?? 0, width = table.shape.dropFirst().reduce(1, *)
        try NodeExecutor.checkIndices(idx, below: rows, "table", name)
        let shape = idx.shape + table.shape.dropFirst()
        if case .i32(let v) = table.storage {
            let ids = idx.ints
            var out = [Int32]()
            out.reserveCapacity(ids.count * width)
            for i in ids { out.append(contentsOf: v[(Int(i) * width)..<((Int(i) + 1) * width)]) }
            return HostTensor(shape, ints: out)
        }
        return table.withFloats { pt in
            idx.withInts { pi in makeFloats(shape) { out, _ in Kernels.gatherRows(pt, srcRows: rows, indices: pi, count: idx.count, width: width, out: out) } }
        }
    }

    func scatterAdd(_ src: HostTensor, _ idx: HostTensor, _ w: HostTensor?, rows: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        try NodeExecutor.checkIndices(idx, below: rows, "result rows", name)
        let width = src.shape.dropFirst().reduce(1, *)
        var out = HostTensor(zeros: .f32, [rows] + src.shape.dropFirst())
        var o = out.floats
        src.withFloats { ps in
            idx.withInts { pi in
                o.withUnsafeMutableBufferPointer { po in
                    if let w {
                        w.withFloats { pw in Kernels.scatterAddRows(ps, indices: pi, weights: pw, count: idx.count, width: width, out: po.baseAddress!, outRows: rows) }
                    } else {
                        Kernels.scatterAddRows(ps, indices: pi, weights: nil, count: idx.count, width: width, out: po.baseAddress!, outRows: rows)
                    }
                }
            }
        }
        out.floats = o
        return out
    }

    func pick(_ x: HostTensor, _ idx: HostTensor, _ name: String) throws(ExecutionError) -> HostTensor {
        let cols = x.shape.last ?? 1
        try NodeExecutor.checkIndices(idx, below: cols, "last axis", name)
        let v = x.floats, ids = idx.ints
        return HostTensor(idx.shape, floats: ids.enumerated().map { v[$0.offset * cols + Int($0.element)] })
    }

    /// −∞ where column j > i + (cols − rows) in each [rows, cols] matrix of the last two axes.
    func maskCausal(_ x: HostTensor) -> HostTensor {
        let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1], shift = cols - rows
        var v = x.floats
        for base in stride(from: 0, to: v.count, by: max(1, rows * cols)) {
            for i in 0..<rows where i + shift + 1 < cols {
                for j in max(0, i + shift + 1)..<cols { v[base + i * cols + j] = -.infinity }
            }
        }
        return HostTensor(x.shape, floats: v)
    }
}
