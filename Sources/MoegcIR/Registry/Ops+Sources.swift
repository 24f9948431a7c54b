/// Ops that define data rather than compute it from operands, and foreign ops known by their costs.
extension OpRegistry {
    static let sourceOps: [OpSchema] = [param, fill, constant, randomNormal, randomIds, opaque]

    static let param = OpSchema(
        .param, "a weight tensor with an init rule; its type is written in the text", fusion: .source,
        operands: .exactly(0),
        attributes: [
            AttributeSpec("init", .symbol(["zeros", "ones", "normal", "uniform", "data"]),
                          "how the weight starts; data: its values are the model's own (imported from ONNX, read from a weights file) and must be given"),
            AttributeSpec("scale", .float(0...Double.greatestFiniteMagnitude), default: .float(0),
                          "standard deviation (normal) or limit (uniform)"),
        ],
        explicitResultTypes: true, isWeight: true,
        cost: { _, _ in OpCost() }
    ) { ctx throws(ShapeError) in [try ctx.declared(0)] }

    static let fill = OpSchema(
        .fill, "a tensor with every element equal to value (initial LSTM states); its type is written in the text",
        fusion: .source, operands: .exactly(0),
        attributes: [AttributeSpec("value", .float(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude),
                                   default: .float(0), "the element value")],
        explicitResultTypes: true,
        cost: { _, results in OpCost(bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in [try ctx.declared(0)] }

    static let constant = OpSchema(
        .constant, "an integer tensor written out in the text (indices, shapes of imported models); its type is written in the text",
        fusion: .source, operands: .exactly(0),
        attributes: [AttributeSpec("values", .intList(count: 0...Int.max, each: Int(Int32.min)...Int(Int32.max)),
                                   "the elements in row-major order (one value fills the whole tensor)")],
        explicitResultTypes: true,
        cost: { _, _ in OpCost() },
        verify: { ctx in
            guard let t = ctx.declaredResultTypes.first ?? nil, let n = t.elementCount else { return nil }
            let count = ctx.ints("values").count
            return count == n || count == 1 ? nil : "'values' holds \(count) elements; the type \(t) needs \(n) (or one to fill it)"
        }
    ) { ctx throws(ShapeError) in
        let t = try ctx.declared(0)
        guard t.dtype.isInteger else { throw ShapeError("'constant' holds integers: its type must be i32 or i64, got \(t)") }
        return [t]
    }

    static let randomIds = OpSchema(
        .random_ids, "integers drawn uniformly from 0..<high (sampled-softmax negatives), from the run's seed and this node's stream",
        fusion: .source, operands: .exactly(0),
        attributes: [
            AttributeSpec("high", .int(1...Int.max), "one past the largest id"),
            AttributeSpec("stream", .int(0...Int.max), "index of the random stream (distinct per node)"),
        ],
        explicitResultTypes: true,
        cost: { _, results in OpCost(otherFlops: 4 * results[0].expectedElements, bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let t = try ctx.declared(0)
        guard t.dtype.isInteger else { throw ShapeError("'random_ids' must produce i32 or i64") }
        return [t]
    }

    static let randomNormal = OpSchema(
        .random_normal, "N(0, 1) samples shaped like the operand (whose rows may be data-dependent), drawn from the run's seed and this node's stream",
        fusion: .elementwise, operands: .exactly(1),
        attributes: [AttributeSpec("stream", .int(0...Int.max), "index of the random stream (distinct per node)")],
        cost: { _, results in OpCost(otherFlops: 20 * results[0].expectedElements, bytesWritten: results[0].expectedBytes) }
    ) { ctx throws(ShapeError) in
        let like = ctx.operand(0)
        try Rules.float(like, "the operand of 'random_normal'")
        return [like]
    }

    static let opaque = OpSchema(
        .opaque, "an op known only by its costs and result types (for graphs profiled elsewhere)",
        level: .opaque, fusion: .opaque, operands: .atLeast(0), results: .atLeast(1),
        attributes: [
            AttributeSpec("flops", .float(0...Double.greatestFiniteMagnitude), "floating-point operations it performs"),
            AttributeSpec("bytes", .float(0...Double.greatestFiniteMagnitude), default: .float(-1),
                          "bytes it reads and writes (default: its operands and results once)"),
            AttributeSpec("weights", .float(0...Double.greatestFiniteMagnitude), default: .float(0),
                          "bytes of weights it holds on its device"),
            AttributeSpec("name", .string, default: .string(""), "the op's name where it came from"),
        ],
        explicitResultTypes: true,
        cost: { ctx, results in
            let b = ctx.double("bytes")
            let moved = b >= 0 ? b : Rules.bytes(ctx.operandTypes) + Rules.bytes(results)
            return OpCost(otherFlops: ctx.double("flops"), bytesRead: moved / 2, bytesWritten: moved / 2)
        }
    ) { ctx throws(ShapeError) in
        var out: [TensorType] = []
        for i in 0..<max(1, ctx.declaredResultTypes.count) { out.append(try ctx.declared(i)) }
        return out
    }
}
