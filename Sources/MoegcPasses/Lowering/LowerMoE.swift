import MoegcIR
import MoegcSupport

/// Lowers `moe` and `hmoe` to the paper's sparse computation: gate, routing sorted by expert, one
/// FFN subgraph per expert, gate-weighted combine, and the two auxiliary losses.
///
///     %y, %li, %ll = moe(%x) {experts = n, k = k, hidden = h}
///   ──▶
///     %y.flat = reshape(%x)                              [T, d]   (T = batch·seq, the "convolutional" batch)
///     %y.gate.clean_logits = matmul(%y.flat, %y.w_gate)  [T, n]   noisy top-k (MoEBuilder.swift)
///     …  %y.gate.experts, %y.gate.gates                  [T, k]
///     %y.positions, %y.tokens, %y.weights = moe_route(…) sorted by expert (capacity: drops)
///     %y.expert{e}.rows = moe_dispatch(%y.flat, …)      [?T·k/n<=T, d]   for each expert e
///     %y.expert{e}.out = matmul(relu(matmul(rows, w_in)), w_out)
///     %y.combined = moe_combine(%y.flat, route…, %y.expert0.out, …)   Σ G(x)ᵢ·Eᵢ(x) in row order
///     %li = scale(cv_squared(moe_importance(…)))   w_importance · CV(Importance(X))²
///     %ll = scale(cv_squared(moe_load_estimate(…))) w_load · CV(Load(X))²
///
/// Hierarchical (`hmoe`, Eq 12–14): the primary gate routes rows to groups; each group is a flat
/// MoE on the rows it receives, whose output the primary gate weights; importance sums
/// G_primary(x)ᵢ·Gᵢ(x)ⱼ (`moe_importance` with a per-row scale), load multiplies the primary load by
/// the group's load over its rows (`moe_group_load`). Capacity applies at the experts, computed
/// from the rows a group expects (k₁·T/a). With `softmax` gating a flat MoE's load loss is the
/// Switch Transformer's n·Σᵢ fᵢ·Pᵢ; a hierarchical one counts rows.
public let lowerMoE = GraphPass(name: "lower-moe") { graph, options throws(DiagnosticList) in
    try Lowerer.run(&graph, options, ops: [.moe, .hmoe]) { l, nid in
        if l.old[nid].op == .moe { l.lowerFlat(nid) } else { l.lowerHierarchical(nid) }
    }
}

extension Lowerer {
    /// Values a lowered expert names (its two weights, dispatch, hidden, ReLU, output) and a
    /// hierarchical group (gate, routing, combine, losses), rounded up: room reserved up front.
    static let namesPerExpert = 8
    static let namesPerGroup = 32

    mutating func lowerFlat(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid)
        let n = ctx.int("experts"), k = ctx.int("k"), gating = ctx.symbol("gating")
        rw.reserveNames(about: Self.namesPerExpert * n)
        let params = params(for: nid) { spec, e in spec.hasPrefix("expert.") ? [("expert", .int(e))] : [] }
        let xType = type(operand(nid, 0))
        let x = flatten(operand(nid, 0), "\(p).flat")
        let rows = type(x).dims[0].size
        let g = gate(x, wGate: params["w_gate"]![0], wNoise: params["w_noise"]?[0], n: n, k: k, gating: gating, "\(p).gate")
        let cap = Lowerer.capacity(factor: ctx.double("capacity_factor"), assignments: Double(k) * Double(rows), experts: n)
        let r = route(g, capacity: cap, p)
        var outs: [ValueID] = []
        outs.reserveCapacity(n)
        for e in 0..<n {
            outs.append(expert(x, route: r, index: e, capacity: cap, wIn: params["expert.w_in"]![e],
                               wOut: params["expert.w_out"]![e], annotation: [("expert", .int(e))], "\(p).expert\(e)"))
        }
        let combined = emit(.moe_combine, [x] + r + outs, "\(p).combined")
        let y = reshape(combined, xType.shape, "\(p).y", type: xType)
        rw.bind(old[nid].results[0], to: y)

