import MoegcKernels

// Multi-head scaled dot-product attention with an additive mask, fused around sgemm.
//
// Queries [Tq, H·dk], keys [Tk, H·dk] and values [Tk, H·dv] hold the H heads side by side in
// their columns; each head is a strided view (leading dimension H·d), so no transposes or copies.
//
//     S_h = scale · Q_h K_hᵀ + mask        [Tq, Tk]
//     P_h = softmax_rows(S_h)              (−∞ in the mask → weight exactly 0;
//                                           a fully masked row → all weights 0, output 0, no NaN)
//     O_h = P_h V_h                        → out[:, h·dv ..< (h+1)·dv]
//
// Backward, per head:
//     dV_h = P_hᵀ dO_h        dP = dO_h V_hᵀ        dS = P ⊙ (dP − rowsum(dP ⊙ P))
//     dQ_h = scale · dS K_h   dK_h = scale · dSᵀ Q_h        (the mask is constant)

/// Shapes of one attention call.
private struct AttentionShape {
    let heads: Int, queries: Int, keys: Int, keyWidth: Int, valueWidth: Int
    var dk: Int { keyWidth / heads }
    var dv: Int { valueWidth / heads }
    var block: Int { queries * keys }

    init(q: Tensor, k: Tensor, v: Tensor?, heads: Int, mask: Tensor?) {
        precondition(heads > 0, "attention: needs at least one head")
        precondition(q.rank == 2 && k.rank == 2, "attention: queries \(q.shape) and keys \(k.shape) must be 2-D")
        precondition(q.shape[1] == k.shape[1] && q.shape[1] % heads == 0,
                     "attention: query width \(q.shape[1]) and key width \(k.shape[1]) must agree and split into \(heads) heads")
        if let v {
            precondition(v.rank == 2 && v.shape[0] == k.shape[0] && v.shape[1] % heads == 0,
                         "attention: values \(v.shape) for \(k.shape[0]) keys and \(heads) heads")
        }
        if let mask {
            precondition(mask.shape == [q.shape[0], k.shape[0]],
                         "attention: mask \(mask.shape) for \(q.shape[0]) queries × \(k.shape[0]) keys")
        }
        self.heads = heads
        queries = q.shape[0]
        keys = k.shape[0]
        keyWidth = q.shape[1]
        valueWidth = v?.shape[1] ?? 0
    }
}

/// Attention weights P for every head, `[H · Tq · Tk]` row-major: each head's scores by one
/// sgemm, the mask added, then `Kernels.softmax` row by row.
private func attentionProbabilities(_ q: Tensor, _ k: Tensor, _ mask: Tensor?, _ s: AttentionShape,
                                    scale: Float) -> Tensor {
    var p = Tensor(zeros: [s.heads * s.block])
    p.update { p in
        Tensor.read(q, k, mask ?? Tensor(zeros: [0])) { q, k, mask0 in
            for h in 0..<s.heads {
                gemm(false, true, m: s.queries, n: s.keys, k: s.dk, alpha: scale,
                     q, offsetA: h * s.dk, lda: s.keyWidth, k, offsetB: h * s.dk, ldb: s.keyWidth,
                     beta: 0, p, offsetC: h * s.block, ldc: s.keys)
            }
            guard s.keys > 0 else { return }
            if mask != nil {
                for h in 0..<s.heads {
                    for i in 0..<s.block { p[h * s.block + i] += mask0[i] }
                }
            }
            Kernels.softmax(inPlace: p.mutablePointer(), rows: s.heads * s.queries, cols: s.keys, ld: s.keys)
        }
    }
    return p
}

/// The attention weights softmax(scale · Q_h K_hᵀ + mask) of every head, shape `[H, Tq, Tk]`
/// (for inspection and tests; not differentiable). `scale` defaults to `1/√dk`.
public func attentionWeights(query: Tensor, key: Tensor, heads: Int, mask: Tensor? = nil,
                             scale: Float? = nil) -> Tensor {
    let s = AttentionShape(q: query, k: key, v: nil, heads: heads, mask: mask)
    let p = attentionProbabilities(query, key, mask, s, scale: scale ?? 1 / Float(s.dk).squareRoot())
    return p.reshaped(to: [heads, s.queries, s.keys])
}

