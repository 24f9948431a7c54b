import MoegcIR
import MoegcSupport

/// Lowers the single-step layers to primitives:
///
///     embedding(%ids)            ──▶ gather(%table, %ids)
///     dense(%x) {activation}     ──▶ act(add(matmul(%x, %w), %b))
///     layer_norm(%x)             ──▶ add(mul(normalize(%x), %gamma), %beta)
///     softmax_output(%h, %t)     ──▶ neg(pick(log_softmax(matmul(%h, %w, transpose_b) + %b), %t))
///       with `samples = S` in training: logits of the target and of S negatives drawn by
///       `random_ids` (one shared set per step, sampled uniformly), log-softmax over those S+1,
///       the target's entry negated
///     dropout(%x)                ──▶ removed in evaluation; in training kept, with its random stream
public let lowerLayers = GraphPass(name: "lower-layers") { graph, options throws(DiagnosticList) in
    try Lowerer.run(&graph, options, ops: [.embedding, .dense, .layer_norm, .softmax_output, .dropout]) { l, nid in
        switch l.old[nid].op {
        case .embedding: l.lowerEmbedding(nid)
        case .dense: l.lowerDense(nid)
        case .layer_norm: l.lowerLayerNorm(nid)
        case .softmax_output: l.lowerSoftmaxOutput(nid)
        default: l.lowerDropout(nid)
        }
    }
}

extension Lowerer {
    mutating func lowerEmbedding(_ nid: NodeID) {
        let table = params(for: nid)["table"]![0]
        rw.bind(old[nid].results[0], to: emit(.gather, [table, operand(nid, 0)], "\(name(nid)).rows"))
    }

    mutating func lowerDense(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid), params = params(for: nid)
        var y = emit(.matmul, [operand(nid, 0), params["w"]![0]], "\(p).matmul")
        if let b = params["b"]?[0] { y = emit(.add, [y, b], "\(p).biased") }
        switch ctx.symbol("activation") {
        case "relu": y = emit(.relu, [y], "\(p).relu")
        case "tanh": y = emit(.tanh, [y], "\(p).tanh")
        case "sigmoid": y = emit(.sigmoid, [y], "\(p).sigmoid")
        default: break
        }
        rw.bind(old[nid].results[0], to: y)
    }

    mutating func lowerLayerNorm(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid), params = params(for: nid)
        let n = emit(.normalize, [operand(nid, 0)], [("eps", .float(ctx.double("eps")))], "\(p).normalized")
        let scaled = emit(.mul, [n, params["gamma"]![0]], "\(p).scaled")
        rw.bind(old[nid].results[0], to: emit(.add, [scaled, params["beta"]![0]], "\(p).out"))
    }

    mutating func lowerDropout(_ nid: NodeID) {
        guard options.training else {
            rw.bind(old[nid].results[0], to: operand(nid, 0))
            return
        }
        var attrs = old[nid].attributes
        attrs["stream"] = .int(Lowerer.stream(name(nid)))
        attrs.sort(by: OpCode.dropout.schema.attributeRank)
        let y = rw.emit(.dropout, [operand(nid, 0)], attributes: attrs, names: [name(nid)])[0]
        rw.bind(old[nid].results[0], to: y)
    }

    mutating func lowerSoftmaxOutput(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid), params = params(for: nid)
        let w = params["w"]![0], b = params["b"]![0]
        let h = operand(nid, 0), targets = operand(nid, 1)
        let lossType = type(targets)
        let samples = ctx.int("samples"), vocab = ctx.int("vocab")
        guard samples > 0 && options.training else {
            let logits = emit(.add, [emit(.matmul, [h, w], [("transpose_b", .bool(true))], "\(p).logits_raw"), b], "\(p).logits")
            let logp = emit(.log_softmax, [logits], "\(p).log_probs")
            rw.bind(old[nid].results[0], to: emit(.neg, [emit(.pick, [logp, targets], "\(p).target_log_prob")], "\(p).loss"))
            return
        }
        let hf = flatten(h, "\(p).flat")
        let rows = type(hf).dims[0].size
        let tf = reshape(targets, [rows], "\(p).targets_flat")
        let ids = rw.emit1(.random_ids, [], [("high", .int(vocab)), ("stream", .int(Lowerer.stream("\(p).negatives")))],
                           name: "\(p).negatives", type: TensorType(.i32, shape: [samples]))
        let negW = emit(.gather, [w, ids], "\(p).negative_rows")
        let negB = emit(.gather, [b, ids], "\(p).negative_bias")
        let negLogits = emit(.add, [emit(.matmul, [hf, negW], [("transpose_b", .bool(true))], "\(p).negative_logits_raw"), negB],
                             "\(p).negative_logits")
        let trueW = emit(.gather, [w, tf], "\(p).target_rows")
        let trueDot = emit(.reduce_sum, [emit(.mul, [hf, trueW], "\(p).target_products")],
                           [("axes", .list([.int(-1)])), ("keep_dims", .bool(true))], "\(p).target_dot")
        let trueB = reshape(emit(.gather, [b, tf], "\(p).target_bias_flat"), [rows, 1], "\(p).target_bias")
        let trueLogit = emit(.add, [trueDot, trueB], "\(p).target_logit")
        let all = emit(.concat, [trueLogit, negLogits], [("axis", .int(1))], "\(p).sampled_logits")
        let logp = emit(.log_softmax, [all], "\(p).sampled_log_probs")
        let first = slice(logp, axis: 1, 0, 1, "\(p).target_log_prob")
        let loss = reshape(emit(.neg, [first], "\(p).loss_flat"), lossType.shape, "\(p).loss",
                           type: TensorType(.f32, lossType.dims))
        rw.bind(old[nid].results[0], to: loss)
    }
}
