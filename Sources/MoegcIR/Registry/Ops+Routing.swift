/// Primitives the MoE lowering produces: routing sorted by expert (Shazeer et al. §3, the
/// "convolutional" batch), per-expert dispatch, gate-weighted combine, and the auxiliary-loss
/// statistics (importance, the normal-CDF load estimator, hierarchical load, CV²).
///
/// Rows an expert receives are known only when the gate has run: `moe_route` and `moe_dispatch`
/// produce data-dependent dimensions `?expected<=bound`; cost models use the expected size, the
/// executors the real one.
extension OpRegistry {
    static let routingOps: [OpSchema] = [route, dispatch, segment, combine, importance, loadEstimate, loadCount, groupLoad, cvSquared]

    static let route = OpSchema(
        .moe_route,
        "sorts token→expert assignments by expert: positions (CSR offsets per expert), tokens (row of each assignment), weights (its gate); with a capacity, assignments past it are dropped, first choices of every token before second choices (GShard/Switch)",
        fusion: .opaque, operands: .exactly(2), results: .exactly(3), resultNames: ["positions", "tokens", "weights"],
        attributes: [
            AttributeSpec("experts", .int(1...Int.max), "number of experts n"),
            AttributeSpec("capacity", .int(0...Int.max), default: .int(0), "rows an expert accepts at most (0: no limit, dropless)"),
        ],
        cost: { ctx, results in
            let a = ctx.operand(0).expectedElements
            return OpCost(otherFlops: 4 * a, bytesRead: Rules.bytes(ctx.operandTypes), bytesWritten: Rules.bytes(results))
        }
    ) { ctx throws(ShapeError) in
        let idx = ctx.operand(0), gates = ctx.operand(1)
        try Rules.integer(idx, "the expert indices of 'moe_route'")
        try Rules.rank(idx, exactly: 2, "the expert indices of 'moe_route' ([rows, k])")
        guard gates.rank == 2, gates.dtype == .f32, gates.dims[0].sameExtent(as: idx.dims[0]), gates.dims[1].sameExtent(as: idx.dims[1]) else {
            throw ShapeError("the gates of 'moe_route' must be f32 of the indices' shape: \(gates) for \(idx)")
        }
        let n = ctx.int("experts"), cap = ctx.int("capacity")
        let (assignments, overflow) = idx.dims[0].size.multipliedReportingOverflow(by: idx.dims[1].size)
        guard !overflow else { throw ShapeError("too many assignments in \(idx)") }
        let k = Double(idx.dims[1].size), rows = idx.dims[0].expectedSize
        var expected = rows * k
        if cap > 0 { expected = min(expected, Double(n) * min(Double(cap), rows * k / Double(n))) }
        let bound = cap > 0 ? min(assignments, n * cap) : assignments
        let listDim = Dim.dynamic(expected: min(expected, Double(bound)), max: bound)
        return [TensorType(.i32, shape: [n + 1]), TensorType(.i32, [listDim]), TensorType(.f32, [listDim])]
    }

    static let dispatch = OpSchema(
        .moe_dispatch, "the rows routed to one expert, in routing order: out[p] = x[tokens[positions[e] + p]] for e = index",
        fusion: .injective, operands: .exactly(3),
        attributes: [
            AttributeSpec("index", .int(0...Int.max), "which expert e of the routing"),
            AttributeSpec("capacity", .int(0...Int.max), default: .int(0), "the routing's capacity (bounds the rows; 0: none)"),
        ],
        cost: { _, results in OpCost(bytesRead: results[0].expectedBytes * 1.1, bytesWritten: results[0].expectedBytes) },
        verify: { ctx in
            let n = ctx.operand(1).dims.first.map { $0.size - 1 } ?? 0
            return ctx.int("index") < n ? nil : "'index' (\(ctx.int("index"))) must be below the routing's \(n) experts"
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), positions = ctx.operand(1), tokens = ctx.operand(2)
        try Rules.rank(x, exactly: 2, "the rows of 'moe_dispatch'")
        try routing(positions, tokens, "moe_dispatch")
        let n = positions.dims[0].size - 1, cap = ctx.int("capacity")
        let bound = cap > 0 ? min(cap, x.dims[0].size) : x.dims[0].size
        let expected = min(Double(bound), tokens.dims[0].expectedSize / Double(max(1, n)))
        return [TensorType(x.dtype, [Dim.dynamic(expected: expected, max: bound), x.dims[1]])]
    }