        let importance = emit(.moe_importance, [g.indices, g.gates], [("experts", .int(n))], MoELayout.importance(p))
        rw.bind(old[nid].results[1], to: cvLoss(importance, weight: ctx.double("w_importance"), name(nid, 1)))
        if let probs = g.probabilities {
            // Switch: n · Σᵢ fᵢ·Pᵢ, f the fraction of rows whose first choice is i, P the mean router probability.
            let mean = emit(.reduce_mean, [probs], [("axes", .list([.int(0)]))], "\(p).mean_probs")
            let first = slice(g.indices, axis: 1, 0, 1, "\(p).first_choice")
            let counts = emit(.moe_load_count, [first], [("experts", .int(n))], "\(p).first_counts")
            let fp = emit(.mul, [counts, mean], "\(p).fraction_times_prob")
            let total = emit(.reduce_sum, [fp], [("axes", .list([.int(0)]))], "\(p).switch_load")
            // No rows (an empty batch): no load to balance, and a factor that stays finite.
            rw.bind(old[nid].results[2], to: scale(total, rows > 0 ? ctx.double("w_load") * Double(n) / Double(rows) : 0, name(nid, 2)))
        } else {
            rw.bind(old[nid].results[2], to: cvLoss(load(g, "\(p).gate"), weight: ctx.double("w_load"), name(nid, 2)))
        }
    }

    mutating func lowerHierarchical(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid)
        let a = ctx.int("groups"), b = ctx.int("experts_per_group"), ks = ctx.ints("k"), gating = ctx.symbol("gating")
        rw.reserveNames(about: Self.namesPerExpert * a * b + Self.namesPerGroup * a)
        let params = params(for: nid) { spec, i -> [(String, AttributeValue)] in
            if spec.hasPrefix("expert.") { return [("expert", .int(i)), ("moe_group", .int(i / b))] }
            return spec.hasPrefix("group.") ? [("moe_group", .int(i))] : []
        }
        let xType = type(operand(nid, 0))
        let x = flatten(operand(nid, 0), "\(p).flat")
        let rows = type(x).dims[0].size
        let primary = gate(x, wGate: params["w_gate"]![0], wNoise: params["w_noise"]?[0], n: a, k: ks[0], gating: gating, "\(p).gate")
        let pr = route(primary, capacity: 0, p)
        let cap = Lowerer.capacity(factor: ctx.double("capacity_factor"), assignments: Double(ks[0]) * Double(ks[1]) * Double(rows), experts: a * b)
        var groupOuts: [ValueID] = [], importances: [ValueID] = [], loads: [ValueID] = []
        for i in 0..<a {
            let gp = MoELayout.group(p, i)
            let mark: [(String, AttributeValue)] = [("moe_group", .int(i))]
            let xi = emit(.moe_dispatch, [x, pr[0], pr[1]], [("index", .int(i))], "\(gp).rows")
            let scaleRows = emit(.moe_segment, [pr[2], pr[0]], [("index", .int(i))], "\(gp).primary_gate")
            let g = gate(xi, wGate: params["group.w_gate"]![i], wNoise: params["group.w_noise"]?[i], n: b, k: ks[1],
                         gating: gating, "\(gp).gate")
            let r = route(g, capacity: cap, gp)
            var outs: [ValueID] = []
            for j in 0..<b {
                let e = i * b + j
                outs.append(expert(xi, route: r, index: j, capacity: cap, wIn: params["expert.w_in"]![e],
                                   wOut: params["expert.w_out"]![e], annotation: [("expert", .int(e))] + mark,
                                   "\(gp).expert\(j)"))
            }
            let zi = emit(.moe_combine, [xi] + r + outs, "\(gp).combined")
            groupOuts.append(zi)
            importances.append(emit(.moe_importance, [g.indices, g.gates, scaleRows], [("experts", .int(b))], "\(gp).importance"))
            loads.append(load(g, "\(gp).gate"))
            // Everything of group i but its experts sits with the group.
            for v in [xi, scaleRows, g.indices, g.gates, g.clean, zi, importances.last!, loads.last!]
                + r + [g.noisy, g.std, g.topValues].compactMap({ $0 }) {
                for (name, value) in mark { rw.annotate(v, name, value) }
            }
        }
        let combined = emit(.moe_combine, [x] + pr + groupOuts, "\(p).combined")
        rw.bind(old[nid].results[0], to: reshape(combined, xType.shape, "\(p).y", type: xType))
        let importance = emit(.concat, importances, [("axis", .int(0))], MoELayout.importance(p))
        rw.bind(old[nid].results[1], to: cvLoss(importance, weight: ctx.double("w_importance"), name(nid, 1)))
        let hload = emit(.moe_group_load, [load(primary, "\(p).gate"), pr[0]] + loads, "\(p).load")
        rw.bind(old[nid].results[2], to: cvLoss(hload, weight: ctx.double("w_load"), name(nid, 2)))
    }
}
