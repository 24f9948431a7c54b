import MoegcSupport

/// Tensor primitives: contraction, data movement, reductions, normalisations, selection.
extension OpRegistry {
    static let tensorOps: [OpSchema] = [
        matmul, reshape, transpose, concat, slice, cast,
        reduction(.reduce_sum, "sum over axes"), reduction(.reduce_mean, "mean over axes"),
        reduction(.reduce_max, "maximum over axes"),
        axisOp(.softmax, "e^x / Σ e^x along an axis", flops: 5),
        axisOp(.log_softmax, "x − log Σ e^x along an axis", flops: 5),
        normalize, topK, gather, scatterAdd, pick, maskCausal,
    ]

    static let anyInt = Int.min...Int.max

    static let matmul = OpSchema(
        .matmul, "a·b for a [..., M, K] and b [K, N] (or batched [..., K, N]), optionally transposed",
        fusion: .outputFusable, operands: .exactly(2),
        attributes: [
            AttributeSpec("transpose_a", .bool, default: .bool(false), "use the transpose of a's last two axes"),
            AttributeSpec("transpose_b", .bool, default: .bool(false), "use the transpose of b's last two axes"),
        ],
        cost: { ctx, results in
            let a = ctx.operand(0), ta = ctx.bool("transpose_a")
            let k = Double(a.dims[a.rank - (ta ? 2 : 1)].expectedSize)
            return OpCost(macs: results[0].expectedElements * k, bytesRead: Rules.bytes(ctx.operandTypes),
                          bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let a = ctx.operand(0), b = ctx.operand(1)
        try Rules.rank(a, atLeast: 2, "the left operand of 'matmul'")
        try Rules.rank(b, atLeast: 2, "the right operand of 'matmul'")
        try Rules.float(a, "the left operand of 'matmul'")
        guard a.dtype == b.dtype else { throw ShapeError("'matmul' operands differ in type: \(a) and \(b)") }
        let (ta, tb) = (ctx.bool("transpose_a"), ctx.bool("transpose_b"))
        let m = a.dims[a.rank - (ta ? 1 : 2)], ka = a.dims[a.rank - (ta ? 2 : 1)]
        let kb = b.dims[b.rank - (tb ? 1 : 2)], n = b.dims[b.rank - (tb ? 2 : 1)]
        guard ka.sameExtent(as: kb) else {
            throw ShapeError("'matmul' contracts \(a) with \(b): inner dimensions \(ka) and \(kb) differ")
        }
        let batchA = Array(a.dims.dropLast(2)), batchB = Array(b.dims.dropLast(2))
        guard b.rank == 2 || (batchA.count == batchB.count && zip(batchA, batchB).allSatisfy { $0.sameExtent(as: $1) }) else {
            throw ShapeError("'matmul' batch dimensions of \(a) and \(b) differ")
        }
        return [TensorType(a.dtype, batchA + [m, n])]
    }

    static let reshape = OpSchema(
        .reshape, "the same elements in a new shape (one entry may be −1: inferred)", fusion: .injective,
        operands: .exactly(1),
        attributes: [AttributeSpec("shape", .intList(count: 0...64, each: -1...Int.max), "the new shape")],
        cost: { _, _ in OpCost() }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), target = ctx.ints("shape")
        guard !x.dims.contains(where: \.isDynamic) else { throw ShapeError("cannot reshape data-dependent \(x)") }
        guard let total = x.elementCount else { throw ShapeError("\(x) has too many elements") }
        guard target.filter({ $0 == -1 }).count <= 1 else { throw ShapeError("'shape' may hold one −1 at most") }
        var known = 1
        for t in target where t != -1 {
            let (p, o) = known.multipliedReportingOverflow(by: t)
            guard !o else { throw ShapeError("'shape' \(target) overflows") }
            known = p
        }
        var sizes = target
        if let i = target.firstIndex(of: -1) {
            guard known > 0, total % known == 0 else { throw ShapeError("cannot reshape \(x) to \(target)") }
            sizes[i] = total / known
        } else if known != total {
            throw ShapeError("cannot reshape \(x) (\(total) elements) to \(target) (\(known) elements)")
        }
        return [TensorType(x.dtype, spellReshape(x.dims, sizes))]
    }

    /// Target dimensions that are products of consecutive source dimensions keep a symbolic spelling.
    static func spellReshape(_ source: [Dim], _ sizes: [Int]) -> [Dim] {
        var out: [Dim] = []
        var i = 0
        for s in sizes {
            var acc: Dim? = i < source.count ? source[i] : nil
            var j = i + 1
            while let a = acc, a.size < s, j < source.count { acc = a.multiplied(by: source[j]); j += 1 }
            if let a = acc, a.size == s, s != 1 || source[i].size == 1 {
                out.append(a)
                i = j
            } else {
                out.append(Dim(s))
                i = source.count // lost track of the correspondence: plain sizes from here
            }
        }
        return out
    }

    static let transpose = OpSchema(
        .transpose, "permutes the axes: result axis i is input axis perm[i]", fusion: .injective,
        operands: .exactly(1),
        attributes: [AttributeSpec("perm", .intList(count: 0...64, each: 0...63), "the permutation")]
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), perm = ctx.ints("perm")
        guard perm.sorted() == Array(0..<x.rank) else {
            throw ShapeError("'perm' \(perm) is not a permutation of the \(x.rank) axes of \(x)")
        }
        return [TensorType(x.dtype, perm.map { x.dims[$0] })]
    }