    static let segment = OpSchema(
        .moe_segment, "one expert's stretch of a list in routing order: out[p] = list[positions[e] + p] (the primary gate of each row a group receives)",
        fusion: .injective, operands: .exactly(2),
        attributes: [AttributeSpec("index", .int(0...Int.max), "which expert (or group) e of the routing")],
        cost: { _, results in OpCost(bytesRead: results[0].expectedBytes, bytesWritten: results[0].expectedBytes) },
        verify: { ctx in
            let n = ctx.operand(1).dims.first.map { $0.size - 1 } ?? 0
            return ctx.int("index") < n ? nil : "'index' (\(ctx.int("index"))) must be below the routing's \(n) experts"
        }
    ) { ctx throws(ShapeError) in
        let list = ctx.operand(0), positions = ctx.operand(1)
        try Rules.rank(list, exactly: 1, "the list of 'moe_segment'")
        guard positions.dtype == .i32, positions.rank == 1, positions.dims[0].size >= 2 else {
            throw ShapeError("the positions of 'moe_segment' must be i32[experts + 1], got \(positions)")
        }
        let n = Double(positions.dims[0].size - 1)
        return [TensorType(list.dtype, [Dim.dynamic(expected: list.dims[0].expectedSize / n, max: list.dims[0].size)])]
    }

    static func routing(_ positions: TensorType, _ tokens: TensorType, _ what: String) throws(ShapeError) {
        guard positions.dtype == .i32, positions.rank == 1, positions.dims[0].size >= 2, !positions.dims[0].isDynamic else {
            throw ShapeError("the positions of '\(what)' must be i32[experts + 1], got \(positions)")
        }
        guard tokens.dtype == .i32, tokens.rank == 1 else {
            throw ShapeError("the tokens of '\(what)' must be a list of i32, got \(tokens)")
        }
    }

