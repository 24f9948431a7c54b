import MoegcKernels

// Layer normalisation over the last axis: the forward pass is MoegcKernels' `Kernels.layerNorm`
// (the runtime's `normalize` runs the same code), the backward rule is here.

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
        let x = value, gm = gamma.value, bt = beta.value
        precondition(x.rank >= 1, "layerNorm: needs rank ≥ 1")
        let f = x.shape[x.rank - 1]
        precondition(gm.shape == [f] && bt.shape == [f],
                     "layerNorm: gamma \(gm.shape) and beta \(bt.shape) for rows of width \(f)")
        let rows = f == 0 ? 0 : x.count / f
        // x̂ and r are kept for the backward pass only when the tape records.
        let keep = tape.isRecording
        var xHat = Tensor(zeros: [keep ? x.count : 0]), rStd = Tensor(zeros: [keep ? rows : 0])
        let y = Tensor(shape: x.shape) { out in
            Tensor.update(&xHat, &rStd) { xHat, rStd in
                Tensor.read(x, residual?.value ?? x, gm, bt) { x, r, g, b in
                    // Each row on its own: row bands on the tape's threads when large.
                    forEachRowBand(rows, threads: tape.threads) { band in
                        let start = band.lowerBound * f
                        Kernels.layerNorm(x.pointer(at: start), adding: residual == nil ? nil : r.pointer(at: start),
                                          gamma: g.pointer(), beta: b.pointer(), eps: epsilon,
                                          out: out.mutablePointer(at: start), rows: band.count, cols: f,
                                          rstd: keep ? rStd.mutablePointer(at: band.lowerBound) : nil,
                                          normalized: keep ? xHat.mutablePointer(at: start) : nil)
                    }
                }
            }
        }
        let (ix, ig, ib, ir) = (id, gamma.id, beta.id, residual?.id)
        let (normalizedRows, inverseStd) = (xHat, rStd)
        let inputs = residual.map { [self, $0, gamma, beta] } ?? [self, gamma, beta]
        return tape.record(y, inputs: inputs) { g, grads in
            Tensor.read(g, gm, normalizedRows, inverseStd) { g, gamma, xHat, rStd in
                // The gradient of the normalised rows: into x's slot, or (with a residual) into a
                // buffer of its own that then goes to both operands, as the add's backward passes it.
                func rowGradient(_ dx: Tensor.UnsafeHandle) {
                    for r in 0..<rows {
                        let base = r * f
                        var meanD: Float = 0, meanDX: Float = 0
                        for j in 0..<f {
                            let d = g[base + j] * gamma[j]
                            meanD += d
                            meanDX += d * xHat[base + j]
                        }
                        meanD /= Float(f)
                        meanDX /= Float(f)
                        for j in 0..<f {
                            let d = g[base + j] * gamma[j]
                            dx[base + j] += rStd[r] * (d - meanD - xHat[base + j] * meanDX)
                        }
                    }
                }
                if let ir {
                    var sum = Tensor(zeros: x.shape)
                    sum.update { rowGradient($0) }
                    sum.read { ds in
                        grads.accumulate(ix, shape: x.shape) { $0.add(ds) }
                        grads.accumulate(ir, shape: x.shape) { $0.add(ds) }
                    }
                } else {
                    grads.accumulate(ix, shape: x.shape) { rowGradient($0) }
                }
                grads.accumulate(ig, shape: [f]) { dg in
                    for r in 0..<rows {
                        for j in 0..<f { dg[j] += g[r * f + j] * xHat[r * f + j] }
                    }
                }
                grads.accumulate(ib, shape: [f]) { db in
                    for r in 0..<rows {
                        for j in 0..<f { db[j] += g[r * f + j] }
                    }
                }
            }
        }
    }
}
