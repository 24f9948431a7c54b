import MoegcKernels

// Segment-recurrent attention (Transformer-XL) over a whole sequence at once.
//
// The sequence of N rows is cut into segments of S rows; segment s attends over the keys and
// values of the previous segment (its memory, gradient stopped) followed by its own:
//
//     rows     │ seg 0 │ seg 1 │ seg 2 │ …
//     seg 2's keys:      └──mem──┴─own─┘          one contiguous block of rows [S(s−1), S(s+1))
//
//     for each head h:  P = softmax_rows(scale · Q[seg s] K[block]ᵀ)     [S_s, M_s + S_s]
//                       O[seg s] = P V[block]
//
// Because the memory of segment s at a layer is segment s−1's input to the same layer (not its
// output), no segment waits for another within a layer: the projections Q, K, V are computed for
// every row in one matmul each, and the segments run independently (in parallel when asked).
//
// The memory's keys and values come from separate inputs (`memoryKey`, `memoryValue`: the same
// projections of the rows with their gradient stopped), so the projection weights learn from
// them while the previous segment's rows receive nothing — exactly Transformer-XL's
// concat(stopGradient(memory), x) before projecting. Backward, per segment and head:
//     dP = dO V[block]ᵀ        dS = P ⊙ (dP − rowsum(dP ⊙ P))
//     dV[own] += P[:, own]ᵀ dO              dMemV[prev] += P[:, mem]ᵀ dO
//     dK[own] += scale · dS[:, own]ᵀ Q[seg]  dMemK[prev] += scale · dS[:, mem]ᵀ Q[seg]
//     dQ[seg] += scale · dS K[block]
// Segment s writes only its own rows of dQ, dK, dV and the previous segment's rows of dMemK and
// dMemV, so the segments stay independent.

/// Where segment `s`'s queries and keys are.
private struct SegmentBlock {
    let queryStart: Int, queries: Int, keyStart: Int, keys: Int
    /// Keys before the segment's own rows (0 for the first segment, else the previous segment's size).
    var memory: Int { queryStart - keyStart }

    init(_ s: Int, rows: Int, segment: Int) {
        queryStart = s * segment
        queries = min(segment, rows - queryStart)
        keyStart = max(0, queryStart - segment)
        keys = queryStart + queries - keyStart
    }
}

