import MoegcIR
import MoegcSupport

/// Expands multi-head `attention` into projections, per-head scores, masking and softmax:
///
///     %a = attention(%x [, %m]) {heads = H}       x: [B, S, d], memory m: [B, S₂, d] (default x)
///   ──▶ q = x·Wq, k = m·Wk, v = m·Wv                                  [B, S, d]
///       q,k,v → reshape [B, S, H, d/H] → transpose [B, H, S, d/H]
///       p = softmax(mask_causal?(q·kᵀ / √(d/H)))                       [B, H, S, S₂]
///       %a = (p·v → transpose [B, S, H, d/H] → reshape [B, S, d])·Wo
public let lowerAttention = GraphPass(name: "lower-attention") { graph, options throws(DiagnosticList) in
    try Lowerer.run(&graph, options, ops: [.attention]) { l, nid in l.lowerAttention(nid) }
}

extension Lowerer {
    mutating func lowerAttention(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid)
        let x = operand(nid, 0), m = old[nid].operands.count > 1 ? operand(nid, 1) : x
        let xt = type(x), mt = type(m)
        let heads = ctx.int("heads"), d = xt.dims[2].size, dh = d / heads
        let params = params(for: nid)
        func split(_ v: ValueID, _ t: TensorType, _ s: String) -> ValueID {
            let r = reshape(v, [t.dims[0].size, t.dims[1].size, heads, dh], "\(p).\(s)_heads",
                            type: TensorType(.f32, [t.dims[0], t.dims[1], Dim(heads), Dim(dh)]))
            return emit(.transpose, [r], [("perm", .list([0, 2, 1, 3].map { .int($0) }))], "\(p).\(s)")
        }
        let q = split(emit(.matmul, [x, params["wq"]![0]], "\(p).q_proj"), xt, "q")
        let k = split(emit(.matmul, [m, params["wk"]![0]], "\(p).k_proj"), mt, "k")
        let v = split(emit(.matmul, [m, params["wv"]![0]], "\(p).v_proj"), mt, "v")
        var scores = scale(emit(.matmul, [q, k], [("transpose_b", .bool(true))], "\(p).scores_raw"),
                           dh > 0 ? 1 / Double(dh).squareRoot() : 1, "\(p).scores")
        if ctx.bool("causal") { scores = emit(.mask_causal, [scores], "\(p).scores_masked") }
        let probs = emit(.softmax, [scores], "\(p).probs")
        let ctxHeads = emit(.matmul, [probs, v], "\(p).context_heads")
        let merged = emit(.transpose, [ctxHeads], [("perm", .list([0, 2, 1, 3].map { .int($0) }))], "\(p).context_t")
        let flat = reshape(merged, xt.shape, "\(p).context", type: xt)
        rw.bind(old[nid].results[0], to: emit(.matmul, [flat, params["wo"]![0]], "\(p).out"))
    }
}
