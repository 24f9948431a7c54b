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

/// Attention weights P for every head, `[H · Tq · Tk]` row-major.
private func attentionProbabilities(_ q: Tensor, _ k: Tensor, _ mask: Tensor?, _ s: AttentionShape,
                                    scale: Float) -> [Float] {
    var p = [Float](repeating: 0, count: s.heads * s.block)
    p.withUnsafeMutableBufferPointer { pp in
        q.withUnsafeBufferPointer { pq in
            k.withUnsafeBufferPointer { pk in
                for h in 0..<s.heads {
                    gemm(transposeA: false, transposeB: true, m: s.queries, n: s.keys, k: s.dk, alpha: scale,
                         pq, offsetA: h * s.dk, lda: s.keyWidth, pk, offsetB: h * s.dk, ldb: s.keyWidth,
                         beta: 0, pp, offsetC: h * s.block, ldc: s.keys)
                }
            }
        }
        guard s.keys > 0 else { return }
        let additive = mask ?? Tensor(zeros: [0])
        additive.withUnsafeBufferPointer { mp in
            for h in 0..<s.heads {
                for r in 0..<s.queries {
                    let row = pp.at(h * s.block + r * s.keys)
                    if mask != nil { addRow(s.keys, mp.at(r * s.keys), row) }
                    softmaxInPlace(s.keys, row)
                }
            }
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
    return Tensor(shape: [heads, s.queries, s.keys], scalars: p)
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
        let out = Tensor(shape: [s.queries, s.valueWidth], unsafeUninitialized: { o in
            p.withUnsafeBufferPointer { pp in
                v.withUnsafeBufferPointer { pv in
                    for h in 0..<s.heads {
                        gemm(transposeA: false, transposeB: false, m: s.queries, n: s.dv, k: s.keys, alpha: 1,
                             pp, offsetA: h * s.block, lda: s.keys, pv, offsetB: h * s.dv, ldb: s.valueWidth,
                             beta: 0, o, offsetC: h * s.dv, ldc: s.valueWidth)
                    }
                }
            }
        })
        let (iq, ik, iv) = (query.id, key.id, value.id)
        return query.tape.record(out, query, key, value) { g, grads in
            p.withUnsafeBufferPointer { pp in
                g.withUnsafeBufferPointer { pg in
                    grads.accumulate(iv, shape: v.shape) { dv in
                        for h in 0..<s.heads {
                            gemm(transposeA: true, transposeB: false, m: s.keys, n: s.dv, k: s.queries, alpha: 1,
                                 pp, offsetA: h * s.block, lda: s.keys, pg, offsetB: h * s.dv, ldb: s.valueWidth,
                                 beta: 1, dv, offsetC: h * s.dv, ldc: s.valueWidth)
                        }
                    }
                    guard grads.wants(iq) || grads.wants(ik) else { return }
                    var ds = [Float](repeating: 0, count: s.block)
                    for h in 0..<s.heads {
                        ds.withUnsafeMutableBufferPointer { pds in
                            scoreGradient(head: h, s, pp, pg, v, into: pds)
                        }
                        ds.withUnsafeBufferPointer { pds in
                            grads.accumulate(iq, shape: q.shape) { dq in
                                k.withUnsafeBufferPointer { pk in
                                    gemm(transposeA: false, transposeB: false, m: s.queries, n: s.dk, k: s.keys,
                                         alpha: scale, pds, lda: s.keys, pk, offsetB: h * s.dk, ldb: s.keyWidth,
                                         beta: 1, dq, offsetC: h * s.dk, ldc: s.keyWidth)
                                }
                            }
                            grads.accumulate(ik, shape: k.shape) { dk in
                                q.withUnsafeBufferPointer { pq in
                                    gemm(transposeA: true, transposeB: false, m: s.keys, n: s.dk, k: s.queries,
                                         alpha: scale, pds, lda: s.keys, pq, offsetB: h * s.dk, ldb: s.keyWidth,
                                         beta: 1, dk, offsetC: h * s.dk, ldc: s.keyWidth)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// dS for one head: dP = dO_h V_hᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
private func scoreGradient(head h: Int, _ s: AttentionShape, _ p: UnsafeBufferPointer<Float>,
                           _ g: UnsafeBufferPointer<Float>, _ v: Tensor,
                           into ds: UnsafeMutableBufferPointer<Float>) {
    v.withUnsafeBufferPointer { pv in
        gemm(transposeA: false, transposeB: true, m: s.queries, n: s.keys, k: s.dv, alpha: 1,
             g, offsetA: h * s.dv, lda: s.valueWidth, pv, offsetB: h * s.dv, ldb: s.valueWidth,
             beta: 0, ds, ldc: s.keys)
    }
    for r in 0..<s.queries {
        let base = r * s.keys, pbase = h * s.block + base
        var dot: Float = 0
        for j in 0..<s.keys { dot += ds[base + j] * p[pbase + j] }
        for j in 0..<s.keys { ds[base + j] = p[pbase + j] * (ds[base + j] - dot) }
    }
}