extension Var {
    /// Segment-recurrent multi-head attention over `query`, `key`, `value` (each `[N, H·d]`, heads
    /// side by side in column blocks): segment s of `segment` rows attends over the previous
    /// segment's and its own keys, the previous segment's with their gradient stopped (see the file
    /// comment); `memoryKey` and `memoryValue` (default: `key`, `value`) hold the same values and
    /// receive the gradient of the memory positions. `scale` defaults to `1/√d`. Segments run on up to `threads` threads; the result
    /// is the same for any thread count. Returns `[N, H·dv]`.
    public static func segmentAttention(query: Var, key: Var, value: Var, memoryKey: Var? = nil, memoryValue: Var? = nil,
                                        heads: Int, segment: Int, scale: Float? = nil, threads: Int = 1) -> Var {
        let q = query.value, k = key.value, v = value.value
        let memoryKey = memoryKey ?? key, memoryValue = memoryValue ?? value
        precondition(memoryKey.value == k && memoryValue.value == v || !query.tape.isRecording,
                     "segmentAttention: the memory keys and values must equal the keys and values")
        precondition(segment > 0 && heads > 0, "segmentAttention: segment and heads must be positive")
        precondition(q.rank == 2 && k.shape == q.shape && v.rank == 2 && v.shape[0] == q.shape[0]
                     && q.shape[1] % heads == 0 && v.shape[1] % heads == 0,
                     "segmentAttention: query \(q.shape), key \(k.shape), value \(v.shape), \(heads) heads")
        let layout = SegmentAttentionLayout(rows: q.shape[0], width: q.shape[1], valueWidth: v.shape[1], heads: heads,
                                            segment: segment, scale: scale)
        let keep = query.tape.isRecording && [query, key, value, memoryKey, memoryValue].contains { $0.requiresGradient }
        // Attention weights of every segment, kept for the backward pass (only when recording);
        // else one segment's, per worker.
        let offsets = layout.weightOffsets
        let segments = offsets.count - 1
        let scratchSize = keep ? 0 : heads * segment * 2 * segment
        var weights = Tensor(zeros: [keep ? offsets[segments] : parallelWorkers(segments, threads: threads) * scratchSize])
        let out = Tensor(shape: [layout.rows, layout.valueWidth]) { o in
            weights.update { weights in
                Tensor.read(q, k, v) { q, k, v in
                    parallelFor(segments, threads: threads) { s, worker in
                        let p = keep ? weights.slice(offsets[s]..<offsets[s + 1])
                            : weights.slice(worker * scratchSize ..< worker * scratchSize + offsets[s + 1] - offsets[s])
                        layout.attend(segment: s, q, k, v, weights: p, into: o)
                    }
                }
            }
        }
        guard keep else { return query.tape.constant(out) }
        let (iq, ik, iv, imk, imv) = (query.id, key.id, value.id, memoryKey.id, memoryValue.id)
        let kept = weights
        return query.tape.record(out, query, key, value, memoryKey, memoryValue) { g, grads in
            // The five gradients side by side in one buffer: dQ, dK, dV, dMemK, dMemV.
            let parts = [q.count, k.count, v.count, k.count, v.count].reduce(into: [0]) { $0.append($0.last! + $1) }
            var all = Tensor(zeros: [parts[5]])
            all.update { all in
                let d = (0..<5).map { all.slice(parts[$0]..<parts[$0 + 1]) }
                Tensor.read(kept, g, q, k) { p, g, q, k in
                    v.read { v in
                        parallelFor(segments, threads: threads) { s, _ in
                            layout.backward(segment: s, p, at: offsets[s], g, q, k, v,
                                            dq: d[0], dk: d[1], dv: d[2], dMemoryKey: d[3], dMemoryValue: d[4])
                        }
                    }
                }
            }
            for (i, id, shape) in [(0, iq, q.shape), (1, ik, k.shape), (2, iv, v.shape), (3, imk, k.shape), (4, imv, v.shape)] {
                grads.accumulate(id, Tensor(shape: shape, scalars: Array(all.scalars[parts[i]..<parts[i + 1]])))
            }
        }
    }
}

/// The sizes of one segment-attention call, and its per-segment work (see the file comment for the
/// formulas). Segment s reads the rows of its block and writes only its own rows of the output, dQ,
/// dK and dV and the previous segment's rows of dMemK and dMemV, so segments run independently.
private struct SegmentAttentionLayout {
    let rows: Int, width: Int, valueWidth: Int, heads: Int, segment: Int, scale: Float
    var dk: Int { width / heads }
    var dv: Int { valueWidth / heads }

    init(rows: Int, width: Int, valueWidth: Int, heads: Int, segment: Int, scale: Float?) {
        (self.rows, self.width, self.valueWidth, self.heads, self.segment) = (rows, width, valueWidth, heads, segment)
        self.scale = scale ?? 1 / Float(max(width / heads, 1)).squareRoot()
    }

    /// Where each segment's attention weights (`heads` blocks of queries × keys) start, and the end.
    var weightOffsets: [Int] {
        let segments = (rows + segment - 1) / segment
        var offsets = [Int](repeating: 0, count: segments + 1)
        for s in 0..<segments {
            let b = SegmentBlock(s, rows: rows, segment: segment)
            offsets[s + 1] = offsets[s] + heads * b.queries * b.keys
        }
        return offsets
    }

