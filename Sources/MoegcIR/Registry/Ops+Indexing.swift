/// Indexing and layout primitives that exported models use (ONNX Expand, GatherElements, GatherND,
/// ScatterElements, ScatterND, CumSum, OneHot, Trilu). Indices are i32; a negative index −s ≤ i < 0
/// counts from the end of its axis, as in ONNX; one out of range is an error when the node runs.
extension OpRegistry {
    static let indexingOps: [OpSchema] = [expand, gatherElements, gatherND, scatterElements, scatterND, cumsum, oneHot, trilu]

    static let reductions = ["none", "add", "mul", "max", "min"]

    static let expand = OpSchema(
        .expand, "broadcasts x to a shape (ONNX Expand: the result is the broadcast of x's shape and `shape`)",
        fusion: .injective, operands: .exactly(1),
        attributes: [AttributeSpec("shape", .intList(count: 0...64, each: 0...Int.max), "the shape broadcast with x's")],
        cost: { _, results in OpCost(bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0)
        let target = TensorType(x.dtype, shape: ctx.ints("shape"))
        return [try Rules.broadcast(x, target)]
    }

    static let gatherElements = OpSchema(
        .gather_elements, "out[i…] = x[i… with the axis coordinate replaced by idx[i…]] (ONNX GatherElements)",
        fusion: .injective, operands: .exactly(2),
        attributes: [AttributeSpec("axis", .int(anyInt), default: .int(0), "the axis indexed (negative counts from the end)")],
        cost: { ctx, results in OpCost(bytesRead: ctx.operand(1).expectedBytes + results[0].expectedBytes, bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), idx = ctx.operand(1)
        try Rules.integer(idx, "the indices of 'gather_elements'")
        guard x.rank == idx.rank, x.rank >= 1 else {
            throw ShapeError("'gather_elements' needs indices of the data's rank: \(idx) for \(x)")
        }
        _ = try Rules.axis(ctx.int("axis"), rank: x.rank, "'axis'")
        return [TensorType(x.dtype, idx.dims)]
    }

    static let gatherND = OpSchema(
        .gather_nd, "out[b…, p…, :] = x[b…, idx[b…, p…, 0], …, idx[b…, p…, m−1], :] (ONNX GatherND)",
        fusion: .injective, operands: .exactly(2),
        attributes: [AttributeSpec("batch_dims", .int(0...63), default: .int(0), "leading axes that data and indices share")],
        cost: { ctx, results in OpCost(bytesRead: ctx.operand(1).expectedBytes + results[0].expectedBytes, bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), idx = ctx.operand(1), b = ctx.int("batch_dims")
        try Rules.integer(idx, "the indices of 'gather_nd'")
        guard idx.rank >= 1, let m = idx.dims.last?.size, b < idx.rank, b + m <= x.rank, b < x.rank || m == 0,
              (0..<b).allSatisfy({ x.dims[$0].sameExtent(as: idx.dims[$0]) }) else {
            throw ShapeError("'gather_nd' cannot index \(x) with \(idx) (batch_dims \(b))")
        }
        return [TensorType(x.dtype, Array(idx.dims.dropLast()) + x.dims[(b + m)...])]
    }

    static let scatterElements = OpSchema(
        .scatter_elements, "a copy of x with x[i… with the axis coordinate replaced by idx[i…]] set to (or combined with) updates[i…] (ONNX ScatterElements)",
        fusion: .injective, operands: .exactly(3),
        attributes: [AttributeSpec("axis", .int(anyInt), default: .int(0), "the axis indexed (negative counts from the end)"),
                     AttributeSpec("reduction", .symbol(reductions), default: .symbol("none"), "how an update combines with the element")],
        cost: { ctx, results in OpCost(bytesRead: Rules.bytes(ctx.operandTypes), bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), idx = ctx.operand(1), u = ctx.operand(2)
        try Rules.integer(idx, "the indices of 'scatter_elements'")
        guard x.rank == idx.rank, idx.sameShape(as: TensorType(idx.dtype, u.dims)), u.dtype == x.dtype else {
            throw ShapeError("'scatter_elements' needs indices and updates of one shape and the data's rank: \(x), \(idx), \(u)")
        }
        _ = try Rules.axis(ctx.int("axis"), rank: x.rank, "'axis'")
        return [x]
    }

    static let scatterND = OpSchema(
        .scatter_nd, "a copy of x with the slices x[idx[p…, 0..<m], :] set to (or combined with) updates[p…, :] (ONNX ScatterND)",
        fusion: .injective, operands: .exactly(3),
        attributes: [AttributeSpec("reduction", .symbol(reductions), default: .symbol("none"), "how an update combines with the slice")],
        cost: { ctx, results in OpCost(bytesRead: Rules.bytes(ctx.operandTypes), bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), idx = ctx.operand(1), u = ctx.operand(2)
        try Rules.integer(idx, "the indices of 'scatter_nd'")
        guard idx.rank >= 1, let m = idx.dims.last?.size, m <= x.rank, u.dtype == x.dtype else {
            throw ShapeError("'scatter_nd' cannot index \(x) with \(idx)")
        }
        let want = Array(idx.dims.dropLast()) + x.dims[m...]
        guard u.rank == want.count, zip(u.dims, want).allSatisfy({ $0.sameExtent(as: $1) }) else {
            throw ShapeError("the updates of 'scatter_nd' must be \(TensorType(x.dtype, want)), got \(u)")
        }
        return [x]
    }

    static let cumsum = OpSchema(
        .cumsum, "running sums along an axis (exclusive: without the element itself; reverse: from the end)",
        fusion: .reduction, operands: .exactly(1),
        attributes: [AttributeSpec("axis", .int(anyInt), "the axis summed along (negative counts from the end)"),
                     AttributeSpec("exclusive", .bool, default: .bool(false), "leave the element itself out of its sum"),
                     AttributeSpec("reverse", .bool, default: .bool(false), "sum from the end of the axis")],
        cost: OpSchema.streamingCost(flopsPerElement: 1)
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0)
        _ = try Rules.axis(ctx.int("axis"), rank: x.rank, "'axis'")
        return [x]
    }

    static let oneHot = OpSchema(
        .one_hot, "one-hot rows: values[1] where the new axis' coordinate equals the index, values[0] elsewhere (ONNX OneHot)",
        fusion: .injective, operands: .exactly(2),
        attributes: [AttributeSpec("depth", .int(1...Int.max), "length of the new axis"),
                     AttributeSpec("axis", .int(anyInt), default: .int(-1), "where the new axis goes in the result (negative counts from the end)")],
        cost: { _, results in OpCost(bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let idx = ctx.operand(0), values = ctx.operand(1)
        try Rules.integer(idx, "the indices of 'one_hot'")
        guard values.rank == 1, values.dims[0].size == 2 else { throw ShapeError("the values of 'one_hot' must be [off, on], got \(values)") }
        let axis = try Rules.axis(ctx.int("axis"), rank: idx.rank + 1, "'axis'")
        var dims = idx.dims
        dims.insert(Dim(ctx.int("depth")), at: axis)
        return [TensorType(values.dtype, dims)]
    }

    static let trilu = OpSchema(
        .trilu, "the upper (c − r ≥ k) or lower (c − r ≤ k) triangle of each matrix of the last two axes, zero elsewhere",
        fusion: .elementwise, operands: .exactly(1),
        attributes: [AttributeSpec("upper", .bool, default: .bool(true), "keep the upper triangle (false: the lower)"),
                     AttributeSpec("k", .int(anyInt), default: .int(0), "the diagonal kept from: 0 the main one, > 0 above it")],
        cost: OpSchema.streamingCost(flopsPerElement: 1)
    ) { ctx throws(ShapeError) in
        try Rules.rank(ctx.operand(0), atLeast: 2, "the operand of 'trilu'")
        return [ctx.operand(0)]
    }
}
