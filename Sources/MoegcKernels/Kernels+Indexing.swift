// Index-driven data movement over whole tensors, for f32 and i32 alike: gather along any axis,
// gather/scatter by element (ONNX GatherElements / ScatterElements) and by index tuple (GatherND /
// ScatterND), cumulative sums, triangle masks (Trilu) and one-hot rows.
//
// Shapes are row-major and given as [Int]; every index has been normalised to 0..<size and checked
// by the caller (the executor turns a bad index into an error naming the node), so the kernels
// only assert it. Outputs must not overlap inputs unless a kernel says so.
//
//     gather along axis 1 of x[2, 4, 3] with idx[5]:  out[2, 5, 3], out[o, j, :] = x[o, idx[j], :]
//     gatherElements along axis a:                     out[i…] = x[i… with i_a replaced by idx[i…]]
//     gatherND, batch dims b, idx[…, m]:               out[p…, :] = x[p_0..p_{b-1}, idx[p…, 0..<m], :]

extension Kernels {
    /// Row-major element strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            s[d] = acc
            acc *= shape[d]
        }
        return s
    }

    /// out[o, j, i] = x[o, idx[j], i] with o over the axes before `axis` (`outer` of them
    /// together), i over those after (`inner` elements), j over the `count` indices; one block copy
    /// per (o, j). Each index must be in 0..<axisSize.
    public static func gatherAxis<T>(_ x: UnsafePointer<T>, outer: Int, axisSize: Int, inner: Int,
                                     indices: UnsafePointer<Int32>, count: Int, out: UnsafeMutablePointer<T>) {
        precondition(outer >= 0 && axisSize >= 0 && inner >= 0 && count >= 0, "gatherAxis: negative size")
        for o in 0..<outer {
            let src = x + o * axisSize * inner, dst = out + o * count * inner
            for j in 0..<count {
                let row = Int(indices[j])
                precondition(row >= 0 && row < axisSize, "gatherAxis: index out of range")
                (dst + j * inner).update(from: src + row * inner, count: inner)
            }
        }
    }

    /// ONNX GatherElements: out has the indices' shape; out[i…] = x[i… with the `axis` coordinate
    /// replaced by idx[i…]]. Every index must be in 0..<shape[axis].
    public static func gatherElements<T>(_ x: UnsafePointer<T>, shape: [Int], indices: UnsafePointer<Int32>,
                                         indexShape: [Int], axis: Int, out: UnsafeMutablePointer<T>) {
        let xs = strides(shape)
        forEachIndex(indexShape) { i, coordinate in
            let idx = Int(indices[i])
            precondition(idx >= 0 && idx < shape[axis], "gatherElements: index out of range")
            var off = 0
            for d in 0..<coordinate.count { off += (d == axis ? idx : coordinate[d]) * xs[d] }
            out[i] = x[off]
        }
    }

    /// How scatter kernels combine an update with the value already there.
    public enum ScatterReduction: String, Sendable, CaseIterable {
        case none, add, mul, max, min
    }

    /// ONNX ScatterElements into `out`, which holds a copy of the data: for every update element
    /// i…, out[i… with the `axis` coordinate replaced by idx[i…]] = update (or combined with it by
    /// `reduction`), in order of i. Every index must be in 0..<shape[axis].
    public static func scatterElements<T: Numeric & Comparable>(_ out: UnsafeMutablePointer<T>, shape: [Int],
                                                               indices: UnsafePointer<Int32>, updates: UnsafePointer<T>,
                                                               updateShape: [Int], axis: Int, reduction: ScatterReduction) {
        let xs = strides(shape)
        forEachIndex(updateShape) { i, coordinate in
            let idx = Int(indices[i])
            precondition(idx >= 0 && idx < shape[axis], "scatterElements: index out of range")
            var off = 0
            for d in 0..<coordinate.count { off += (d == axis ? idx : coordinate[d]) * xs[d] }
            out[off] = combine(out[off], updates[i], reduction)
        }
    }

    /// ONNX GatherND with `batchDims` leading batch axes: idx is [batch…, p…, m]; for each tuple
    /// position, the slice x[batch…, idx[…, 0], …, idx[…, m−1], :] (`slice` elements) is copied.
    /// Each index component must be in 0..<shape[batchDims + c].
    public static func gatherND<T>(_ x: UnsafePointer<T>, shape: [Int], indices: UnsafePointer<Int32>,
                                   indexShape: [Int], batchDims: Int, out: UnsafeMutablePointer<T>) {
        let m = indexShape.last ?? 0
        let xs = strides(shape)
        let slice = shape[(batchDims + m)...].reduce(1, *)
        let batchCount = shape[..<batchDims].reduce(1, *)
        let perBatch = indexShape[batchDims..<(indexShape.count - 1)].reduce(1, *)
        let batchStride = batchDims > 0 ? xs[batchDims - 1] : 0
        var o = 0
        for b in 0..<batchCount {
            for t in 0..<perBatch {
                let tuple = indices + (b * perBatch + t) * m
                var off = b * batchStride
                for c in 0..<m {
                    let v = Int(tuple[c])
                    precondition(v >= 0 && v < shape[batchDims + c], "gatherND: index out of range")
                    off += v * xs[batchDims + c]
                }
                (out + o).update(from: x + off, count: slice)
                o += slice
            }
        }
    }

    /// ONNX ScatterND into `out`, which holds a copy of the data: idx is [p…, m]; for each tuple
    /// in order, the slice out[idx[…, 0], …, idx[…, m−1], :] takes the matching slice of the updates
    /// (or is combined with it by `reduction`). Each index component must be in 0..<shape[c].
    public static func scatterND<T: Numeric & Comparable>(_ out: UnsafeMutablePointer<T>, shape: [Int],
                                                         indices: UnsafePointer<Int32>, indexShape: [Int],
                                                         updates: UnsafePointer<T>, reduction: ScatterReduction) {
        let m = indexShape.last ?? 0
        let xs = strides(shape)
        let slice = shape[m...].reduce(1, *)
        let tuples = indexShape.dropLast().reduce(1, *)
        for t in 0..<tuples {
            var off = 0
            for c in 0..<m {
                let v = Int(indices[t * m + c])
                precondition(v >= 0 && v < shape[c], "scatterND: index out of range")
                off += v * xs[c]
            }
            let u = updates + t * slice
            for e in 0..<slice { out[off + e] = combine(out[off + e], u[e], reduction) }
        }
    }

    @inline(__always)
    static func combine<T: Numeric & Comparable>(_ old: T, _ new: T, _ r: ScatterReduction) -> T {
        switch r {
        case .none: return new
        case .add: return old + new
        case .mul: return old * new
        case .max: return Swift.max(old, new)
        case .min: return Swift.min(old, new)
        }
    }

    /// Cumulative sums along the middle axis of an [outer, n, inner] block: out[o, j, i] =
    /// Σ x[o, j', i] over j' ≤ j (j' < j when `exclusive`; j' ≥ j, or > j, when `reverse`).
    /// f32 sums accumulate in Float, in order along the axis (as a running sum does).
    public static func cumulativeSum<T: Numeric>(_ x: UnsafePointer<T>, outer: Int, n: Int, inner: Int,
                                                 exclusive: Bool, reverse: Bool, out: UnsafeMutablePointer<T>) {
        for o in 0..<outer {
            for i in 0..<inner {
                var acc: T = 0
                for step in 0..<n {
                    let j = reverse ? n - 1 - step : step
                    let at = (o * n + j) * inner + i
                    if exclusive {
                        out[at] = acc
                        acc += x[at]
                    } else {
                        acc += x[at]
                        out[at] = acc
                    }
                }
            }
        }
    }

    /// ONNX Trilu over each [rows, cols] matrix of `count` ones: keeps x[r, c] where c − r ≥ k
    /// (upper) or c − r ≤ k (lower), zero elsewhere.
    public static func triangle<T: Numeric>(_ x: UnsafePointer<T>, matrices count: Int, rows: Int, cols: Int,
                                            upper: Bool, k: Int, out: UnsafeMutablePointer<T>) {
        for m in 0..<count {
            let base = m * rows * cols
            for r in 0..<rows {
                for c in 0..<cols {
                    let keep = upper ? c - r >= k : c - r <= k
                    out[base + r * cols + c] = keep ? x[base + r * cols + c] : 0
                }
            }
        }
    }

    /// One-hot rows: out is [outer, depth, inner] (the depth axis inserted where the indices'
    /// axis split into outer and inner); out[o, d, i] = on when d == idx[o, i] (an index in
    /// 0..<depth; others give a row of `off`), else off.
    public static func oneHot<T>(_ indices: UnsafePointer<Int32>, outer: Int, inner: Int, depth: Int,
                                 off: T, on: T, out: UnsafeMutablePointer<T>) {
        out.update(repeating: off, count: outer * depth * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let d = Int(indices[o * inner + i])
                if d >= 0 && d < depth { out[(o * depth + d) * inner + i] = on }
            }
        }
    }

    /// Calls `body(flatIndex, coordinate)` for every element of `shape`, in row-major order.
    @inline(__always)
    static func forEachIndex(_ shape: [Int], _ body: (Int, [Int]) -> Void) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        var coordinate = [Int](repeating: 0, count: shape.count)
        for i in 0..<count {
            body(i, coordinate)
            var d = shape.count - 1
            while d >= 0 {
                coordinate[d] += 1
                if coordinate[d] < shape[d] { break }
                coordinate[d] = 0
                d -= 1
            }
        }
    }
}

/// A comparison of two numbers; the result is 1 (true) or 0 (false), as moegc holds booleans.
public enum CompareOp: String, Sendable, Hashable, CaseIterable {
    case equal, less, lessEqual, greater, greaterEqual

    @inline(__always)
    public func apply<T: Comparable>(_ a: T, _ b: T) -> Int32 {
        switch self {
        case .equal: return a == b ? 1 : 0
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        }
    }
}

/// A logical operation on booleans held as i32 (any non-zero is true); the result is 1 or 0.
public enum LogicOp: String, Sendable, Hashable, CaseIterable {
    case and, or, xor

    @inline(__always)
    public func apply(_ a: Int32, _ b: Int32) -> Int32 {
        switch self {
        case .and: return (a != 0 && b != 0) ? 1 : 0
        case .or: return (a != 0 || b != 0) ? 1 : 0
        case .xor: return ((a != 0) != (b != 0)) ? 1 : 0
        }
    }
}
