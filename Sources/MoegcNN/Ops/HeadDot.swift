import MoegcKernels

// Per-head dot products with one learned vector per head: the attention-score half of a GAT,
// fused so no [N, H, F] temporary is formed.

extension Var {
    /// For a value `[N, H·F]` (H heads of width F side by side) and `vectors [H, F]`, the score
    /// `out[n, h] = Σ_f self[n, h·F + f] · vectors[h, f]`, shape `[N, H]`.
    ///
    /// Gradient: `dself[n, h·F + f] = g[n, h] · vectors[h, f]`,
    /// `dvectors[h, f] = Σ_n g[n, h] · self[n, h·F + f]`.
    public func headDot(_ vectors: Var) -> Var {
        let x = value, a = vectors.value
        precondition(x.rank == 2 && a.rank == 2 && a.count > 0 && a.shape[0] * a.shape[1] == x.shape[1],
                     "headDot: value \(x.shape) does not split into vectors \(a.shape)")
        let n = x.shape[0], heads = a.shape[0], f = a.shape[1], width = x.shape[1]
        let out = Tensor(shape: [n, heads]) { y in
            Tensor.read(x, a) { x, a in
                forEachRowBand(n, threads: tape.threads) { band in
                    for r in band {
                        for h in 0..<heads {
                            y[r * heads + h] = Kernels.dot(x.pointer(at: r * width + h * f), a.pointer(at: h * f), count: f)
                        }
                    }
                }
            }
        }
        let (ix, ia) = (id, vectors.id)
        return tape.record(out, self, vectors) { g, grads in
            Tensor.read(g, x, a) { g, x, a in
                grads.accumulate(ix, shape: [n, width]) { dx in
                    for r in 0..<n {
                        for h in 0..<heads {
                            Kernels.axpy(alpha: g[r * heads + h], a.pointer(at: h * f), dx.mutablePointer(at: r * width + h * f), count: f)
                        }
                    }
                }
                grads.accumulate(ia, shape: [heads, f]) { da in
                    for r in 0..<n {
                        for h in 0..<heads {
                            Kernels.axpy(alpha: g[r * heads + h], x.pointer(at: r * width + h * f), da.mutablePointer(at: h * f), count: f)
                        }
                    }
                }
            }
        }
    }
}
