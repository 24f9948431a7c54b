/// Comparisons, logic and selection. moegc holds booleans as i32 0 and 1 (the kernels compute in
/// f32 and i32 only): a comparison of two tensors of one dtype gives i32, the logical ops take and
/// give i32 (any non-zero operand is true), and `where` selects by an i32 condition. All broadcast
/// NumPy-style like the arithmetic ops.
extension OpRegistry {
    static let logicOps: [OpSchema] = [
        comparison(.equal, "a == b"), comparison(.less, "a < b"), comparison(.less_equal, "a ≤ b"),
        comparison(.greater, "a > b"), comparison(.greater_equal, "a ≥ b"),
        OpSchema(.not, "1 where x is 0, else 0", fusion: .elementwise, operands: .exactly(1),
                 cost: OpSchema.streamingCost(flopsPerElement: 1)) { ctx throws(ShapeError) in
            try boolean(ctx.operand(0), "the operand of 'not'")
            return [ctx.operand(0)]
        },
        logical(.and, "a ∧ b"), logical(.or, "a ∨ b"), logical(.xor, "a ⊕ b"),
        OpSchema(.where, "c ? a : b elementwise (c i32, non-zero is true)", fusion: .elementwise, operands: .exactly(3),
                 cost: OpSchema.streamingCost(flopsPerElement: 1)) { ctx throws(ShapeError) in
            let c = ctx.operand(0)
            try boolean(c, "the condition of 'where'")
            let ab = try Rules.broadcast(ctx.operand(1), ctx.operand(2))
            var shape = try Rules.broadcast(TensorType(ab.dtype, c.dims), ab)
            shape.dtype = ab.dtype
            return [shape]
        },
    ]

    static func boolean(_ t: TensorType, _ what: String) throws(ShapeError) {
        guard t.dtype == .i32 else { throw ShapeError("\(what) must be i32 (booleans are held as 0 and 1), got \(t)") }
    }

    static func comparison(_ code: OpCode, _ summary: String) -> OpSchema {
        OpSchema(code, summary + " as i32 1 or 0", fusion: .elementwise, operands: .exactly(2),
                 cost: OpSchema.streamingCost(flopsPerElement: 1)) { ctx throws(ShapeError) in
            var r = try Rules.broadcast(ctx.operand(0), ctx.operand(1))
            r.dtype = .i32
            return [r]
        }
    }

    static func logical(_ code: OpCode, _ summary: String) -> OpSchema {
        OpSchema(code, summary + " of i32 booleans", fusion: .elementwise, operands: .exactly(2),
                 cost: OpSchema.streamingCost(flopsPerElement: 1)) { ctx throws(ShapeError) in
            try boolean(ctx.operand(0), "the left operand of '\(code)'")
            return [try Rules.broadcast(ctx.operand(0), ctx.operand(1))]
        }
    }
}
