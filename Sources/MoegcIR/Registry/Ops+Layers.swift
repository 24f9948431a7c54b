import MoegcSupport

/// Model layers other than the mixtures of experts. Each holds its parameters implicitly (declared
/// here, created as `param` nodes by lowering) and is expanded to primitives by a lowering pass.
extension OpRegistry {
    static let layerOps: [OpSchema] = [embedding, lstm, dense, attention, layerNorm, softmaxOutput]

    /// Xavier/Glorot uniform limit for a [fanIn, fanOut] weight.
    static func glorot(_ fanIn: Int, _ fanOut: Int) -> InitRule {
        .uniform(limit: (6.0 / (Double(fanIn) + Double(fanOut))).squareRoot())
    }

    static func paramBytes(_ ctx: OpContext) -> Double {
        ctx.schema.parameters(ctx).reduce(0) { $0 + $1.elements * Double($1.type.dtype.byteSize) }
    }

    static let embedding = OpSchema(
        .embedding, "token ids → rows of a [vocab, dim] table", level: .layer, fusion: .opaque,
        operands: .exactly(1),
        attributes: [
            AttributeSpec("vocab", .int(1...Int.max), "vocabulary size (table rows)"),
            AttributeSpec("dim", .int(1...Int.max), "embedding width (table columns)"),
        ],
        vocabularyLayer: true,
        parameters: { ctx in
            [ParamSpec("table", TensorType(.f32, shape: [ctx.int("vocab"), ctx.int("dim")]),
                       init: .normal(std: 1.0 / Double(ctx.int("dim")).squareRoot()))]
        },
        cost: { ctx, results in
            OpCost(bytesRead: ctx.operand(0).expectedBytes + results[0].expectedBytes,
                   bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let ids = ctx.operand(0)
        try Rules.integer(ids, "the ids of 'embedding'")
        return [TensorType(.f32, ids.dims + [Dim(ctx.int("dim"))])]
    }

    static let lstm = OpSchema(
        .lstm, "an LSTM layer over [batch, seq, in], returning every step's output (optionally projected, LSTMP)",
        level: .layer, fusion: .opaque, operands: .exactly(1),
        attributes: [
            AttributeSpec("hidden", .int(1...Int.max), "units (the width of the cell state c)"),
            AttributeSpec("projection", .int(0...Int.max), default: .int(0),
                          "width of the output projection h = W_p·(o ⊙ tanh c) (0: none, h is hidden wide)"),
        ],
        parameters: { ctx in
            let n = ctx.operand(0).dims.last?.size ?? 0, h = ctx.int("hidden"), p = ctx.int("projection")
            let r = p > 0 ? p : h
            // Saturating: an overflowing width becomes Int.max, which the parameter check rejects.
            let rows = Sizes.saturatingSum(n, r), gates = Sizes.saturatingProduct(4, h)
            var params = [ParamSpec("kernel", TensorType(.f32, shape: [rows, gates]), init: glorot(rows, gates)),
                          ParamSpec("bias", TensorType(.f32, shape: [gates]), init: .zeros)]
            if p > 0 { params.append(ParamSpec("projection", TensorType(.f32, shape: [h, p]), init: glorot(h, p))) }
            return params
        },
        cost: { ctx, results in
            let x = ctx.operand(0), h = Double(ctx.int("hidden")), p = Double(ctx.int("projection"))
            let tokens = Rules.rows(x), steps = x.dims[1].expectedSize
            let n = Double(x.dims[2].size), r = p > 0 ? p : h
            // Per step the weights are read again; per unit: 4 gate biases, 3 sigmoids, 2 tanh, 3 mul, 1 add.
            return OpCost(macs: tokens * ((n + r) * 4 * h + h * p), otherFlops: tokens * h * 13,
                          bytesRead: x.expectedBytes + steps * paramBytes(ctx),
                          bytesWritten: results[0].expectedBytes + tokens * h * 4)
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0)
        try Rules.rank(x, exactly: 3, "the input of 'lstm' ([batch, seq, features])")
        try Rules.float(x, "the input of 'lstm'")
        let p = ctx.int("projection")
        return [Rules.withLast(x, p > 0 ? p : ctx.int("hidden"))]
    }

    static let dense = OpSchema(
        .dense, "x·W (+ b), then an optional activation, over the last axis", level: .layer, fusion: .opaque,
        operands: .exactly(1),
        attributes: [
            AttributeSpec("units", .int(1...Int.max), "output width"),
            AttributeSpec("bias", .bool, default: .bool(true), "add a bias vector"),
            AttributeSpec("activation", .symbol(["none", "relu", "tanh", "sigmoid"]), default: .symbol("none"),
                          "activation applied to the result"),
        ],
        parameters: { ctx in
            let n = ctx.operand(0).dims.last?.size ?? 0, u = ctx.int("units")
            var p = [ParamSpec("w", TensorType(.f32, shape: [n, u]), init: glorot(n, u))]
            if ctx.bool("bias") { p.append(ParamSpec("b", TensorType(.f32, shape: [u]), init: .zeros)) }
            return p
        },
        cost: { ctx, results in
            let x = ctx.operand(0)
            return OpCost(macs: Rules.rows(x) * Double(x.dims.last!.size) * Double(ctx.int("units")),
                          otherFlops: results[0].expectedElements * 2,
                          bytesRead: x.expectedBytes + paramBytes(ctx), bytesWritten: results[0].expectedBytes)
        }
    ) { ctx throws(ShapeError) in
        let x = ctx.operand(0)
        try Rules.rank(x, atLeast: 1, "the input of 'dense'")
        try Rules.float(x, "the input of 'dense'")
        return [Rules.withLast(x, ctx.int("units"))]
    }

    static let attention = OpSchema(
        .attention, "multi-head attention: self-attention over x, or cross-attention from x to a memory",
        level: .layer, fusion: .opaque, operands: .range(1, 2),
        attributes: [
            AttributeSpec("heads", .int(1...Int.max), "attention heads (must divide the width)"),
            AttributeSpec("causal", .bool, default: .bool(false), "mask attention to later positions"),
        ],
        parameters: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0
            return ["wq", "wk", "wv", "wo"].map { ParamSpec($0, TensorType(.f32, shape: [d, d]), init: glorot(d, d)) }
        },
        cost: { ctx, results in
            let q = ctx.operand(0), kv = ctx.operandTypes.last!
            let d = Double(q.dims[2].size), b = q.dims[0].expectedSize
            let s = q.dims[1].expectedSize, s2 = kv.dims[1].expectedSize
            let tq = b * s, tk = b * s2
            return OpCost(macs: 2 * tq * d * d + 2 * tk * d * d + 2 * b * s * s2 * d,
                          otherFlops: 5 * b * Double(ctx.int("heads")) * s * s2,
                          bytesRead: Rules.bytes(ctx.operandTypes) + paramBytes(ctx),
                          bytesWritten: results[0].expectedBytes)
        },
        verify: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0
            return d % ctx.int("heads") == 0 ? nil : "'heads' (\(ctx.int("heads"))) must divide the width \(d)"
        }
    ) { ctx throws(ShapeError) in
        let q = ctx.operand(0)
        try Rules.rank(q, exactly: 3, "the queries of 'attention' ([batch, seq, width])")
        try Rules.float(q, "the queries of 'attention'")
        if ctx.operandTypes.count == 2 {
            let kv = ctx.operand(1)
            try Rules.rank(kv, exactly: 3, "the memory of 'attention' ([batch, seq, width])")
            guard kv.dtype == q.dtype, kv.dims[0].sameExtent(as: q.dims[0]), kv.dims[2].sameExtent(as: q.dims[2]) else {
                throw ShapeError("the memory of 'attention' must match the queries' batch and width: \(kv) vs \(q)")
            }
        }
        return [q]
    }