    /// Segment s forward, per head: P = softmax_rows(scale · Q[seg] K[block]ᵀ) into `p`, then
    /// O[seg] = P V[block].
    func attend(segment s: Int, _ q: Tensor.UnsafeHandle, _ k: Tensor.UnsafeHandle, _ v: Tensor.UnsafeHandle,
                weights p: Tensor.UnsafeHandle, into o: Tensor.UnsafeHandle) {
        let b = SegmentBlock(s, rows: rows, segment: segment)
        let block = b.queries * b.keys
        for h in 0..<heads {
            gemm(false, true, m: b.queries, n: b.keys, k: dk, alpha: scale,
                 q, offsetA: b.queryStart * width + h * dk, lda: width, k, offsetB: b.keyStart * width + h * dk, ldb: width,
                 beta: 0, p, offsetC: h * block, ldc: b.keys)
            Kernels.softmax(inPlace: p.mutablePointer(at: h * block), rows: b.queries, cols: b.keys, ld: b.keys)
            gemm(false, false, m: b.queries, n: dv, k: b.keys, p, offsetA: h * block, lda: b.keys,
                 v, offsetB: b.keyStart * valueWidth + h * dv, ldb: valueWidth,
                 beta: 0, o, offsetC: b.queryStart * valueWidth + h * dv, ldc: valueWidth)
        }
    }

    /// Segment s backward, per head, from its kept weights (in `p` from `offset`) and the output
    /// gradient `g`, added into the five gradients.
    func backward(segment s: Int, _ p: Tensor.UnsafeHandle, at offset: Int, _ g: Tensor.UnsafeHandle, _ q: Tensor.UnsafeHandle,
                  _ k: Tensor.UnsafeHandle, _ v: Tensor.UnsafeHandle, dq: Tensor.UnsafeHandle, dk dkey: Tensor.UnsafeHandle,
                  dv dval: Tensor.UnsafeHandle, dMemoryKey dmk: Tensor.UnsafeHandle, dMemoryValue dmv: Tensor.UnsafeHandle) {
        let b = SegmentBlock(s, rows: rows, segment: segment)
        let block = b.queries * b.keys, own = b.keys - b.memory
        var scores = Tensor(zeros: [block])
        scores.update { ds in
            for h in 0..<heads {
                let ph = offset + h * block
                let gOffset = b.queryStart * valueWidth + h * dv
                // dV[own] += P[:, own]ᵀ dO;  dMemV[prev] += P[:, mem]ᵀ dO
                gemm(true, false, m: own, n: dv, k: b.queries, p, offsetA: ph + b.memory, lda: b.keys,
                     g, offsetB: gOffset, ldb: valueWidth, beta: 1, dval, offsetC: b.queryStart * valueWidth + h * dv, ldc: valueWidth)
                gemm(true, false, m: b.memory, n: dv, k: b.queries, p, offsetA: ph, lda: b.keys,
                     g, offsetB: gOffset, ldb: valueWidth, beta: 1, dmv, offsetC: b.keyStart * valueWidth + h * dv, ldc: valueWidth)
                // dP = dO V[block]ᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)).
                gemm(false, true, m: b.queries, n: b.keys, k: dv, g, offsetA: gOffset, lda: valueWidth,
                     v, offsetB: b.keyStart * valueWidth + h * dv, ldb: valueWidth, beta: 0, ds, ldc: b.keys)
                for r in 0..<b.queries {
                    let row = r * b.keys
                    var dot: Float = 0
                    for j in 0..<b.keys { dot += ds[row + j] * p[ph + row + j] }
                    for j in 0..<b.keys { ds[row + j] = p[ph + row + j] * (ds[row + j] - dot) }
                }
                // dQ[seg] += scale · dS K[block]
                gemm(false, false, m: b.queries, n: dk, k: b.keys, alpha: scale, ds, lda: b.keys,
                     k, offsetB: b.keyStart * width + h * dk, ldb: width, beta: 1, dq, offsetC: b.queryStart * width + h * dk, ldc: width)
                // dK[own] += scale · dS[:, own]ᵀ Q[seg];  dMemK[prev] += scale · dS[:, mem]ᵀ Q[seg]
                gemm(true, false, m: own, n: dk, k: b.queries, alpha: scale, ds, offsetA: b.memory, lda: b.keys,
                     q, offsetB: b.queryStart * width + h * dk, ldb: width, beta: 1, dkey, offsetC: b.queryStart * width + h * dk, ldc: width)
                gemm(true, false, m: b.memory, n: dk, k: b.queries, alpha: scale, ds, lda: b.keys,
                     q, offsetB: b.queryStart * width + h * dk, ldb: width, beta: 1, dmk, offsetC: b.keyStart * width + h * dk, ldc: width)
            }
        }
    }
}
