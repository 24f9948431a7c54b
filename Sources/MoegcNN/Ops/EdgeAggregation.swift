import MoegcKernels

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
        let out = Tensor(shape: [targetCount, width]) { y in
            Tensor.read(x, w) { x, w in
                forEachRowBand(targetCount, threads: tape.threads) { band in
                    y.fill(0, band.lowerBound * width ..< band.upperBound * width)
                    for e in 0..<edges where band.contains(Int(targets[e])) {
                        let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                        for c in 0..<heads {
                            Kernels.axpy(alpha: w[e * heads + c], x.pointer(at: s + c * f), y.mutablePointer(at: d + c * f), count: f)
                        }
                    }
                }
            }
        }
        let (ix, iw) = (id, weights.id)
        let shapeX = x.shape, shapeW = w.shape
        return tape.record(out, self, weights) { g, grads in
            // One pass over the edges serves both gradients: each edge reads its target's
            // gradient row once, scales it into the source row and dots it with the source value.
            let wantWeights = grads.wants(iw)
            var dw = Tensor(zeros: wantWeights ? shapeW : [0])
            dw.update { dw in
                Tensor.read(g, x, w) { g, x, w in
                    grads.accumulate(ix, shape: shapeX) { dx in
                        for e in 0..<edges {
                            let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                            for c in 0..<heads {
                                let base = c * f
                                Kernels.axpy(alpha: w[e * heads + c], g.pointer(at: d + base), dx.mutablePointer(at: s + base), count: f)
                                if wantWeights { dw[e * heads + c] += Kernels.dot(x.pointer(at: s + base), g.pointer(at: d + base), count: f) }
                            }
                        }
                    }
                    if wantWeights && !grads.wants(ix) {
                        for e in 0..<edges {
                            let s = Int(sources[e]) * width, d = Int(targets[e]) * width
                            for c in 0..<heads {
                                dw[e * heads + c] += Kernels.dot(x.pointer(at: s + c * f), g.pointer(at: d + c * f), count: f)
                            }
                        }
                    }
                }
            }
            if wantWeights { grads.accumulate(iw, dw) }
        }
    }
}
