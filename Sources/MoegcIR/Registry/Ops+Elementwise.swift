/// Elementwise primitives. Binary ops broadcast NumPy-style over trailing dimensions.
extension OpRegistry {
    static let elementwiseOps: [OpSchema] = [
        binary(.add, "a + b"), binary(.sub, "a − b"), binary(.mul, "a · b"), binary(.div, "a / b"),
        binary(.maximum, "max(a, b)"), binary(.minimum, "min(a, b)"),
        OpSchema(.fma, "a · b + c", fusion: .elementwise, operands: .exactly(3),
                 cost: OpSchema.streamingCost(flopsPerElement: 2)) { ctx throws(ShapeError) in
            [try Rules.broadcast(try Rules.broadcast(ctx.operand(0), ctx.operand(1)), ctx.operand(2))]
        },
        unary(.relu, "max(x, 0)", flops: 1),
        unary(.sigmoid, "1 / (1 + e^−x)", flops: 4),
        unary(.tanh, "tanh x", flops: 6),
        unary(.exp, "e^x", flops: 4),
        unary(.log, "ln x", flops: 4),
        unary(.neg, "−x", flops: 1),
        unary(.sqrt, "√x", flops: 2),
        unary(.erf, "the error function", flops: 8),
        unary(.normal_cdf, "Φ(x) = (1 + erf(x/√2)) / 2, the standard normal CDF", flops: 10),
        unary(.softplus, "ln(1 + e^x) + offset", flops: 6,
              attributes: [AttributeSpec("offset", .float(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude),
                                         default: .float(0), "constant added to the result (the MoE noise uses 0.01)")]),
        unary(.scale, "factor · x", flops: 1,
              attributes: [AttributeSpec("factor", .float(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude),
                                         "the multiplier")]),
        unary(.dropout, "x·m/(1−rate), m ~ Bernoulli(1−rate) per element from the run's seed and this node's stream (training only; lowering removes it in evaluation)",
              flops: 3,
              attributes: [AttributeSpec("rate", .float(0...0.999), "probability of dropping an element"),
                           AttributeSpec("stream", .int(0...Int.max), default: .int(0), "index of the random stream")]),
        OpSchema(.pow, "a^b", fusion: .elementwise, operands: .exactly(2),
                 cost: OpSchema.streamingCost(flopsPerElement: 8)) { ctx throws(ShapeError) in
            try Rules.float(ctx.operand(0), "the base of 'pow'")
            return [try Rules.broadcast(ctx.operand(0), ctx.operand(1))]
        },
        unary(.abs, "|x|", flops: 1),
        unary(.reciprocal, "1 / x", flops: 1),
        unary(.gelu, "GELU: x·Φ(x) exactly, or ½x(1 + tanh(√(2/π)(x + 0.044715x³)))", flops: 12,
              attributes: [AttributeSpec("approximate", .symbol(["none", "tanh"]), default: .symbol("none"),
                                         "none: the exact x·Φ(x); tanh: the tanh approximation")]),
        unary(.sin, "sin x", flops: 8),
        unary(.cos, "cos x", flops: 8),
    ]

    static func unary(_ code: OpCode, _ summary: String, flops: Double, attributes: [AttributeSpec] = []) -> OpSchema {
        OpSchema(code, summary, fusion: .elementwise, operands: .exactly(1), attributes: attributes,
                 cost: OpSchema.streamingCost(flopsPerElement: flops)) { ctx throws(ShapeError) in
            try Rules.float(ctx.operand(0), "the operand of '\(code)'")
            return [ctx.operand(0)]
        }
    }

    static func binary(_ code: OpCode, _ summary: String) -> OpSchema {
        OpSchema(code, summary, fusion: .elementwise, operands: .exactly(2),
                 cost: OpSchema.streamingCost(flopsPerElement: 1)) { ctx throws(ShapeError) in
            [try Rules.broadcast(ctx.operand(0), ctx.operand(1))]
        }
    }
}
