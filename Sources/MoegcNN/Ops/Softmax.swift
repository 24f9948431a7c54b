import MoegcKernels

// Softmax family over the last axis, for attention weights and categorical policies. The values
// are MoegcKernels' (`Kernels.softmax`, `Kernels.logSoftmax`, `Kernels.logSumExp`,
// `FastMath.expNonPositive`), the backward rules are here.
//
// Masking: a logit of −∞ gets probability exactly 0. A row whose logits are all −∞ (nothing
// allowed) has softmax 0 everywhere, log-softmax −∞ everywhere, entropy 0, and passes no gradient;
// no NaN is produced.

extension Var {
    private var lastAxisRows: (rows: Int, width: Int) {
        precondition(value.rank >= 1, "softmax family: needs rank ≥ 1")
        let width = value.shape[value.rank - 1]
        return (width == 0 ? 0 : value.count / width, width)
    }

    /// Softmax over the last axis. Gradient: `dx = y ⊙ (g − Σ g⊙y)` per row.
    public func softmax() -> Var {
        let x = value
        let (rows, c) = lastAxisRows
        var probabilities = x
        probabilities.update { Kernels.softmax(inPlace: $0.mutablePointer(), rows: rows, cols: c, ld: c) }
        let y = probabilities
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                Tensor.read(g, y) { g, y in
                    for r in 0..<rows {
                        var dot: Float = 0
                        for j in 0..<c { dot += g[r * c + j] * y[r * c + j] }
                        for j in 0..<c { dx[r * c + j] += y[r * c + j] * (g[r * c + j] - dot) }
                    }
                }
            }
        }
    }

    /// Log-softmax over the last axis: `x − log Σ exp x`. Gradient: `dx = g − softmax(x) · Σ g`.
    public func logSoftmax() -> Var {
        let x = value
        let (rows, c) = lastAxisRows
        let y = Tensor(shape: x.shape) { out in
            x.read { x in Kernels.logSoftmax(x.pointer(), out: out.mutablePointer(), rows: rows, cols: c) }
        }
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                Tensor.read(g, y) { g, y in
                    for r in 0..<rows {
                        var total: Float = 0
                        var masked = true
                        for j in 0..<c {
                            total += g[r * c + j]
                            masked = masked && y[r * c + j] == -.infinity
                        }
                        if masked { continue }
                        for j in 0..<c { dx[r * c + j] += g[r * c + j] - FastMath.expNonPositive(y[r * c + j]) * total }
                    }
                }
            }
        }
    }

    /// The entropy −Σ p log p of the categorical distribution softmax(x) of each row of logits;
    /// the last axis is dropped. Gradient: `dx_j = −g · p_j (log p_j + H)`.
    public func categoricalEntropy() -> Var {
        let x = value
        let (rows, c) = lastAxisRows
        var logP = Tensor(repeating: -.infinity, shape: [x.count])
        var entropy = Tensor(zeros: Array(x.shape.dropLast()))
        x.read { xs in
            Tensor.update(&logP, &entropy) { logP, entropy in
                for r in 0..<rows {
                    let lse = Kernels.logSumExp(xs.pointer(at: r * c), count: c)
                    if lse == -.infinity { continue }
                    var h: Float = 0
                    for j in 0..<c {
                        let lp = xs[r * c + j] - lse
                        logP[r * c + j] = lp
                        if lp > -.infinity { h -= FastMath.expNonPositive(lp) * lp }
                    }
                    entropy[r] = h
                }
            }
        }
        let ix = id
        let (logProb, rowEntropy) = (logP, entropy)
        return tape.record(entropy, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                Tensor.read(g, logProb, rowEntropy) { g, logProb, rowEntropy in
                    for r in 0..<rows {
                        for j in 0..<c where logProb[r * c + j] > -.infinity {
                            let lp = logProb[r * c + j]
                            dx[r * c + j] -= g[r] * FastMath.expNonPositive(lp) * (lp + rowEntropy[r])
                        }
                    }
                }
            }
        }
    }

    /// Picks one element per row of a 2-D value: `out[i] = x[i, indices[i]]` (e.g. the log-probability
    /// of the chosen action). Gradient: the output gradient scattered back to the picked entries.
    public func pick(_ indices: [Int32]) -> Var {
        let x = value
        precondition(x.rank == 2, "pick: needs a 2-D value, got \(x.shape)")
        let (rows, c) = (x.shape[0], x.shape[1])
        precondition(indices.count == rows, "pick: \(indices.count) indices for \(rows) rows")
        for k in indices { precondition(k >= 0 && Int(k) < c, "pick: index \(k) outside 0..<\(c)") }
        let out = Tensor(shape: [rows]) { y in
            x.read { x in
                for i in 0..<rows { y[i] = x[i * c + Int(indices[i])] }
            }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { g in
                    for i in 0..<rows { dx[i * c + Int(indices[i])] += g[i] }
                }
            }
        }
    }
}
