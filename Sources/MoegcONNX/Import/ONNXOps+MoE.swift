import MoegcIR
import MoegcRuntime

/// onnxruntime's contrib op `com.microsoft.MoE`, imported as moegc's sorted-by-expert MoE: the
/// router's softmax and top-k, `moe_route` (assignments sorted by expert), one subgraph per expert
/// (`moe_dispatch` of its rows → the expert FFN, every node annotated `expert = e`), and the
/// gate-weighted `moe_combine`. No expert weight is copied per token, an expert with no rows
/// runs on none, and the cost is T·k expert rows, not T·E.
///
///     input [T, H] (or [B, S, H]), router_probs [T, E]
///     fc1 [E, I, H], fc2 [E, H, I] (fc1_experts_bias [E, I], fc2 [E, H], fc3 [E, I, H]: optional)
///     p = softmax(router_probs); top k of p (renormalised to sum 1 with normalize_routing_weights)
///     expert e: y = (act(x·fc1ᵀ + b1) ⊙ (x·fc3ᵀ + b3)) · fc2ᵀ + b2     (⊙ … only with fc3)
///     act: relu, silu (x·σ(x)) or identity
///
/// The layouts are the ones onnxruntime 1.31 reads (checked in Fixtures/generate.py against a NumPy
/// evaluation of the same formula); per-expert weights are cut from the stacked ones and transposed
/// when the model is imported, so each expert holds its own [H, I] and [I, H] matrices.
extension ONNXOps {
    static let microsoft: [String: Importer] = ["MoE": { ctx, n throws(ONNXError) in [try microsoftMoE(&ctx, n)] }]

    static func microsoftMoE(_ ctx: inout ImportContext, _ n: NodeView) throws(ONNXError) -> ValueID {
        let x = try float(ctx, n, 0), router = try float(ctx, n, 1)
        let fc1 = try ctx.input(n, 2), fc2 = try ctx.input(n, 4)
        let b1 = try ctx.optionalInput(n, 3), b2 = try ctx.optionalInput(n, 5)
        let fc3 = try ctx.optionalInput(n, 6), b3 = try ctx.optionalInput(n, 7)
        let k = try n.int("k", 1)
        let activation = try n.string("activation_type", "relu")
        guard ["relu", "silu", "identity"].contains(activation) else {
            throw ctx.fail("activation_type '\(activation)' is not imported (relu, silu and identity are)")
        }
        guard try n.int("use_sparse_mixer", 0) == 0 else { throw ctx.fail("use_sparse_mixer routing is not imported") }
        let normalize = try n.int("normalize_routing_weights", 0) != 0
        let s = ctx.shape(x), h = s.last ?? 0, rows = s.dropLast().reduce(1, *)
        let w1 = ctx.shape(fc1), w2 = ctx.shape(fc2)
        guard w1.count == 3, w2.count == 3, w1[2] == h, w2[0] == w1[0], w2[1] == h, w2[2] == w1[1] else {
            throw ctx.fail("expert weights \(ctx.type(fc1)) and \(ctx.type(fc2)) are not [E, I, \(h)] and [E, \(h), I]", .invalidGraph)
        }
        let experts = w1[0]
        guard ctx.shape(router) == [rows, experts] || ctx.shape(router) == s.dropLast() + [experts] else {
            throw ctx.fail("router_probs \(ctx.type(router)) is not [\(rows), \(experts)]", .invalidGraph)
        }
        guard k >= 1, k <= experts else { throw ctx.fail("k = \(k) is not in 1…\(experts)", .invalidGraph) }
        for w in [fc1, fc2] + [b1, b2, fc3, b3].compactMap({ $0 }) where !ctx.isKnown(w) {
            throw ctx.fail("its expert weights must be initializers (constants), not computed at run time", .unresolved)
        }
        let tokens = try ctx.reshape(x, [rows, h])
        let probs = try ctx.emit(.softmax, [try ctx.reshape(router, [rows, experts])])
        let top = try ctx.emitAll(.top_k, [probs], [("k", .int(k))], results: 2)
        var gates = top[0]
        if normalize {
            gates = try ctx.emit(.div, [gates, try ctx.emit(.reduce_sum, [gates], [("axes", .list([.int(1)])), ("keep_dims", .bool(true))])])
        }
        let route = try ctx.emitAll(.moe_route, [top[1], gates], [("experts", .int(experts))], results: 3)
        // Expert e's slice of a stacked weight, as its own known tensor ([E, a, b] → [b, a]: transposed).
        func expertWeight(_ w: ValueID, _ e: Int, transposed: Bool) throws(ONNXError) -> ValueID {
            let index = ctx.constant(ints: [e], shape: [], name: "expert")
            let slice = try ctx.emit(.gather, [w, index])
            return transposed ? try ctx.transpose(slice, [1, 0]) : slice
        }
        var outputs: [ValueID] = []
        for e in 0..<experts {
            let tag: [(String, AttributeValue)] = [("expert", .int(e))]
            let rowsE = try ctx.emit(.moe_dispatch, [tokens, route[0], route[1]], [("index", .int(e))] + tag)
            var hidden = try ctx.emit(.matmul, [rowsE, try expertWeight(fc1, e, transposed: true)], tag)
            if let b1 { hidden = try ctx.emit(.add, [hidden, try expertWeight(b1, e, transposed: false)], tag) }
            switch activation {
            case "relu": hidden = try ctx.emit(.relu, [hidden], tag)
            case "silu": hidden = try ctx.emit(.mul, [hidden, try ctx.emit(.sigmoid, [hidden], tag)], tag)
            default: break
            }
            if let fc3 {
                var gate = try ctx.emit(.matmul, [rowsE, try expertWeight(fc3, e, transposed: true)], tag)
                if let b3 { gate = try ctx.emit(.add, [gate, try expertWeight(b3, e, transposed: false)], tag) }
                hidden = try ctx.emit(.mul, [hidden, gate], tag)
            }
            var out = try ctx.emit(.matmul, [hidden, try expertWeight(fc2, e, transposed: true)], tag)
            if let b2 { out = try ctx.emit(.add, [out, try expertWeight(b2, e, transposed: false)], tag) }
            outputs.append(out)
        }
        let y = try ctx.emit(.moe_combine, [tokens, route[0], route[1], route[2]] + outputs)
        return try ctx.reshape(y, s)
    }
}
