// Layer normalisation over the last axis, fused: one pass forward, one pass backward.

extension Var {
    /// Layer normalisation of each row (last axis): `y = (x − μ) / √(σ² + ε) · γ + β`, with
    /// `gamma` and `beta` of shape `[F]` for rows of width `F`.
    ///
    /// Gradient, with `x̂ = (x − μ)·r`, `r = 1/√(σ² + ε)` and `d̂ = g ⊙ γ`:
    /// `dx = r · (d̂ − mean(d̂) − x̂ · mean(d̂ ⊙ x̂))`, `dγ = Σ_rows g ⊙ x̂`, `dβ = Σ_rows g`.
    public func layerNorm(gamma: Var, beta: Var, epsilon: Float = 1e-5) -> Var {
        let x = value, gm = gamma.value, bt = beta.value
        precondition(x.rank >= 1, "layerNorm: needs rank ≥ 1")
        let f = x.shape[x.rank - 1]
        precondition(gm.shape == [f] && bt.shape == [f],
                     "layerNorm: gamma \(gm.shape) and beta \(bt.shape) for rows of width \(f)")
        let rows = f == 0 ? 0 : x.count / f
        // x̂ and r are kept for the backward pass only when the tape records.
        let keep = tape.isRecording
        var normalized = [Float](repeating: 0, count: keep ? x.count : 0)   // x̂
        var inverseStd = [Float](repeating: 0, count: keep ? rows : 0)      // r
        let y = Tensor(shape: x.shape, unsafeUninitialized: { out in
            x.withUnsafeBufferPointer { xs in
                gm.withUnsafeBufferPointer { gs in
                    bt.withUnsafeBufferPointer { bs in
                        normalized.withUnsafeMutableBufferPointer { normalized in
                            inverseStd.withUnsafeMutableBufferPointer { inverseStd in
                                // Each row on its own: row bands on the tape's threads when large.
                                forEachRowBand(rows, threads: tape.threads) { band in
                                    for r in band {
                                        let base = r * f
                                        var mean: Float = 0
                                        for j in 0..<f { mean += xs[base + j] }
                                        mean /= Float(f)
                                        var variance: Float = 0
                                        for j in 0..<f { let d = xs[base + j] - mean; variance += d * d }
                                        variance /= Float(f)
                                        let inv = 1 / (variance + epsilon).squareRoot()
                                        if keep { inverseStd[r] = inv }
                                        for j in 0..<f {
                                            let xh = (xs[base + j] - mean) * inv
                                            if keep { normalized[base + j] = xh }
                                            out[base + j] = xh * gs[j] + bs[j]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
        let (ix, ig, ib) = (id, gamma.id, beta.id)
        let (xHat, rStd) = (normalized, inverseStd)
        return tape.record(y, self, gamma, beta) { g, grads in
            g.withUnsafeBufferPointer { gs in
                grads.accumulate(ix, shape: x.shape) { dx in
                    gm.withUnsafeBufferPointer { gamma in
                        for r in 0..<rows {
                            let base = r * f
                            var meanD: Float = 0, meanDX: Float = 0
                            for j in 0..<f {
                                let d = gs[base + j] * gamma[j]
                                meanD += d
                                meanDX += d * xHat[base + j]
                            }
                            meanD /= Float(f)
                            meanDX /= Float(f)
                            for j in 0..<f {
                                let d = gs[base + j] * gamma[j]
                                dx[base + j] += rStd[r] * (d - meanD - xHat[base + j] * meanDX)
                            }
                        }
                    }
                }
                grads.accumulate(ig, shape: [f]) { dg in
                    for r in 0..<rows {
                        for j in 0..<f { dg[j] += gs[r * f + j] * xHat[r * f + j] }
                    }
                }
                grads.accumulate(ib, shape: [f]) { db in
                    for r in 0..<rows {
                        for j in 0..<f { db[j] += gs[r * f + j] }
                    }
                }
            }
        }
    }
}
