import MoegcIR
import MoegcRuntime

/// Elementwise ops, comparisons, logic, selection, casts and aliases.
extension ONNXOps {
    static let elementwise: [String: Importer] = [
        "Add": binary(.add), "Sub": binary(.sub), "Mul": binary(.mul), "Div": binary(.div),
        // Pow: a float base; an integer exponent is converted (ONNX lets the two types differ).
        "Pow": { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0)
            var y = try ctx.input(n, 1)
            if ctx.type(y).dtype != .f32 { y = try ctx.emit(.cast, [y], [("to", .symbol("f32"))]) }
            return [try ctx.emit(.pow, [x, y])]
        },
        "Max": variadic(.maximum), "Min": variadic(.minimum), "Sum": variadic(.add),
        "Mean": { ctx, n throws(ONNXError) in
            let xs = try ctx.inputs(n)
            var acc = xs[0]
            for x in xs.dropFirst() { acc = try ctx.emit(.add, [acc, x]) }
            if xs.count == 1 { return [acc] }
            return [try ctx.emit(.scale, [acc], [("factor", .float(1 / Double(xs.count)))])]
        },
        "Relu": unary(.relu), "Sigmoid": unary(.sigmoid), "Tanh": unary(.tanh), "Exp": unary(.exp), "Log": unary(.log),
        "Neg": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0)
            if ctx.type(x).dtype == .i32 { return [try ctx.emit(.sub, [ctx.scalar(0, like: x), x])] }
            return [try ctx.emit(.neg, [x])]
        },
        "Sqrt": unary(.sqrt), "Reciprocal": unary(.reciprocal), "Abs": unary(.abs), "Erf": unary(.erf),
        "Sin": unary(.sin), "Cos": unary(.cos), "Softplus": unary(.softplus),
        "Gelu": { ctx, n throws(ONNXError) in
            let approximate = try n.string("approximate", "none")
            guard approximate == "none" || approximate == "tanh" else { throw ctx.fail("approximate = '\(approximate)' is not an ONNX Gelu form") }
            return [try ctx.emit(.gelu, [try float(ctx, n, 0)], approximate == "tanh" ? [("approximate", .symbol("tanh"))] : [])]
        },
        "Equal": binary(.equal), "Less": binary(.less), "LessOrEqual": binary(.less_equal),
        "Greater": binary(.greater), "GreaterOrEqual": binary(.greater_equal),
        // NaN is the one value unequal to itself.
        "IsNaN": { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0)
            return [try ctx.emit(.not, [try ctx.emit(.equal, [x, x])])]
        },
        "Not": { ctx, n throws(ONNXError) in [try ctx.emit(.not, [try ctx.input(n, 0)])] },
        "And": binary(.and), "Or": binary(.or), "Xor": binary(.xor),
        "Where": { ctx, n throws(ONNXError) in
            [try ctx.emit(.where, [try ctx.input(n, 0), try ctx.input(n, 1), try ctx.input(n, 2)])]
        },
        "Cast": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), to = Int32(clamping: try n.int("to", 0))
            return [try cast(&ctx, x, to: to)]
        },
        "CastLike": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), like = try ctx.input(n, 1)
            if ctx.type(x).dtype == ctx.type(like).dtype { return [x] }
            return [try ctx.emit(.cast, [x], [("to", .symbol(ctx.type(like).dtype.rawValue))])]
        },
        "Identity": { ctx, n throws(ONNXError) in [try ctx.input(n, 0)] },
        // Inference: Dropout passes its input through; its mask keeps every element.
        "Dropout": { ctx, n throws(ONNXError) in
            if let training = try ctx.optionalInput(n, 2), try ctx.ints(training, "training_mode").first != 0 {
                throw ctx.fail("training-mode Dropout is not imported (moegc imports models for inference)")
            }
            let x = try ctx.input(n, 0)
            let count = try ctx.constantCount(ctx.shape(x), "the mask")
            let mask = ctx.constant(HostTensor(ctx.shape(x), ints: [Int32](repeating: 1, count: count)), name: "mask")
            return [x, mask]
        },
    ]

    /// Input `i`, which must be f32 (the op is defined for floating point in moegc).
    static func float(_ ctx: ImportContext, _ n: NodeView, _ i: Int) throws(ONNXError) -> ValueID {
        let x = try ctx.input(n, i)
        guard ctx.type(x).dtype == .f32 else { throw ctx.fail("moegc computes \(n.op) in f32; input \(i) is \(ctx.type(x).dtype)") }
        return x
    }

    static func unary(_ op: OpCode) -> Importer {
        { ctx, n throws(ONNXError) in [try ctx.emit(op, [try float(ctx, n, 0)])] }
    }

    static func binary(_ op: OpCode) -> Importer {
        { ctx, n throws(ONNXError) in [try ctx.emit(op, [try ctx.input(n, 0), try ctx.input(n, 1)])] }
    }

    static func variadic(_ op: OpCode) -> Importer {
        { ctx, n throws(ONNXError) in
            let xs = try ctx.inputs(n)
            guard var acc = xs.first else { throw ctx.fail("it needs at least one input") }
            for x in xs.dropFirst() { acc = try ctx.emit(op, [acc, x]) }
            return [acc]
        }
    }

    /// ONNX Cast to `to`: f32 ↔ i32 through `cast` (float to integer truncates toward zero); to
    /// BOOL as x ≠ 0; INT32, INT64 and BOOL are all i32 in moegc, so casts among them keep the
    /// value (a cast to BOOL still tests ≠ 0).
    static func cast(_ ctx: inout ImportContext, _ x: ValueID, to: Int32) throws(ONNXError) -> ValueID {
        if to == ONNXDataType.bool {
            return try ctx.emit(.not, [try ctx.emit(.equal, [x, ctx.scalar(0, like: x)])])
        }
        guard let d = ImportContext.dtype(to) else {
            throw ctx.fail("a cast to \(ONNXDataType.name(to)) is not imported (moegc computes in f32 and i32)")
        }
        if ctx.type(x).dtype == d { return x }
        return try ctx.emit(.cast, [x], [("to", .symbol(d.rawValue))])
    }
}