    static let layerNorm = OpSchema(
        .layer_norm, "layer normalisation over the last axis with a learned scale and shift",
        level: .layer, fusion: .opaque, operands: .exactly(1),
        attributes: [AttributeSpec("eps", .float(0...1), default: .float(1e-6), "added to the variance")],
        parameters: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0
            return [ParamSpec("gamma", TensorType(.f32, shape: [d]), init: .ones),
                    ParamSpec("beta", TensorType(.f32, shape: [d]), init: .zeros)]
        },
        cost: OpSchema.streamingCost(flopsPerElement: 8)
    ) { ctx throws(ShapeError) in
        try Rules.rank(ctx.operand(0), atLeast: 1, "the input of 'layer_norm'")
        try Rules.float(ctx.operand(0), "the input of 'layer_norm'")
        return [ctx.operand(0)]
    }

    static let softmaxOutput = OpSchema(
        .softmax_output,
        "the language model's output layer: logits h·W + b over the vocabulary, softmax, per-token cross-entropy of the targets",
        level: .layer, fusion: .opaque, operands: .exactly(2), resultNames: ["loss"],
        attributes: [
            AttributeSpec("vocab", .int(1...Int.max), "vocabulary size"),
            AttributeSpec("samples", .int(0...Int.max), default: .int(0),
                          "sampled softmax: negatives drawn per step (0 = the full softmax)"),
        ],
        vocabularyLayer: true,
        parameters: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0, v = ctx.int("vocab")
            // [vocab, d]: a word's output embedding is a row, so a sampled softmax gathers rows.
            return [ParamSpec("w", TensorType(.f32, shape: [v, d]), init: .normal(std: 1.0 / Double(d).squareRoot())),
                    ParamSpec("b", TensorType(.f32, shape: [v]), init: .zeros)]
        },
        cost: { ctx, results in
            let h = ctx.operand(0), d = Double(h.dims.last!.size)
            let s = ctx.int("samples"), cols = Double(s > 0 ? min(s + 1, ctx.int("vocab")) : ctx.int("vocab"))
            let rows = Rules.rows(h)
            return OpCost(macs: rows * d * cols, otherFlops: rows * cols * 4,
                          bytesRead: h.expectedBytes + ctx.operand(1).expectedBytes + cols * (d + 1) * 4,
                          bytesWritten: results[0].expectedBytes)
        },
        verify: { ctx in
            ctx.int("samples") < ctx.int("vocab") ? nil : "'samples' (\(ctx.int("samples"))) must be below 'vocab' (\(ctx.int("vocab")))"
        }
    ) { ctx throws(ShapeError) in
        let h = ctx.operand(0), targets = ctx.operand(1)
        try Rules.rank(h, atLeast: 2, "the hidden states of 'softmax_output'")
        try Rules.float(h, "the hidden states of 'softmax_output'")
        try Rules.integer(targets, "the targets of 'softmax_output'")
        guard targets.rank == h.rank - 1, zip(targets.dims, h.dims).allSatisfy({ $0.sameExtent(as: $1) }) else {
            throw ShapeError("the targets of 'softmax_output' must have the shape of the hidden states without the last axis: \(targets) vs \(h)")
        }
        return [TensorType(.f32, targets.dims)]
    }
}
