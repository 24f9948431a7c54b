import MoegcIR
import MoegcKernels

/// Indexing and layout ops of imported models: gather along an axis, expand, gather and scatter by
/// element and by index tuple, cumulative sums, one-hot rows, triangles, integer constants. Indices
/// are normalised here (−s ≤ i < 0 counts from the end where the op allows it) and checked, so a
/// bad index is an error naming the node, never a kernel's precondition.
extension NodeExecutor {
    /// `idx` with negative entries counted from the end of an axis of `size` (when `wrap`), every
    /// entry checked against 0..<size.
    static func normalised(_ idx: HostTensor, size: Int, wrap: Bool, _ what: String, _ name: String) throws(ExecutionError) -> [Int32] {
        var v = idx.ints
        for i in v.indices {
            var x = Int(v[i])
            if wrap && x < 0 { x += size }
            guard x >= 0 && x < size else {
                throw ExecutionError("index \(v[i]) out of range \(wrap ? "−\(size)" : "0")..<\(size) for the \(what) of %\(name)")
            }
            v[i] = Int32(x)
        }
        return v
    }

    func gatherAxis(_ table: HostTensor, _ idx: HostTensor, axis a: Int, wrap: Bool, _ name: String) throws(ExecutionError) -> HostTensor {
        let axis = a < 0 ? a + table.rank : a
        if axis == 0 && !wrap { return try gather(table, idx, name) }
        let size = table.shape[axis]
        let ids = try NodeExecutor.normalised(idx, size: size, wrap: wrap, "axis \(axis)", name)
        let outer = table.shape[..<axis].reduce(1, *), inner = table.shape[(axis + 1)...].reduce(1, *)
        let shape = Array(table.shape[..<axis]) + idx.shape + table.shape[(axis + 1)...]
        func run<T>(_ x: [T], _ zero: T) -> [T] {
            var out = [T](repeating: zero, count: shape.reduce(1, *))
            x.withUnsafeBufferPointer { px in
                ids.withUnsafeBufferPointer { pi in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let base = po.baseAddress, let xs = px.baseAddress, let iv = pi.baseAddress else { return }
                        Kernels.gatherAxis(xs, outer: outer, axisSize: size, inner: inner, indices: iv, count: ids.count, out: base)
                    }
                }
            }
            return out
        }
        switch table.storage {
        case .f32(let v): return HostTensor(shape, floats: run(v, 0))
        case .i32(let v): return HostTensor(shape, ints: run(v, 0))
        }
    }

    /// x broadcast to the registry's result shape.
    func expand(_ x: HostTensor, to shape: [Int]) -> HostTensor {
        func run<T>(_ v: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            NodeExecutor.strided(shape, [x.shape]) { _, o in out.append(v[o[0]]) }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(shape, floats: run(v))
        case .i32(let v): return HostTensor(shape, ints: run(v))
        }
    }

    func gatherElements(_ x: HostTensor, _ idx: HostTensor, axis a: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        let axis = a < 0 ? a + x.rank : a
        let ids = try NodeExecutor.normalised(idx, size: x.shape[axis], wrap: true, "axis \(axis)", name)
        func run<T>(_ v: [T], _ zero: T) -> [T] {
            var out = [T](repeating: zero, count: idx.count)
            v.withUnsafeBufferPointer { pv in
                ids.withUnsafeBufferPointer { pi in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let o = po.baseAddress, let xs = pv.baseAddress, let iv = pi.baseAddress else { return }
                        Kernels.gatherElements(xs, shape: x.shape, indices: iv, indexShape: idx.shape, axis: axis, out: o)
                    }
                }
            }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(idx.shape, floats: run(v, 0))
        case .i32(let v): return HostTensor(idx.shape, ints: run(v, 0))
        }
    }

    /// Each index tuple's components normalised against the axes they index.
    static func normalisedTuples(_ idx: HostTensor, axes: ArraySlice<Int>, _ name: String) throws(ExecutionError) -> [Int32] {
        var v = idx.ints
        let m = axes.count
        guard m > 0 else { return v }
        for i in v.indices {
            let size = axes[axes.startIndex + i % m]
            var x = Int(v[i])
            if x < 0 { x += size }
            guard x >= 0 && x < size else { throw ExecutionError("index \(v[i]) out of range −\(size)..<\(size) for the data of %\(name)") }
            v[i] = Int32(x)
        }
        return v
    }

    func gatherND(_ x: HostTensor, _ idx: HostTensor, batchDims b: Int, _ shape: [Int], _ name: String) throws(ExecutionError) -> HostTensor {
        let m = idx.shape.last ?? 0
        let ids = try NodeExecutor.normalisedTuples(idx, axes: x.shape[b..<(b + m)], name)
        func run<T>(_ v: [T], _ zero: T) -> [T] {
            var out = [T](repeating: zero, count: shape.reduce(1, *))
            v.withUnsafeBufferPointer { pv in
                ids.withUnsafeBufferPointer { pi in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let o = po.baseAddress, let xs = pv.baseAddress, let iv = pi.baseAddress else { return }
                        Kernels.gatherND(xs, shape: x.shape, indices: iv, indexShape: idx.shape, batchDims: b, out: o)
                    }
                }
            }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(shape, floats: run(v, 0))
        case .i32(let v): return HostTensor(shape, ints: run(v, 0))
        }
    }

    func scatterElements(_ x: HostTensor, _ idx: HostTensor, _ u: HostTensor, axis a: Int, reduction: String, _ name: String) throws(ExecutionError) -> HostTensor {
        let axis = a < 0 ? a + x.rank : a
        let ids = try NodeExecutor.normalised(idx, size: x.shape[axis], wrap: true, "axis \(axis)", name)
        let r = Kernels.ScatterReduction(rawValue: reduction) ?? .none
        func run<T: Numeric & Comparable>(_ v: [T], _ updates: [T]) -> [T] {
            var out = v
            ids.withUnsafeBufferPointer { pi in
                updates.withUnsafeBufferPointer { pu in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let o = po.baseAddress, let iv = pi.baseAddress, let uv = pu.baseAddress else { return }
                        Kernels.scatterElements(o, shape: x.shape, indices: iv, updates: uv, updateShape: u.shape, axis: axis, reduction: r)
                    }
                }
            }
            return out
        }
        switch (x.storage, u.storage) {
        case (.f32(let v), .f32(let w)): return HostTensor(x.shape, floats: run(v, w))
        case (.i32(let v), .i32(let w)): return HostTensor(x.shape, ints: run(v, w))
        default: preconditionFailure("scatter of mixed dtypes (the registry checks they agree)")
        }
    }

    func scatterND(_ x: HostTensor, _ idx: HostTensor, _ u: HostTensor, reduction: String, _ name: String) throws(ExecutionError) -> HostTensor {
        let m = idx.shape.last ?? 0
        let ids = try NodeExecutor.normalisedTuples(idx, axes: x.shape[0..<m], name)
        let r = Kernels.ScatterReduction(rawValue: reduction) ?? .none
        func run<T: Numeric & Comparable>(_ v: [T], _ updates: [T]) -> [T] {
            var out = v
            ids.withUnsafeBufferPointer { pi in
                updates.withUnsafeBufferPointer { pu in
                    out.withUnsafeMutableBufferPointer { po in
                        guard let o = po.baseAddress, let iv = pi.baseAddress, let uv = pu.baseAddress else { return }
                        Kernels.scatterND(o, shape: x.shape, indices: iv, indexShape: idx.shape, updates: uv, reduction: r)
                    }
                }
            }
            return out
        }
        switch (x.storage, u.storage) {
        case (.f32(let v), .f32(let w)): return HostTensor(x.shape, floats: run(v, w))
        case (.i32(let v), .i32(let w)): return HostTensor(x.shape, ints: run(v, w))
        default: preconditionFailure("scatter of mixed dtypes (the registry checks they agree)")
        }
    }

    func cumulativeSum(_ x: HostTensor, axis a: Int, exclusive: Bool, reverse: Bool) -> HostTensor {
        let axis = a < 0 ? a + x.rank : a
        let outer = x.shape[..<axis].reduce(1, *), n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        func run<T: Numeric>(_ v: [T]) -> [T] {
            var out = v
            v.withUnsafeBufferPointer { pv in
                out.withUnsafeMutableBufferPointer { po in
                    guard let o = po.baseAddress, let xs = pv.baseAddress else { return }
                    Kernels.cumulativeSum(xs, outer: outer, n: n, inner: inner, exclusive: exclusive, reverse: reverse, out: o)
                }
            }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(x.shape, floats: run(v))
        case .i32(let v): return HostTensor(x.shape, ints: run(v))
        }
    }

    /// One-hot rows; an index −depth ≤ i < 0 counts from the end, one outside −depth..<depth gives
    /// a row of `off` (as ONNX OneHot).
    func oneHot(_ idx: HostTensor, _ values: HostTensor, depth: Int, axis a: Int) -> HostTensor {
        let axis = a < 0 ? a + idx.rank + 1 : a
        var shape = idx.shape
        shape.insert(depth, at: axis)
        let outer = idx.shape[..<axis].reduce(1, *), inner = idx.shape[axis...].reduce(1, *)
        let ids = idx.ints.map { $0 < 0 && Int($0) >= -depth ? $0 + Int32(depth) : $0 }
        func run<T>(_ off: T, _ on: T) -> [T] {
            var out = [T](repeating: off, count: shape.reduce(1, *))
            ids.withUnsafeBufferPointer { pi in
                out.withUnsafeMutableBufferPointer { po in
                    guard let o = po.baseAddress, let iv = pi.baseAddress else { return }
                    Kernels.oneHot(iv, outer: outer, inner: inner, depth: depth, off: off, on: on, out: o)
                }
            }
            return out
        }
        switch values.storage {
        case .f32(let v): return HostTensor(shape, floats: run(v[0], v[1]))
        case .i32(let v): return HostTensor(shape, ints: run(v[0], v[1]))
        }
    }

    func triangle(_ x: HostTensor, upper: Bool, k: Int) -> HostTensor {
        let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1]
        let count = rows * cols == 0 ? 0 : x.count / (rows * cols)
        func run<T: Numeric>(_ v: [T]) -> [T] {
            var out = v
            v.withUnsafeBufferPointer { pv in
                out.withUnsafeMutableBufferPointer { po in
                    guard let o = po.baseAddress, let xs = pv.baseAddress else { return }
                    Kernels.triangle(xs, matrices: count, rows: rows, cols: cols, upper: upper, k: k, out: o)
                }
            }
            return out
        }
        switch x.storage {
        case .f32(let v): return HostTensor(x.shape, floats: run(v))
        case .i32(let v): return HostTensor(x.shape, ints: run(v))
        }
    }

    /// The integers of a `constant` node (one value fills the tensor).
    func constant(_ shape: [Int], _ values: [Int]) -> HostTensor {
        let n = shape.reduce(1, *)
        if values.count == 1 && n != 1 { return HostTensor(shape, ints: [Int32](repeating: Int32(values[0]), count: n)) }
        return HostTensor(shape, ints: values.map { Int32($0) })
    }
}