extension Var {
    /// Multi-head scaled dot-product attention (see the file comment for the formulas):
    /// `query [Tq, H·dk]`, `key [Tk, H·dk]`, `value [Tk, H·dv]`, optional additive `mask [Tq, Tk]`
    /// (0 = allowed, −∞ = blocked), `scale` defaulting to `1/√dk`. Returns `[Tq, H·dv]`, heads
    /// concatenated in column blocks.
    public static func attention(query: Var, key: Var, value: Var, heads: Int,
                                 mask: Tensor? = nil, scale: Float? = nil) -> Var {
        let q = query.value, k = key.value, v = value.value
        let s = AttentionShape(q: q, k: k, v: v, heads: heads, mask: mask)
        let scale = scale ?? 1 / Float(max(s.dk, 1)).squareRoot()
        let p = attentionProbabilities(q, k, mask, s, scale: scale)
        let out = Tensor(shape: [s.queries, s.valueWidth]) { o in
            Tensor.read(p, v) { p, v in
                for h in 0..<s.heads {
                    gemm(false, false, m: s.queries, n: s.dv, k: s.keys, p, offsetA: h * s.block, lda: s.keys,
                         v, offsetB: h * s.dv, ldb: s.valueWidth, beta: 0, o, offsetC: h * s.dv, ldc: s.valueWidth)
                }
            }
        }
        let (iq, ik, iv) = (query.id, key.id, value.id)
        return query.tape.record(out, query, key, value) { g, grads in
            Tensor.read(p, g, q, k) { p, g, q, k in
                grads.accumulate(iv, shape: v.shape) { dv in
                    for h in 0..<s.heads {
                        gemm(true, false, m: s.keys, n: s.dv, k: s.queries, p, offsetA: h * s.block, lda: s.keys,
                             g, offsetB: h * s.dv, ldb: s.valueWidth, beta: 1, dv, offsetC: h * s.dv, ldc: s.valueWidth)
                    }
                }
                guard grads.wants(iq) || grads.wants(ik) else { return }
                var ds = Tensor(zeros: [s.block])
                for h in 0..<s.heads {
                    ds.update { ds in v.read { v in scoreGradient(head: h, s, p, g, v, into: ds) } }
                    ds.read { ds in
                        grads.accumulate(iq, shape: [s.queries, s.keyWidth]) { dq in
                            gemm(false, false, m: s.queries, n: s.dk, k: s.keys, alpha: scale, ds, lda: s.keys,
                                 k, offsetB: h * s.dk, ldb: s.keyWidth, beta: 1, dq, offsetC: h * s.dk, ldc: s.keyWidth)
                        }
                        grads.accumulate(ik, shape: [s.keys, s.keyWidth]) { dk in
                            gemm(true, false, m: s.keys, n: s.dk, k: s.queries, alpha: scale, ds, lda: s.keys,
                                 q, offsetB: h * s.dk, ldb: s.keyWidth, beta: 1, dk, offsetC: h * s.dk, ldc: s.keyWidth)
                        }
                    }
                }
            }
        }
    }
}

/// dS for one head: dP = dO_h V_hᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
private func scoreGradient(head h: Int, _ s: AttentionShape, _ p: Tensor.UnsafeHandle,
                           _ g: Tensor.UnsafeHandle, _ v: Tensor.UnsafeHandle, into ds: Tensor.UnsafeHandle) {
    gemm(false, true, m: s.queries, n: s.keys, k: s.dv, g, offsetA: h * s.dv, lda: s.valueWidth,
         v, offsetB: h * s.dv, ldb: s.valueWidth, beta: 0, ds, ldc: s.keys)
    for r in 0..<s.queries {
        let base = r * s.keys, pbase = h * s.block + base
        var dot: Float = 0
        for j in 0..<s.keys { dot += ds[base + j] * p[pbase + j] }
        for j in 0..<s.keys { ds[base + j] = p[pbase + j] * (ds[base + j] - dot) }
    }
}
