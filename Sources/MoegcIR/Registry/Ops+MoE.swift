import MoegcSupport

/// The sparsely-gated mixture-of-experts layers of Shazeer et al. 2017: flat (`moe`) and
/// hierarchical (`hmoe`). Both return the combined expert output and the two auxiliary losses
/// (importance and load, each already multiplied by its weight).
extension OpRegistry {
    static let moeOps: [OpSchema] = [moe, hmoe]

    static let gatingKinds = ["noisy_topk", "softmax"]

    /// Attributes the flat and hierarchical layers share.
    static let moeCommonAttributes: [AttributeSpec] = [
        AttributeSpec("hidden", .int(1...Int.max), "hidden width of each expert FFN (d → hidden → d, ReLU, no biases)"),
        AttributeSpec("gating", .symbol(gatingKinds), default: .symbol("noisy_topk"),
                      "noisy_topk: Softmax(KeepTopK(x·Wg + N(0,1)·Softplus(x·Wnoise), k)) (the paper); softmax: Softmax(x·Wg) over all experts, top k kept unnormalised (Switch/GShard routers)"),
        AttributeSpec("w_importance", .float(0...Double.greatestFiniteMagnitude), default: .float(0.1),
                      "weight of the importance loss w·CV(Importance)²"),
        AttributeSpec("w_load", .float(0...Double.greatestFiniteMagnitude), default: .float(0.1),
                      "weight of the load loss w·CV(Load)²"),
        AttributeSpec("capacity_factor", .float(0...Double.greatestFiniteMagnitude), default: .float(0),
                      "0: dropless (the paper); c > 0: each expert takes at most ⌈c·k·tokens/experts⌉ rows, the rest are dropped (GShard/Switch)"),
    ]

    static let moeResultNames = ["y", "l_importance", "l_load"]

    static func moeResults(_ ctx: OpContext, _ what: String) throws(ShapeError) -> [TensorType] {
        let x = ctx.operand(0)
        try Rules.rank(x, atLeast: 2, "the input of '\(what)' ([..., width])")
        try Rules.float(x, "the input of '\(what)'")
        let scalar = TensorType(.f32, [])
        return [x, scalar, scalar]
    }

    /// Rows an expert receives on average out of `assignments` token→expert assignments spread
    /// over `experts`, capped by the capacity when one is set.
    public static func expectedExpertRows(assignments: Double, experts: Int, capacityFactor: Double) -> Double {
        let mean = assignments / Double(experts)
        return capacityFactor > 0 ? min(mean, (capacityFactor * mean).rounded(.up)) : mean
    }

    static func expertParams(_ d: Int, _ h: Int, count: Int) -> [ParamSpec] {
        [ParamSpec("expert.w_in", TensorType(.f32, shape: [d, h]), count: count, init: .normal(std: 1 / Double(d).squareRoot())),
         ParamSpec("expert.w_out", TensorType(.f32, shape: [h, d]), count: count, init: .normal(std: 1 / Double(h).squareRoot()))]
    }

    static func gateParams(_ prefix: String, _ d: Int, _ n: Int, count: Int, noisy: Bool) -> [ParamSpec] {
        var p = [ParamSpec(prefix + "w_gate", TensorType(.f32, shape: [d, n]), count: count, init: .zeros)]
        if noisy { p.append(ParamSpec(prefix + "w_noise", TensorType(.f32, shape: [d, n]), count: count, init: .zeros)) }
        return p
    }

    /// Cost of a gate over `n` choices for `rows` rows of width `d`, plus its top-k and softmax.
    static func gateCost(rows: Double, d: Double, n: Double, noisy: Bool) -> OpCost {
        OpCost(macs: rows * d * n * (noisy ? 2 : 1), otherFlops: rows * n * (noisy ? 12 : 6),
               bytesRead: rows * d * 4 + d * n * 4 * (noisy ? 2 : 1), bytesWritten: rows * n * 4)
    }

    /// Cost of `rows` rows through experts of width d → h → d that hold `experts` weight pairs,
    /// with gather (dispatch) and weighted scatter (combine).
    static func expertCost(rows: Double, d: Double, h: Double, experts: Double) -> OpCost {
        OpCost(macs: rows * 2 * d * h, otherFlops: rows * (h + 2 * d),
               bytesRead: rows * d * 4 * 2 + rows * h * 4 + experts * 2 * d * h * 4,
               bytesWritten: rows * d * 4 * 2 + rows * h * 4)
    }

