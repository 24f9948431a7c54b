import MoegcIR

/// Building blocks of the MoE lowering: the gate, the routing, the experts and the loss statistics,
/// exactly as Shazeer et al. (2017) define them and as their code computes them.
struct MoEGate {
    /// Expert indices kept per row, [rows, k].
    var indices: ValueID
    /// Their gate values G(x), [rows, k]: k non-zero gates per row summing to 1 (noisy top-k).
    var gates: ValueID
    /// x·W_g, [rows, n].
    var clean: ValueID
    /// H(x) = x·W_g + ε·(Softplus(x·W_noise) + 0.01) and the noise std, when the gate is noisy.
    var noisy: ValueID?
    var std: ValueID?
    /// The top k+1 noisy logits, [rows, k+1], for the load estimator (nil when k = n).
    var topValues: ValueID?
    /// Softmax(x·W_g) over all experts (softmax gating only), for the Switch load loss.
    var probabilities: ValueID?
    var k: Int
    var experts: Int
}

extension Lowerer {
    /// The gate over `n` choices for rows `x` [rows, d].
    ///
    /// noisy_topk, training:  clean = x·Wg;  std = Softplus(x·Wnoise) + 0.01;  ε ~ N(0,1);
    ///                        H = clean + ε·std;  top k+1 of H;  G = Softmax over the k kept
    /// noisy_topk, evaluation: H = clean (no noise);  top k;  G = Softmax over the k kept
    /// softmax:               P = Softmax(clean);  top k of P;  G = those probabilities (unnormalised)
    mutating func gate(_ x: ValueID, wGate: ValueID, wNoise: ValueID?, n: Int, k: Int, gating: String,
                       _ p: String) -> MoEGate {
        let clean = emit(.matmul, [x, wGate], "\(p).clean_logits")
        if gating == "softmax" {
            let probs = emit(.softmax, [clean], "\(p).probs")
            let topk = rw.emit(.top_k, [probs], attributes: Attributes([("k", .int(k))]), names: ["\(p).gates", "\(p).experts"])
            return MoEGate(indices: topk[1], gates: topk[0], clean: clean, probabilities: probs, k: k, experts: n)
        }
        var noisy = clean, std: ValueID? = nil
        if options.training, let wNoise {
            let raw = emit(.matmul, [x, wNoise], "\(p).raw_noise_stddev")
            std = emit(.softplus, [raw], [("offset", .float(0.01))], "\(p).noise_stddev")
            let eps = emit(.random_normal, [clean], [("stream", .int(Lowerer.stream("\(p).noise")))], "\(p).noise")
            noisy = emit(.fma, [eps, std!, clean], "\(p).noisy_logits")
        }
        let estimator = std != nil && k < n
        let kk = estimator ? k + 1 : k
        let names = kk > k ? ["\(p).top_logits", "\(p).top_experts"] : ["\(p).kept_logits", "\(p).experts"]
        let top = rw.emit(.top_k, [noisy], attributes: Attributes([("k", .int(kk))]), names: names)
        var keptValues = top[0], keptIndices = top[1]
        if kk > k {
            keptValues = slice(top[0], axis: 1, 0, k, "\(p).kept_logits")
            keptIndices = slice(top[1], axis: 1, 0, k, "\(p).experts")
        }
        let gates = emit(.softmax, [keptValues], "\(p).gates")
        return MoEGate(indices: keptIndices, gates: gates, clean: clean, noisy: std == nil ? nil : noisy, std: std,
                       topValues: estimator ? top[0] : nil, k: k, experts: n)
    }

    /// Load(X) over the gate's experts: the smooth estimator when the gate is noisy and k < n
    /// (training), otherwise the count of rows that chose each expert.
    mutating func load(_ g: MoEGate, _ p: String) -> ValueID {
        if let noisy = g.noisy, let std = g.std, let top = g.topValues {
            return emit(.moe_load_estimate, [g.clean, noisy, std, top], [("k", .int(g.k))], "\(p).load")
        }
        return emit(.moe_load_count, [g.indices], [("experts", .int(g.experts))], "\(p).load")
    }

    /// Routing sorted by expert: (positions, tokens, weights).
    mutating func route(_ g: MoEGate, capacity: Int, _ p: String) -> [ValueID] {
        rw.emit(.moe_route, [g.indices, g.gates],
                attributes: Attributes([("experts", .int(g.experts)), ("capacity", .int(capacity))]),
                names: [MoELayout.positions(p), "\(p).tokens", "\(p).weights"])
    }

    /// One expert: its rows gathered, matmul → ReLU → matmul with no biases. Every node of it (and,
    /// through `params(for:annotation:)`, its weights) is annotated with the expert's index (and
    /// group), so placers can keep an expert together.
    mutating func expert(_ x: ValueID, route: [ValueID], index e: Int, capacity: Int, wIn: ValueID, wOut: ValueID,
                         annotation: [(String, AttributeValue)], _ p: String) -> ValueID {
        let rows = emit(.moe_dispatch, [x, route[0], route[1]], [("index", .int(e)), ("capacity", .int(capacity))] + annotation, "\(p).rows")
        let h = emit(.matmul, [rows, wIn], annotation, "\(p).hidden")
        let a = emit(.relu, [h], annotation, "\(p).relu")
        return emit(.matmul, [a, wOut], annotation, "\(p).out")
    }

    /// Weighted scale of CV² of a vector: the importance or load loss.
    mutating func cvLoss(_ v: ValueID, weight: Double, _ name: String) -> ValueID {
        let cv = emit(.cv_squared, [v], "\(name).cv_squared")
        return scale(cv, weight, name)
    }

    /// Capacity per expert: ⌈factor · assignments / experts⌉, or 0 (dropless) when factor is 0.
    static func capacity(factor: Double, assignments: Double, experts: Int) -> Int {
        // At most 2^62: a capacity beyond the rows is no limit at all (a huge factor must not trap).
        factor > 0 ? max(1, Int(min((factor * assignments / Double(experts)).rounded(.up), 0x1p62))) : 0
    }
}
