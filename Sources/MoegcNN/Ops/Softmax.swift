// Softmax family over the last axis, for attention weights and categorical policies.
//
// Masking: a logit of −∞ gets probability exactly 0. A row whose logits are all −∞ (nothing
// allowed) has softmax 0 everywhere, log-softmax −∞ everywhere, entropy 0, and passes no gradient;
// no NaN is produced.

/// log Σ exp over the `n` values starting at `start`.
@inline(__always)
private func rowLogSumExp(_ x: UnsafeBufferPointer<Float>, _ start: Int, _ n: Int) -> Float {
    n == 0 ? -.infinity : logSumExp(n, x.at(start))
}

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
        probabilities.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows { softmaxInPlace(c, out.at(r * c)) }
        }
        let y = probabilities
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.withUnsafeBufferPointer { gs in
                    y.withUnsafeBufferPointer { ys in
                        for r in 0..<rows {
                            var dot: Float = 0
                            for j in 0..<c { dot += gs[r * c + j] * ys[r * c + j] }
                            for j in 0..<c { dx[r * c + j] += ys[r * c + j] * (gs[r * c + j] - dot) }
                        }
                    }
                }
            }
        }
    }

    /// Log-softmax over the last axis: `x − log Σ exp x`. Gradient: `dx = g − softmax(x) · Σ g`.
    public func logSoftmax() -> Var {
        let x = value
        let (rows, c) = lastAxisRows
        let y = Tensor(shape: x.shape, unsafeUninitialized: { out in
            x.withUnsafeBufferPointer { xs in
                for r in 0..<rows {
                    let lse = rowLogSumExp(xs, r * c, c)
                    for j in 0..<c { out[r * c + j] = lse == -.infinity ? -.infinity : xs[r * c + j] - lse }
                }
            }
        })
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.withUnsafeBufferPointer { gs in
                    y.withUnsafeBufferPointer { ys in
                        for r in 0..<rows {
                            var total: Float = 0
                            var masked = true
                            for j in 0..<c {
                                total += gs[r * c + j]
                                masked = masked && ys[r * c + j] == -.infinity
                            }
                            if masked { continue }
                            for j in 0..<c { dx[r * c + j] += gs[r * c + j] - expNonPositive(ys[r * c + j]) * total }
                        }
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
        var logP = [Float](repeating: -.infinity, count: x.count)
        var entropy = [Float](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xs in
            for r in 0..<rows {
                let lse = rowLogSumExp(xs, r * c, c)
                if lse == -.infinity { continue }
                var h: Float = 0
                for j in 0..<c {
                    let lp = xs[r * c + j] - lse
                    logP[r * c + j] = lp
                    if lp > -.infinity { h -= expNonPositive(lp) * lp }
                }
                entropy[r] = h
            }
        }
        let out = Tensor(shape: Array(x.shape.dropLast()), scalars: entropy)
        let ix = id
        let (logProb, rowEntropy) = (logP, entropy)
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.withUnsafeBufferPointer { gs in
                    for r in 0..<rows {
                        for j in 0..<c where logProb[r * c + j] > -.infinity {
                            let lp = logProb[r * c + j]
                            dx[r * c + j] -= gs[r] * expNonPositive(lp) * (lp + rowEntropy[r])
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
        let out = Tensor(shape: [rows], unsafeUninitialized: { y in
            x.withUnsafeBufferPointer { xs in
                for i in 0..<rows { y[i] = xs[i * c + Int(indices[i])] }
            }
        })
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.withUnsafeBufferPointer { gs in
                    for i in 0..<rows { dx[i * c + Int(indices[i])] += gs[i] }
                }
            }
        }
    }
}
