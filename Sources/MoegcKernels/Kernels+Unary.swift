// Elementwise functions of one tensor, and scaling by constants.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An elementwise function of one float.
public enum UnaryOp: Sendable, Hashable {
    /// max(x, 0); relu(NaN) = 0.
    case relu
    /// 1/(1+e^−x).
    case sigmoid
    /// tanh x.
    case tanh
    /// e^x (+∞ above ≈ 88.72, 0 below ≈ −103.9).
    case exp
    /// Natural logarithm: log 0 = −∞, log of a negative number is NaN.
    case log
    /// softplus(x) + plus, softplus(x) = log(1+e^x) computed as log1p(e^−|x|) + max(x, 0).
    /// The MoE noise standard deviation is `.softplus(plus: 0.01)`.
    case softplus(plus: Float)
    /// −x.
    case neg
    /// √x (NaN for negative x).
    case sqrt
    /// The error function erf x.
    case erf
    /// The standard normal CDF Φ(z) = ½(1 + erf(z/√2)), computed as ½·erfc(−z/√2) for accuracy
    /// in the lower tail.
    case normalCDF
    /// GELU, exact form x·Φ(x).
    case gelu
    /// |x|.
    case abs
    /// x².
    case square
    /// 1/x (±∞ at ±0).
    case reciprocal
    /// sin x (libm's sinf).
    case sin
    /// cos x (libm's cosf).
    case cos
    /// GELU, tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    case geluTanh

    /// The function on one value (the kernels inline the same code in their loops).
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return FastMath.sigmoid(x)
        case .tanh: return FastMath.tanh(x)
        case .exp: return FastMath.exp(x)
        case .log: return FastMath.log(x)
        case .softplus(let plus): return FastMath.softplus(x) + plus
        case .neg: return -x
        case .sqrt: return x.squareRoot()
        case .erf: return erff(x)
        case .normalCDF: return FastMath.normalCDF(x)
        case .gelu: return x * FastMath.normalCDF(x)
        case .abs: return Swift.abs(x)
        case .square: return x * x
        case .reciprocal: return 1 / x
        case .sin: return sinf(x)
        case .cos: return cosf(x)
        case .geluTanh: return Kernels.geluTanh(x)
        }
    }
}

extension Kernels {
    /// out[i] = op(x[i]) for i in 0..<count.
    ///
    /// In place allowed: `out` may be `x` (same address); partial overlap is a precondition failure.
    /// All but erf, normalCDF, gelu, sin and cos vectorise (those call libm per element).
    public static func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>,
                             out: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count >= 0, "negative count")
        switch op {
        case .relu: map(x, out, count) { $0 > 0 ? $0 : 0 }
        case .sigmoid: map(x, out, count) { FastMath.sigmoid($0) }
        case .tanh: map(x, out, count) { FastMath.tanh($0) }
        case .exp: map(x, out, count) { FastMath.exp($0) }
        case .log: map(x, out, count) { FastMath.log($0) }
        case .softplus(let plus): map(x, out, count) { FastMath.softplus($0) + plus }
        case .neg: map(x, out, count) { -$0 }
        case .sqrt: map(x, out, count) { $0.squareRoot() }
        case .erf: map(x, out, count) { erff($0) }
        case .normalCDF: map(x, out, count) { FastMath.normalCDF($0) }
        case .gelu: map(x, out, count) { $0 * FastMath.normalCDF($0) }
        case .abs: map(x, out, count) { Swift.abs($0) }
        case .square: map(x, out, count) { $0 * $0 }
        case .reciprocal: map(x, out, count) { 1 / $0 }
        case .sin: map(x, out, count) { sinf($0) }
        case .cos: map(x, out, count) { cosf($0) }
        case .geluTanh: map(x, out, count) { geluTanh($0) }
        }
    }

    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), the tanh approximation of GELU (ONNX Gelu with
    /// approximate = "tanh").
    @inline(__always)
    static func geluTanh(_ x: Float) -> Float {
        let inner: Float = 0.797_884_56 * (x + 0.044_715 * x * x * x)
        return 0.5 * x * (1 + FastMath.tanh(inner))
    }

    /// buffer[i] = op(buffer[i]) for i in 0..<count.
    public static func unary(_ op: UnaryOp, inPlace buffer: UnsafeMutablePointer<Float>, count: Int) {
        unary(op, UnsafePointer(buffer), out: buffer, count: count)
    }

    /// out[i] = alpha·x[i] + beta for i in 0..<count (scale by a constant with beta = 0, add a
    /// constant with alpha = 1). In place allowed (`out` may be `x`).
    public static func affine(_ x: UnsafePointer<Float>, alpha: Float, beta: Float = 0,
                              out: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count >= 0, "negative count")
        map(x, out, count) { alpha * $0 + beta }
    }

    /// y[i] += alpha·x[i] for i in 0..<count (BLAS saxpy semantics, written as a plain loop).
    /// `x` and `y` must not overlap.
    @inlinable
    public static func axpy(alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                            count: Int) {
        precondition(count >= 0, "negative count")
        checkDisjoint(x, count, y, count)
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// out[i] = a[i]·b[i] + c[i] for i in 0..<count (rounded twice: a product, then a sum, as
    /// the naive expression; not a fused multiply-add). `out` may be any one of `a`, `b`, `c`
    /// or none of them; partial overlaps are not allowed.
    public static func multiplyAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ c: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                   count: Int) {
        precondition(count >= 0, "negative count")
        checkSameOrDisjoint(a, out, count)
        checkSameOrDisjoint(b, out, count)
        checkSameOrDisjoint(c, out, count)
        let o = UnsafePointer(out)
        if o == a {
            for i in 0..<count { out[i] = out[i] * b[i] + c[i] }
        } else if o == b {
            for i in 0..<count { out[i] = a[i] * out[i] + c[i] }
        } else if o == c {
            for i in 0..<count { out[i] = a[i] * b[i] + out[i] }
        } else {
            for i in 0..<count { out[i] = a[i] * b[i] + c[i] }
        }
    }

    /// Fills `count` elements with `value`.
    public static func fill(_ out: UnsafeMutablePointer<Float>, value: Float, count: Int) {
        precondition(count >= 0, "negative count")
        out.update(repeating: value, count: count)
    }
}