    static let moe = OpSchema(
        .moe, "sparsely-gated mixture of experts: y = Σᵢ G(x)ᵢ·Eᵢ(x), with the importance and load losses",
        level: .layer, fusion: .opaque, operands: .exactly(1), results: .exactly(3), resultNames: moeResultNames,
        attributes: [
            AttributeSpec("experts", .int(1...Int.max), "number of experts n"),
            AttributeSpec("k", .int(1...Int.max), "experts per token"),
        ] + moeCommonAttributes,
        parameters: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0, n = ctx.int("experts")
            return gateParams("", d, n, count: 1, noisy: ctx.symbol("gating") == "noisy_topk")
                + expertParams(d, ctx.int("hidden"), count: n)
        },
        cost: { ctx, results in
            let x = ctx.operand(0), d = Double(x.dims.last!.size), n = ctx.int("experts")
            let tokens = Rules.rows(x)
            let perExpert = expectedExpertRows(assignments: Double(ctx.int("k")) * tokens, experts: n,
                                               capacityFactor: ctx.double("capacity_factor"))
            let routed = perExpert * Double(n)
            return gateCost(rows: tokens, d: d, n: Double(n), noisy: ctx.symbol("gating") == "noisy_topk")
                + expertCost(rows: routed, d: d, h: Double(ctx.int("hidden")), experts: Double(n))
        },
        verify: { ctx in
            ctx.int("k") <= ctx.int("experts") ? nil : "'k' (\(ctx.int("k"))) must not exceed 'experts' (\(ctx.int("experts")))"
        }
    ) { ctx throws(ShapeError) in try moeResults(ctx, "moe") }

    static let hmoe = OpSchema(
        .hmoe,
        "hierarchical mixture of experts: a primary gate over groups, each group a secondary MoE; y = Σᵢ Σⱼ G(x)ᵢ·Gᵢ(x)ⱼ·Eᵢⱼ(x)",
        level: .layer, fusion: .opaque, operands: .exactly(1), results: .exactly(3), resultNames: moeResultNames,
        attributes: [
            AttributeSpec("groups", .int(1...Int.max), "number of groups a (primary gate width)"),
            AttributeSpec("experts_per_group", .int(1...Int.max), "experts in each group b (secondary gate width)"),
            AttributeSpec("k", .intList(count: 2...2, each: 1...Int.max), default: .list([.int(2), .int(2)]),
                          "[groups per token, experts per token within a group]"),
        ] + moeCommonAttributes,
        parameters: { ctx in
            let d = ctx.operand(0).dims.last?.size ?? 0, a = ctx.int("groups"), b = ctx.int("experts_per_group")
            let noisy = ctx.symbol("gating") == "noisy_topk"
            return gateParams("", d, a, count: 1, noisy: noisy) + gateParams("group.", d, b, count: a, noisy: noisy)
                + expertParams(d, ctx.int("hidden"), count: Sizes.saturatingProduct(a, b))
        },
        cost: { ctx, results in
            let x = ctx.operand(0), d = Double(x.dims.last!.size)
            let a = ctx.int("groups"), b = ctx.int("experts_per_group"), k = ctx.ints("k")
            let noisy = ctx.symbol("gating") == "noisy_topk", tokens = Rules.rows(x)
            let groupRows = Double(k[0]) * tokens
            let perExpert = expectedExpertRows(assignments: groupRows * Double(k[1]), experts: Sizes.saturatingProduct(a, b),
                                               capacityFactor: ctx.double("capacity_factor"))
            return gateCost(rows: tokens, d: d, n: Double(a), noisy: noisy)
                + gateCost(rows: groupRows, d: d, n: Double(b), noisy: noisy)
                + expertCost(rows: perExpert * Double(a) * Double(b), d: d, h: Double(ctx.int("hidden")), experts: Double(a) * Double(b))
        },
        verify: { ctx in
            let k = ctx.ints("k")
            if k[0] > ctx.int("groups") { return "'k'[0] (\(k[0])) must not exceed 'groups' (\(ctx.int("groups")))" }
            if k[1] > ctx.int("experts_per_group") {
                return "'k'[1] (\(k[1])) must not exceed 'experts_per_group' (\(ctx.int("experts_per_group")))"
            }
            return nil
        }
    ) { ctx throws(ShapeError) in try moeResults(ctx, "hmoe") }
}
