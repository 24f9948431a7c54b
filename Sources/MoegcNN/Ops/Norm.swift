// Layer normalisation over the last axis, fused: one pass forward, one pass backward.

extension Var {
    /// Layer normalisation of each row (last axis): `y = (x − μ) / √(σ² + ε) · γ + β`, with
    /// `gamma` and `beta` of shape `[F]` for rows of width `F`.
    ///
    /// Gradient, with `x̂ = (x − μ)·r`, `r = 1/√(σ² + ε)` and `d̂ = g ⊙ γ`:
    /// `dx = r · (d̂ − mean(d̂) − x̂ · mean(d̂ ⊙ x̂))`, `dγ = Σ_rows g ⊙ x̂`, `dβ = Σ_rows g`.
    public func layerNorm(gamma: Var, beta: Var, epsilon: Float = 1e-5) -> Var {
        normalized(adding: nil, gamma: gamma, beta: beta, epsilon: epsilon)
    }

    /// `(self + residual).layerNorm(…)` in one op, bit for bit: each row's sum is formed in the
    /// output row and normalised there, so the `[N, F]` sum is never a tensor of its own (a
    /// transformer's post-norm residual; on the 137B model's 396k-row forward pass, 100 MB less
    /// fresh memory each). The sum's gradient goes to both operands, as the add's does.
    public func layerNorm(adding residual: Var, gamma: Var, beta: Var, epsilon: Float = 1e-5) -> Var {
        precondition(residual.value.shape == value.shape,
                     "layerNorm(adding:): shapes \(value.shape) and \(residual.value.shape) differ")
        return normalized(adding: residual, gamma: gamma, beta: beta, epsilon: epsilon)
    }

    private func normalized(adding residual: Var?, gamma: Var, beta: Var, epsilon: Float) -> Var {
        let x = value, gm = gamma.value, bt = beta.value, res = residual?.value
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
            x.withUnsafeBufferPointer { input in
              (res ?? x).withUnsafeBufferPointer { rs in
                // The rows normalised: the input's, or (with a residual) their sums, formed in `out`.
                nonisolated(unsafe) let xs = res == nil ? input : UnsafeBufferPointer(out)
                gm.withUnsafeBufferPointer { gs in
                    bt.withUnsafeBufferPointer { bs in
                        normalized.withUnsafeMutableBufferPointer { normalized in
                            inverseStd.withUnsafeMutableBufferPointer { inverseStd in
                                // Each row on its own: row bands on the tape's threads when large.
                                forEachRowBand(rows, threads: tape.threads) { band in
                                    for r in band {
                                        let base = r * f
                                        if res != nil { for j in 0..<f { out[base + j] = input[base + j] + rs[base + j] } }
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
            }
        })
        let (ix, ig, ib, ir) = (id, gamma.id, beta.id, residual?.id)
        let (xHat, rStd) = (normalized, inverseStd)
        let inputs = residual.map { [self, $0, gamma, beta] } ?? [self, gamma, beta]
        return tape.record(y, inputs: inputs) { g, grads in
            g.withUnsafeBufferPointer { gs in
                // The gradient of the normalised rows: into x's slot, or (with a residual) into a
                // buffer of its own that then goes to both operands, as the add's backward passes it.
                func rowGradient(_ dx: UnsafeMutableBufferPointer<Float>) {
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
                if let ir {
                    var sum = Tensor(zeros: x.shape)
                    sum.withUnsafeMutableBufferPointer { rowGradient($0) }
                    sum.withUnsafeBufferPointer { ds in
                        grads.accumulate(ix, shape: x.shape) { dx in for i in 0..<ds.count { dx[i] += ds[i] } }
                        grads.accumulate(ir, shape: x.shape) { dr in for i in 0..<ds.count { dr[i] += ds[i] } }
                    }
                } else {
                    grads.accumulate(ix, shape: x.shape) { rowGradient($0) }
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