    static let combine = OpSchema(
        .moe_combine,
        "gate-weighted sum back to row order: out = 0; out[tokens[p]] += weights[p] · y_e[p − positions[e]] for every expert e",
        fusion: .opaque, operands: .atLeast(5),
        cost: { ctx, results in
            let ys = ctx.operandTypes.dropFirst(4)
            let rows = ys.reduce(0) { $0 + $1.expectedBytes }
            return OpCost(otherFlops: 2 * ys.reduce(0) { $0 + $1.expectedElements },
                          bytesRead: rows + results[0].expectedBytes, bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0), positions = ctx.operand(1), tokens = ctx.operand(2), weights = ctx.operand(3)
        try Rules.rank(x, exactly: 2, "the rows of 'moe_combine'")
        try routing(positions, tokens, "moe_combine")
        guard weights.dtype == .f32, weights.rank == 1, weights.dims[0].sameExtent(as: tokens.dims[0]) else {
            throw ShapeError("the weights of 'moe_combine' must be f32, one per routed row: \(weights) for \(tokens)")
        }
        let ys = Array(ctx.operandTypes.dropFirst(4))
        let n = positions.dims[0].size - 1
        guard ys.count == n else { throw ShapeError("'moe_combine' has \(n) experts in its routing but \(ys.count) expert outputs") }
        let width = ys[0].dims.last!
        for y in ys {
            guard y.rank == 2, y.dtype == x.dtype, y.dims[1].sameExtent(as: width) else {
                throw ShapeError("expert output \(y) of 'moe_combine' does not match \(ys[0])")
            }
        }
        return [TensorType(x.dtype, [x.dims[0], width])]
    }

    static let importance = OpSchema(
        .moe_importance,
        "Importance(X)ᵢ = Σₓ scale(x)·G(x)ᵢ from each row's k (expert, gate) pairs; the optional per-row scale carries the primary gate of a hierarchical MoE (Eq 13)",
        fusion: .opaque, operands: .range(2, 3),
        attributes: [AttributeSpec("experts", .int(1...Int.max), "number of experts n")],
        cost: OpSchema.streamingCost(flopsPerElement: 0)
    ) { ctx throws(ShapeError) in
        let idx = ctx.operand(0), gates = ctx.operand(1)
        try Rules.integer(idx, "the expert indices of 'moe_importance'")
        guard idx.rank == 2, gates.rank == 2, gates.dtype == .f32, idx.dims[0].sameExtent(as: gates.dims[0]),
              idx.dims[1].sameExtent(as: gates.dims[1]) else {
            throw ShapeError("'moe_importance' needs indices and gates of one [rows, k] shape: \(idx) and \(gates)")
        }
        if ctx.operandTypes.count == 3 {
            let s = ctx.operand(2)
            guard s.rank == 1, s.dtype == .f32, s.dims[0].compatible(with: idx.dims[0]) else {
                throw ShapeError("the row scale of 'moe_importance' must be f32, one per row: \(s)")
            }
        }
        return [TensorType(.f32, shape: [ctx.int("experts")])]
    }

    static let loadEstimate = OpSchema(
        .moe_load_estimate,
        "the smooth load estimator Load(X)ᵢ = Σₓ Φ((clean(x)ᵢ − kth_excluding(H(x), k, i)) / std(x)ᵢ); the threshold is the (k+1)-th largest noisy logit when noisy(x)ᵢ exceeds it (i is in the top k), else the k-th",
        fusion: .opaque, operands: .exactly(4),
        attributes: [AttributeSpec("k", .int(1...Int.max), "experts kept per row")],
        cost: OpSchema.streamingCost(flopsPerElement: 14)
    ) { ctx throws(ShapeError) in
        let clean = ctx.operand(0), k = ctx.int("k")
        try Rules.rank(clean, exactly: 2, "the clean logits of 'moe_load_estimate'")
        for i in 1...2 where !ctx.operand(i).sameShape(as: clean) {
            throw ShapeError("operand \(i) of 'moe_load_estimate' must match the clean logits \(clean), got \(ctx.operand(i))")
        }
        let top = ctx.operand(3)
        guard top.rank == 2, top.dims[0].sameExtent(as: clean.dims[0]), top.dims[1].size == k + 1 else {
            throw ShapeError("the top values of 'moe_load_estimate' must be [rows, k + 1] = [\(clean.dims[0]), \(k + 1)], got \(top)")
        }
        return [TensorType(.f32, [clean.dims[1]])]
    }

    static let loadCount = OpSchema(
        .moe_load_count, "Load(X)ᵢ = the number of rows that chose expert i (the load without noise)",
        fusion: .opaque, operands: .exactly(1),
        attributes: [AttributeSpec("experts", .int(1...Int.max), "number of experts n")],
        cost: OpSchema.streamingCost(flopsPerElement: 0)
    ) { ctx throws(ShapeError) in
        try Rules.integer(ctx.operand(0), "the expert indices of 'moe_load_count'")
        return [TensorType(.f32, shape: [ctx.int("experts")])]
    }

    static let groupLoad = OpSchema(
        .moe_group_load,
        "hierarchical load (Eq 14): Load_H(X)ᵢ,ⱼ = Load_primary(X)ᵢ · Loadᵢ(X⁽ⁱ⁾)ⱼ / |X⁽ⁱ⁾|, |X⁽ⁱ⁾| the rows routed to group i (0 for a group with none)",
        fusion: .opaque, operands: .atLeast(3),
        cost: OpSchema.streamingCost(flopsPerElement: 2)
    ) { ctx throws(ShapeError) in
        let primary = ctx.operand(0), positions = ctx.operand(1)
        let groups = Array(ctx.operandTypes.dropFirst(2))
        guard primary.rank == 1, primary.dtype == .f32, positions.dtype == .i32, positions.rank == 1,
              positions.dims[0].size == primary.dims[0].size + 1, groups.count == primary.dims[0].size else {
            throw ShapeError("'moe_group_load' needs the primary load f32[a], its positions i32[a + 1] and a group loads; got \(primary), \(positions) and \(groups.count)")
        }
        let b = groups[0].dims.first?.size ?? 0
        for g in groups where g.rank != 1 || g.dims[0].size != b || g.dtype != .f32 {
            throw ShapeError("group loads of 'moe_group_load' must all be f32[\(b)], got \(g)")
        }
        return [TensorType(.f32, shape: [groups.count * b])]
    }

    static let cvSquared = OpSchema(
        .cv_squared, "the squared coefficient of variation of a vector: population variance / (mean² + 1e−10)",
        fusion: .reduction, operands: .exactly(1), cost: OpSchema.streamingCost(flopsPerElement: 3)
    ) { ctx throws(ShapeError) in
        let v = ctx.operand(0)
        try Rules.rank(v, exactly: 1, "the operand of 'cv_squared'")
        try Rules.float(v, "the operand of 'cv_squared'")
        return [TensorType(v.dtype, [])]
    }
}
