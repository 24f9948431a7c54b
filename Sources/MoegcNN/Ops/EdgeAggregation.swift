// Weighted message passing along edges, fused: gather, weight and scatter-add in one pass, so a
// graph attention layer never materialises an [E, F] message tensor.

extension Var {
    /// Weighted sum of source rows into target rows along edges:
    /// `out[targets[e], c·F ..< (c+1)·F] += weights[e, c] · self[sources[e], c·F ..< (c+1)·F]`
    /// for a value of shape `[N, C·F]` and weights of shape `[E, C]` (or `[E]` when `C = 1`):
    /// column block `c` is head `c` of a multi-head attention. The result has shape
    /// `[targetCount, C·F]`; targets no edge reaches get zeros.
    ///
    /// Gradient: `dself[sources[e], c] += weights[e, c] · g[targets[e], c]` and
    /// `dweights[e, c] = ⟨self[sources[e], c], g[targets[e], c]⟩` (blocks of F scalars).
    public func weightedEdgeSum(weights: Var, sources: [Int32], targets: [Int32], targetCount: Int) -> Var {
        let x = value, w = weights.value
        let edges = sources.count
        precondition(targets.count == edges, "weightedEdgeSum: \(edges) sources but \(targets.count) targets")
        precondition(x.rank == 2, "weightedEdgeSum: values must be 2-D, got \(x.shape)")
        precondition((w.rank == 1 || w.rank == 2) && w.shape[0] == edges,
                     "weightedEdgeSum: weights \(w.shape) for \(edges) edges")
        let heads = w.rank == 2 ? w.shape[1] : 1
        let width = x.shape[1]
        precondition(heads > 0 && width > 0 && width % heads == 0,
                     "weightedEdgeSum: width \(width) does not split into \(heads) heads")
        let f = width / heads
        checkIndices(sources, below: x.shape[0], "weightedEdgeSum")
        checkIndices(targets, below: targetCount, "weightedEdgeSum")
        // Each target row sums its edges in edge order; a band of target rows (on the tape's
        // threads when large) takes the edges that end in it, so the sums do not depend on the bands.
        let out = Tensor(shape: [targetCount, width], unsafeUninitialized: { y in
            x.withUnsafeBufferPointer { xs in
                w.withUnsafeBufferPointer { ws in
                    forEachRowBand(targetCount, threads: tape.threads) { band in
                        UnsafeMutableBufferPointer(rebasing: y[band.lowerBound * width ..< band.upperBound * width])
                            .initialize(repeating: 0)
                        for e in 0..<edges where band.contains(Int(targets[e])) {
                            let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                            for c in 0..<heads {
                                addScaled(f, ws[e * heads + c], xs.at(s + c * f), y.at(d + c * f))
                            }
                        }
                    }
                }
            }
        })
        let (ix, iw) = (id, weights.id)
        return tape.record(out, self, weights) { g, grads in
            // One pass over the edges serves both gradients: each edge reads its target's
            // gradient row once, scales it into the source row and dots it with the source value.
            let wantWeights = grads.wants(iw)
            var dw = Tensor(zeros: wantWeights ? w.shape : [0])
            g.withUnsafeBufferPointer { gs in
                x.withUnsafeBufferPointer { xs in
                    w.withUnsafeBufferPointer { ws in
                        dw.withUnsafeMutableBufferPointer { dws in
                            grads.accumulate(ix, shape: x.shape) { dx in
                                for e in 0..<edges {
                                    let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                                    for c in 0..<heads {
                                        let base = c * f
                                        addScaled(f, ws[e * heads + c], gs.at(d + base), dx.at(s + base))
                                        if wantWeights { dws[e * heads + c] += dot(f, xs.at(s + base), gs.at(d + base)) }
                                    }
                                }
                            }
                            if wantWeights && !grads.wants(ix) {
                                for e in 0..<edges {
                                    let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                                    for c in 0..<heads {
                                        dws[e * heads + c] += dot(f, xs.at(s + c * f), gs.at(d + c * f))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if wantWeights { grads.accumulate(iw, dw) }
        }
    }
}
