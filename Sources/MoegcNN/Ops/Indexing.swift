import MoegcKernels

// Index ops over edge lists: row gather, row scatter-add, and softmax within segments.
//
// Indices are `[Int32]` arrays (one per edge). A "segment" is the set of rows sharing an index,
// e.g. the edges entering one node when grouped by destination. Segments may be empty.

/// Checks that every index lies in `0..<bound`.
func checkIndices(_ indices: [Int32], below bound: Int, _ op: String) {
    for k in indices { precondition(k >= 0 && Int(k) < bound, "\(op): index \(k) outside 0..<\(bound)") }
}

extension Var {
    /// The rows `indices` of a value of shape `[N, …]`, giving `[indices.count, …]`
    /// (e.g. the source node's features for every edge). Gradient: scatter-add back into the rows.
    public func gatherRows(_ indices: [Int32]) -> Var {
        let x = value
        precondition(x.rank >= 1, "gatherRows: needs rank ≥ 1")
        let n = x.shape[0], width = n == 0 ? 0 : x.count / n
        checkIndices(indices, below: n, "gatherRows")
        let outShape = [indices.count] + x.shape.dropFirst()
        let out = Tensor(shape: outShape) { y in
            x.read { x in
                forEachRowBand(indices.count, threads: tape.threads) { band in
                    for e in band {
                        let s = Int(indices[e]) * width, d = e * width
                        for j in 0..<width { y[d + j] = x[s + j] }
                    }
                }
            }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { g in scatterAdd(g, indices, width: width, into: dx) }
            }
        }
    }

    /// Sums the rows of a value of shape `[E, …]` into `count` rows: row `e` is added to row
    /// `indices[e]`; rows no index names are zero. Gradient: gather of the output gradient.
    public func scatterAddRows(_ indices: [Int32], count: Int) -> Var {
        let x = value
        precondition(x.rank >= 1 && x.shape[0] == indices.count,
                     "scatterAddRows: \(indices.count) indices for value of shape \(x.shape)")
        checkIndices(indices, below: count, "scatterAddRows")
        let width = indices.isEmpty ? Tensor.elementCount(of: Array(x.shape.dropFirst())) : x.count / indices.count
        var out = Tensor(zeros: [count] + x.shape.dropFirst())
        out.update { y in
            x.read { x in scatterAdd(x, indices, width: width, into: y) }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { g in
                    for (e, k) in indices.enumerated() {
                        let s = Int(k) * width, d = e * width
                        for j in 0..<width { dx[d + j] += g[s + j] }
                    }
                }
            }
        }
    }

    /// Softmax of per-row scores within segments: for scores of shape `[E]` or `[E, H]` (H
    /// independent columns, e.g. attention heads) and `segments[e]` in `0..<segmentCount`,
    /// `y[e, h] = exp(x[e, h] − m) / Σ_{e' in seg(e)} exp(x[e', h] − m)`, `m` the segment maximum.
    ///
    /// Each non-empty segment's column sums to 1; scores of −∞ get weight 0, and a segment whose
    /// scores are all −∞ gets weights 0 (no NaN). Gradient: `dx = y ⊙ (g − Σ_seg g⊙y)`.
    public func segmentSoftmax(segments: [Int32], segmentCount: Int) -> Var {
        let x = value
        precondition((x.rank == 1 || x.rank == 2) && x.shape[0] == segments.count,
                     "segmentSoftmax: scores \(x.shape) for \(segments.count) segment ids")
        checkIndices(segments, below: segmentCount, "segmentSoftmax")
        let h = x.rank == 2 ? x.shape[1] : 1
        var maxima = Tensor(repeating: -.infinity, shape: [segmentCount * h])
        var sums = Tensor(zeros: [segmentCount * h])
        let y = Tensor(shape: x.shape) { out in
            x.read { xs in
                Tensor.update(&maxima, &sums) { maxima, sums in
                    // Each segment on its own, its rows in order: a band of segments (on the
                    // tape's threads when large) takes the rows in it.
                    forEachRowBand(segmentCount, threads: tape.threads) { band in
                        for (e, s) in segments.enumerated() where band.contains(Int(s)) {
                            for c in 0..<h { maxima[Int(s) * h + c] = max(maxima[Int(s) * h + c], xs[e * h + c]) }
                        }
                        for (e, s) in segments.enumerated() where band.contains(Int(s)) {
                            for c in 0..<h {
                                let m = maxima[Int(s) * h + c]
                                let v = m == -.infinity ? 0 : FastMath.expNonPositive(xs[e * h + c] - m)
                                out[e * h + c] = v
                                sums[Int(s) * h + c] += v
                            }
                        }
                        for (e, s) in segments.enumerated() where band.contains(Int(s)) {
                            for c in 0..<h {
                                let total = sums[Int(s) * h + c]
                                if total > 0 { out[e * h + c] /= total }
                            }
                        }
                    }
                }
            }
        }
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                Tensor.read(g, y) { gs, ys in
                    var dots = [Float](repeating: 0, count: segmentCount * h)
                    for (e, s) in segments.enumerated() {
                        for c in 0..<h { dots[Int(s) * h + c] += gs[e * h + c] * ys[e * h + c] }
                    }
                    for (e, s) in segments.enumerated() {
                        for c in 0..<h {
                            dx[e * h + c] += ys[e * h + c] * (gs[e * h + c] - dots[Int(s) * h + c])
                        }
                    }
                }
            }
        }
    }
}

/// `y[indices[e]] += x[e]` for rows of `width` scalars.
@inline(__always)
private func scatterAdd(_ x: Tensor.UnsafeHandle, _ indices: [Int32], width: Int, into y: Tensor.UnsafeHandle) {
    for (e, k) in indices.enumerated() {
        let s = e * width, d = Int(k) * width
        for j in 0..<width { y[d + j] += x[s + j] }
    }
}
