// Reductions: sums and means over everything or over one axis.

extension Var {
    /// The sum of all elements, as a rank-0 value. Gradient: the output gradient, everywhere.
    public func sum() -> Var {
        let x = value
        var total = 0.0
        x.read { x in for i in 0..<x.count { total += Double(x[i]) } }
        let ix = id
        return tape.record(Tensor(Float(total)), self) { g, grads in
            let gv = g.scalar
            grads.accumulate(ix, shape: x.shape) { dx in
                for i in 0..<dx.count { dx[i] += gv }
            }
        }
    }

    /// The mean of all elements, as a rank-0 value.
    public func mean() -> Var {
        precondition(value.count > 0, "mean: empty tensor")
        return sum().affine(scale: 1 / Float(value.count))
    }

    /// Sums over `axis`; the axis is dropped, or kept with extent 1 when `keepingAxis` is set.
    /// Gradient: the output gradient broadcast back along the axis.
    public func sum(alongAxis axis: Int, keepingAxis: Bool = false) -> Var {
        let x = value
        precondition(axis >= 0 && axis < x.rank, "sum(alongAxis:): axis \(axis) of rank-\(x.rank) value")
        let outer = x.shape[..<axis].reduce(1, *)
        let extent = x.shape[axis]
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        var outShape = x.shape
        if keepingAxis { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        var out = Tensor(zeros: outShape)
        out.update { y in
            x.read { xs in
                if inner == 1 {   // summing the last axis: one contiguous row per output
                    for o in 0..<outer {
                        var total: Float = 0
                        for d in 0..<extent { total += xs[o * extent + d] }
                        y[o] = total
                    }
                    return
                }
                for o in 0..<outer {
                    for d in 0..<extent {
                        let src = (o * extent + d) * inner, dst = o * inner
                        for i in 0..<inner { y[dst + i] += xs[src + i] }
                    }
                }
            }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { gs in
                    if inner == 1 {
                        for o in 0..<outer {
                            let v = gs[o]
                            for d in 0..<extent { dx[o * extent + d] += v }
                        }
                        return
                    }
                    for o in 0..<outer {
                        for d in 0..<extent {
                            let dst = (o * extent + d) * inner, src = o * inner
                            for i in 0..<inner { dx[dst + i] += gs[src + i] }
                        }
                    }
                }
            }
        }
    }

    /// Means over `axis` (see `sum(alongAxis:keepingAxis:)`).
    public func mean(alongAxis axis: Int, keepingAxis: Bool = false) -> Var {
        let extent = value.shape[axis]
        precondition(extent > 0, "mean(alongAxis:): empty axis")
        return sum(alongAxis: axis, keepingAxis: keepingAxis).affine(scale: 1 / Float(extent))
    }

    /// Mean squared error against `target` (same shape): mean((self − target)²).
    public func meanSquaredError(_ target: Var) -> Var {
        precondition(value.shape == target.value.shape,
                     "meanSquaredError: shapes \(value.shape) and \(target.value.shape) differ")
        return (self - target).square().mean()
    }
}