    static let concat = OpSchema(
        .concat, "joins the operands along an axis", fusion: .injective, operands: .atLeast(1),
        attributes: [AttributeSpec("axis", .int(anyInt), "the axis to join along (negative counts from the end)")]
    ) { ctx throws(ShapeError) in
        let first = ctx.operand(0)
        let axis = try Rules.axis(ctx.int("axis"), rank: first.rank, "'axis'")
        var total = 0
        for (i, t) in ctx.operandTypes.enumerated() {
            guard t.dtype == first.dtype, t.rank == first.rank,
                  (0..<t.rank).allSatisfy({ $0 == axis || t.dims[$0].sameExtent(as: first.dims[$0]) }) else {
                throw ShapeError("operand \(i) of 'concat' is \(t), which does not fit \(first) along axis \(axis)")
            }
            guard !t.dims[axis].isDynamic else { throw ShapeError("cannot concatenate along data-dependent \(t)") }
            guard let sum = Sizes.sum(total, t.dims[axis].size) else { throw ShapeError("'concat' along axis \(axis) overflows a 64-bit dimension") }
            total = sum
        }
        var r = first
        r.dims[axis] = Dim(total)
        return [r]
    }

    static let slice = OpSchema(
        .slice, "the elements start..<end along an axis", fusion: .injective, operands: .exactly(1),
        attributes: [
            AttributeSpec("axis", .int(anyInt), "the axis (negative counts from the end)"),
            AttributeSpec("start", .int(0...Int.max), "first index"),
            AttributeSpec("end", .int(0...Int.max), "one past the last index (end = start: an empty slice)"),
        ]
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0)
        let axis = try Rules.axis(ctx.int("axis"), rank: x.rank, "'axis'")
        let (s, e) = (ctx.int("start"), ctx.int("end"))
        guard s <= e, e <= x.dims[axis].size, !x.dims[axis].isDynamic else {
            throw ShapeError("slice \(s)..<\(e) does not fit axis \(axis) of \(x)")
        }
        var r = x
        r.dims[axis] = Dim(e - s)
        return [r]
    }

    static let cast = OpSchema(
        .cast, "converts every element to another dtype", fusion: .elementwise, operands: .exactly(1),
        attributes: [AttributeSpec("to", .symbol(DType.allCases.map(\.rawValue)), "the element type of the result")],
        cost: OpSchema.streamingCost(flopsPerElement: 1)
    ) { ctx throws(ShapeError) in
        [TensorType(DType(rawValue: ctx.symbol("to")) ?? .f32, ctx.operand(0).dims)]
    }

    static func reduction(_ code: OpCode, _ summary: String) -> OpSchema {
        OpSchema(code, summary, fusion: .reduction, operands: .exactly(1),
                 attributes: [
                    AttributeSpec("axes", .intList(count: 1...64, each: -64...63), "the axes reduced"),
                    AttributeSpec("keep_dims", .bool, default: .bool(false), "keep reduced axes with size 1"),
                 ],
                 cost: { ctx, results in
                     OpCost(otherFlops: ctx.operand(0).expectedElements, bytesRead: ctx.operand(0).expectedBytes,
                            bytesWritten: results[0].expectedBytes)
                 }) { ctx throws(ShapeError) in
            let x = ctx.operand(0)
            var axes = Set<Int>()
            for a in ctx.ints("axes") {
                guard axes.insert(try Rules.axis(a, rank: x.rank, "axis")).inserted else {
                    throw ShapeError("axis \(a) is listed twice")
                }
            }
            var dims: [Dim] = []
            for (i, d) in x.dims.enumerated() {
                if !axes.contains(i) { dims.append(d) } else if ctx.bool("keep_dims") { dims.append(Dim(1)) }
            }
            return [TensorType(x.dtype, dims)]
        }
    }

    static func axisOp(_ code: OpCode, _ summary: String, flops: Double) -> OpSchema {
        OpSchema(code, summary, fusion: .reduction, operands: .exactly(1),
                 attributes: [AttributeSpec("axis", .int(anyInt), default: .int(-1), "the axis normalised over")],
                 cost: OpSchema.streamingCost(flopsPerElement: flops)) { ctx throws(ShapeError) in
            let x = ctx.operand(0)
            try Rules.float(x, "the operand of '\(code)'")
            _ = try Rules.axis(ctx.int("axis"), rank: x.rank, "'axis'")
            return [x]
        }
    }

    static let normalize = OpSchema(
        .normalize, "(x − mean) / √(variance + eps) over the last axis", fusion: .reduction, operands: .exactly(1),
        attributes: [AttributeSpec("eps", .float(0...1), default: .float(1e-6), "added to the variance")],
        cost: OpSchema.streamingCost(flopsPerElement: 6)
    ) { ctx throws(ShapeError) in
        try Rules.rank(ctx.operand(0), atLeast: 1, "the operand of 'normalize'")
        try Rules.float(ctx.operand(0), "the operand of 'normalize'")
        return [ctx.operand(0)]
    }

    static let topK = OpSchema(
        .top_k, "the k largest entries of each row (descending, ties to the lower index) and their indices",
        fusion: .reduction, operands: .exactly(1), results: .exactly(2), resultNames: ["values", "indices"],
        attributes: [AttributeSpec("k", .int(1...Int.max), "entries kept per row")],
        cost: { ctx, results in
            let x = ctx.operand(0)
            return OpCost(otherFlops: x.expectedElements * 2, bytesRead: x.expectedBytes, bytesWritten: Rules.bytes(results))
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), k = ctx.int("k")
        try Rules.rank(x, atLeast: 1, "the operand of 'top_k'")
        guard let n = x.dims.last, k <= n.size, !n.isDynamic else {
            throw ShapeError("'k' (\(k)) exceeds the last dimension of \(x)")
        }
        return [Rules.withLast(x, k), Rules.withLast(x, k, dtype: .i32)]
    }

    static let gather = OpSchema(
        .gather, "slices of a table along an axis: out[o…, i…, r…] = table[o…, idx[i…], r…] (axis 0: rows, out[i…, :] = table[idx[i…], :])",
        fusion: .injective, operands: .exactly(2),
        attributes: [AttributeSpec("axis", .int(anyInt), default: .int(0), "the axis indexed (negative counts from the end)"),
                     AttributeSpec("wrap_negative", .bool, default: .bool(false),
                                   "an index −s ≤ i < 0 counts from the end, as in ONNX and NumPy (false: a negative index is an error)")],
        cost: { ctx, results in
            OpCost(bytesRead: ctx.operand(1).expectedBytes + results[0].expectedBytes, bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let table = ctx.operand(0), idx = ctx.operand(1)
        try Rules.rank(table, atLeast: 1, "the table of 'gather'")
        try Rules.integer(idx, "the indices of 'gather'")
        let axis = try Rules.axis(ctx.int("axis"), rank: table.rank, "'axis'")
        guard !table.dims[axis].isDynamic else { throw ShapeError("cannot gather along data-dependent \(table)") }
        return [TensorType(table.dtype, Array(table.dims[..<axis]) + idx.dims + table.dims[(axis + 1)...])]
    }

    static let scatterAdd = OpSchema(
        .scatter_add, "out[idx[i], :] += w[i] · src[i, :] into `rows` zero rows (weights optional)",
        fusion: .injective, operands: .range(2, 3),
        attributes: [AttributeSpec("rows", .int(1...Int.max), "rows of the result")],
        cost: { ctx, results in
            OpCost(otherFlops: ctx.operand(0).expectedElements * 2, bytesRead: Rules.bytes(ctx.operandTypes) * 2,
                   bytesWritten: results[0].expectedBytes + ctx.operand(0).expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let src = ctx.operand(0), idx = ctx.operand(1)
        try Rules.rank(src, atLeast: 1, "the source of 'scatter_add'")
        try Rules.integer(idx, "the indices of 'scatter_add'")
        guard idx.rank == 1, idx.dims[0].sameExtent(as: src.dims[0]) else {
            throw ShapeError("the indices of 'scatter_add' must be one per source row: \(idx) for \(src)")
        }
        if ctx.operandTypes.count == 3 {
            let w = ctx.operand(2)
            guard w.rank == 1, w.dims[0].sameExtent(as: src.dims[0]), w.dtype == src.dtype else {
                throw ShapeError("the weights of 'scatter_add' must be one per source row: \(w) for \(src)")
            }
        }
        return [TensorType(src.dtype, [Dim(ctx.int("rows"))] + src.dims.dropFirst())]
    }

    static let pick = OpSchema(
        .pick, "one entry of each row: out[i…] = x[i…, idx[i…]] (the target's log-probability)", fusion: .injective,
        operands: .exactly(2),
        cost: { ctx, results in
            OpCost(bytesRead: ctx.operand(1).expectedBytes + results[0].expectedBytes, bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), idx = ctx.operand(1)
        try Rules.rank(x, atLeast: 1, "the rows of 'pick'")
        try Rules.integer(idx, "the indices of 'pick'")
        guard idx.rank == x.rank - 1, zip(idx.dims, x.dims).allSatisfy({ $0.sameExtent(as: $1) }) else {
            throw ShapeError("the indices of 'pick' must have the shape of the rows without the last axis: \(idx) for \(x)")
        }
        return [TensorType(x.dtype, idx.dims)]
    }

    static let maskCausal = OpSchema(
        .mask_causal, "sets x[…, i, j] to −∞ where j > i + (columns − rows): attention to later positions is masked",
        fusion: .elementwise, operands: .exactly(1), cost: OpSchema.streamingCost(flopsPerElement: 1)
    ) { ctx throws(ShapeError) in
        try Rules.rank(ctx.operand(0), atLeast: 2, "the scores of 'mask_causal'")
        try Rules.float(ctx.operand(0), "the scores of 'mask_causal'")
        return [ctx.operand(0)]
    }
}
