import MoegcKernels

// Shape ops: reshape, 2-D transpose, concatenation and slicing along an axis.

extension Var {
    /// The same values viewed with another shape of equal element count (no copy).
    /// Gradient: the output gradient viewed with the input's shape.
    public func reshaped(to shape: [Int]) -> Var {
        let x = value
        precondition(Tensor.elementCount(of: shape) == x.count,
                     "reshaped: \(x.shape) has \(x.count) elements, \(shape) needs \(Tensor.elementCount(of: shape))")
        let ix = id
        return tape.record(x.reshaped(to: shape), self) { g, grads in
            grads.accumulate(ix, g.reshaped(to: x.shape))
        }
    }

    /// The transpose of a 2-D value. Gradient: the transpose of the output gradient.
    public func transposed() -> Var {
        let x = value
        precondition(x.rank == 2, "transposed: needs a 2-D value, got \(x.shape)")
        let (r, c) = (x.shape[0], x.shape[1])
        let out = Tensor(shape: [c, r]) { y in
            x.read { x in Kernels.transpose(x.pointer(), out: y.mutablePointer(), rows: r, cols: c) }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { addTransposed($0, rows: c, columns: r, into: dx) }
            }
        }
    }

    /// Concatenates values along `axis`; all other extents must agree.
    /// Gradient: each input receives its own slice of the output gradient.
    public static func concat(_ parts: [Var], axis: Int) -> Var {
        precondition(!parts.isEmpty, "concat: nothing to concatenate")
        let first = parts[0].value.shape
        precondition(axis >= 0 && axis < first.count, "concat: axis \(axis) of rank-\(first.count) values")
        for p in parts {
            var s = p.value.shape
            precondition(s.count == first.count, "concat: ranks differ")
            s[axis] = first[axis]
            precondition(s == first, "concat: \(p.value.shape) does not match \(first) off axis \(axis)")
        }
        let outer = first[..<axis].reduce(1, *)
        let inner = first[(axis + 1)...].reduce(1, *)
        let widths = parts.map { $0.value.shape[axis] * inner }     // run length per outer index
        let total = widths.reduce(0, +)
        var outShape = first
        outShape[axis] = parts.reduce(0) { $0 + $1.value.shape[axis] }
        let values = parts.map(\.value)
        let out = Tensor(shape: outShape) { y in
            var column = 0
            for (k, part) in values.enumerated() where outer > 0 && widths[k] > 0 {
                part.read { x in
                    Kernels.copyBlock(x.pointer(), srcStride: max(widths[k], 1), out: y.mutablePointer(at: column),
                                      outStride: max(total, 1), rows: outer, cols: widths[k])
                }
                column += widths[k]
            }
        }
        let ids = parts.map(\.id)
        let shapes = values.map(\.shape)
        return parts[0].tape.record(out, inputs: parts) { g, grads in
            g.read { g in
                var column = 0
                for k in 0..<ids.count {
                    grads.accumulate(ids[k], shape: shapes[k]) { dx in
                        addRuns(outer: outer, width: widths[k], from: g, stride: total, offset: column,
                                to: dx, stride: widths[k], offset: 0)
                    }
                    column += widths[k]
                }
            }
        }
    }

    /// The sub-range `range` of `axis` (e.g. `slice(axis: 1, range: 0..<64)` takes columns).
    /// Gradient: the output gradient written into that range, zeros elsewhere.
    public func slice(axis: Int, range: Range<Int>) -> Var {
        let x = value
        precondition(axis >= 0 && axis < x.rank, "slice: axis \(axis) of rank-\(x.rank) value")
        precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[axis],
                     "slice: \(range) outside 0..<\(x.shape[axis])")
        let outer = x.shape[..<axis].reduce(1, *)
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let full = x.shape[axis] * inner, width = range.count * inner, start = range.lowerBound * inner
        var outShape = x.shape
        outShape[axis] = range.count
        let out = Tensor(shape: outShape) { y in
            guard outer > 0 && width > 0 else { return }
            x.read { x in
                Kernels.copyBlock(x.pointer(at: start), srcStride: max(full, 1), out: y.mutablePointer(),
                                  outStride: max(width, 1), rows: outer, cols: width)
            }
        }
        let ix = id
        return tape.record(out, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                g.read { g in
                    addRuns(outer: outer, width: width, from: g, stride: width, offset: 0, to: dx, stride: full, offset: start)
                }
            }
        }
    }
}

/// Adds `outer` runs of `width` scalars between strided layouts (the gradient of a copy).
private func addRuns(outer: Int, width: Int, from src: Tensor.UnsafeHandle, stride srcStride: Int, offset srcOffset: Int,
                     to dst: Tensor.UnsafeHandle, stride dstStride: Int, offset dstOffset: Int) {
    for o in 0..<outer {
        let s = o * srcStride + srcOffset, d = o * dstStride + dstOffset
        for i in 0..<width { dst[d + i] += src[s + i] }
    }
}

/// Adds the transpose of a `rows × columns` matrix into `y`, in cache-friendly tiles.
private func addTransposed(_ x: Tensor.UnsafeHandle, rows: Int, columns: Int, into y: Tensor.UnsafeHandle) {
    let tile = 32
    for r0 in stride(from: 0, to: rows, by: tile) {
        for c0 in stride(from: 0, to: columns, by: tile) {
            for r in r0..<min(r0 + tile, rows) {
                for c in c0..<min(c0 + tile, columns) { y[c * rows + r] += x[r * columns + c] }
            }
        }
    }
}
