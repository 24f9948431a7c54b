// Elementwise functions of two tensors, with the second broadcast over rows or columns.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An elementwise function of two floats.
public enum BinaryOp: Sendable, Hashable, CaseIterable {
    /// a + b.
    case add
    /// a − b.
    case sub
    /// a · b.
    case mul
    /// a / b (IEEE: x/0 = ±∞, 0/0 = NaN).
    case div
    /// max(a, b) (b when a is NaN, a when b is NaN, as `b > a ? b : a`).
    case max
    /// min(a, b) (as `b < a ? b : a`).
    case min
    /// a^b (libm's powf: NaN for a negative a and a non-integer b).
    case pow

    /// The function on one pair (the kernels inline the same code in their loops).
    @inline(__always)
    public func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .max: return b > a ? b : a
        case .min: return b < a ? b : a
        case .pow: return powf(a, b)
        }
    }
}

/// How the second operand `b` of a binary kernel over an `a` of shape [rows, cols] is laid out.
public enum Broadcast: Sendable, Hashable, CaseIterable {
    /// b has a's shape: out[r,c] = a[r,c] op b[r,c].
    case none
    /// b is a row vector of `cols` elements: out[r,c] = a[r,c] op b[c].
    case row
    /// b is a column vector of `rows` elements: out[r,c] = a[r,c] op b[r].
    case column
    /// b is one element: out[r,c] = a[r,c] op b[0].
    case scalar

    /// The number of elements b holds for an a of shape [rows, cols].
    public func count(rows: Int, cols: Int) -> Int {
        switch self {
        case .none: return rows * cols
        case .row: return cols
        case .column: return rows
        case .scalar: return 1
        }
    }
}

extension Kernels {
    /// out[r,c] = a[r,c] op b[…] over a [rows, cols] block, with `b` laid out as `broadcast` says.
    ///
    /// In place allowed: `out` may be `a`; with `.none` it may instead be `b`. A broadcast `b`
    /// must not overlap `out`.
    public static func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              broadcast: Broadcast, out: UnsafeMutablePointer<Float>,
                              rows: Int, cols: Int) {
        checkShape(rows, cols)
        switch op {
        case .add: zip(a, b, broadcast, out, rows, cols) { $0 + $1 }
        case .sub: zip(a, b, broadcast, out, rows, cols) { $0 - $1 }
        case .mul: zip(a, b, broadcast, out, rows, cols) { $0 * $1 }
        case .div: zip(a, b, broadcast, out, rows, cols) { $0 / $1 }
        case .max: zip(a, b, broadcast, out, rows, cols) { $1 > $0 ? $1 : $0 }
        case .min: zip(a, b, broadcast, out, rows, cols) { $1 < $0 ? $1 : $0 }
        case .pow: zip(a, b, broadcast, out, rows, cols) { powf($0, $1) }
        }
    }

    @inline(__always)
    private static func zip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ broadcast: Broadcast,
                            _ out: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int,
                            _ f: (Float, Float) -> Float) {
        let count = rows * cols
        guard count > 0 else { return }
        checkSameOrDisjoint(a, out, count)
        switch broadcast {
        case .none:
            checkSameOrDisjoint(b, out, count)
            zipRow(a, b, out, count, f)
        case .row:
            checkDisjoint(b, cols, out, count)
            for r in 0..<rows {
                let offset = r * cols
                zipRow(a + offset, b, out + offset, cols, f)
            }
        case .column:
            checkDisjoint(b, rows, out, count)
            for r in 0..<rows {
                let offset = r * cols
                let value = b[r]
                map(a + offset, out + offset, cols) { f($0, value) }
            }
        case .scalar:
            checkDisjoint(b, 1, out, count)
            let value = b[0]
            map(a, out, count) { f($0, value) }
        }
    }

    /// out[i] = f(a[i], b[i]) with separate loops for out == a and out == b, so all vectorise.
    @inline(__always)
    private static func zipRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                               _ out: UnsafeMutablePointer<Float>, _ count: Int,
                               _ f: (Float, Float) -> Float) {
        let o = UnsafePointer(out)
        if o == a {
            for i in 0..<count { out[i] = f(out[i], b[i]) }
        } else if o == b {
            for i in 0..<count { out[i] = f(a[i], out[i]) }
        } else {
            for i in 0..<count { out[i] = f(a[i], b[i]) }
        }
    }
}
