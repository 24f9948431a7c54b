// Scalar float functions written so that loops calling them vectorise: only arithmetic, selects
// and bit casts, no calls into libm and no trapping conversions. Used by the elementwise,
// softmax and layer-norm kernels here and by MoegcNN's softmax family (one exponential for both);
// checked against Double libm in the tests.
//
// The row softmax of CMoegcGemm (`moegc_softmax_rows`, softmax.c / softmax_x86.c) evaluates
// `expNonPositive` in C, one scalar and two SIMD forms, because Swift built for baseline x86-64
// cannot emit AVX2; every form is the same sequence of IEEE operations, so each returns exactly
// what `expNonPositive` returns (RowSoftmaxTests, FastMathTests).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float functions built from arithmetic only (no libm calls in the loops that use them).
public enum FastMath {
    /// e^x in single precision, within 2 ulp of the correctly rounded result for normal results.
    ///
    /// Algorithm (Cephes-style range reduction): x = n·ln2 + r with n = round(x·log2 e) and
    /// |r| ≤ ln2/2 (ln2 split in a short exact part and a correction so n·ln2 is exact);
    /// e^r = 1 + r + (p(r)·r)·r with p a degree-5 polynomial (in that order of operations: the
    /// order every learned policy was trained with); the result scaled by 2^n as two factors
    /// 2^⌊n/2⌋·2^(n−⌊n/2⌋), each a normal float, so results near overflow and in the subnormal
    /// range come out right.
    /// x is clamped to [−104, 88.73]: e^88.73 > Float.greatestFiniteMagnitude rounds to +∞ and
    /// e^−104 rounds to 0, so ±∞ inputs give +∞ and 0. NaN propagates.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        var v = x < -104 ? -104 : x
        v = v > 88.73 ? 88.73 : v
        // Round v·log2(e) to the nearest integer with the 1.5·2^23 trick: adding it pushes the
        // fraction bits out, and the integer lands in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = v * 1.442_695_04 + magic
        let n = shifted - magic
        let nInt = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let r = (v - n * 0.693_359_375) - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        let half = nInt &>> 1
        return p * powerOfTwo(half) * powerOfTwo(nInt &- half)
    }

    /// e^x for the shifted scores of a softmax (x = s − max s ≤ 0): `exp(x)`, except that every
    /// x below −87.336 54 (where e^x falls below 2^−126, the smallest normal float; −∞ included)
    /// gives exactly 0 rather than a subnormal. The softmax
    /// family uses it (MoegcKernels' and MoegcNN's rows, and CMoegcGemm's vector forms), so a
    /// score far below the row's maximum has probability exactly 0 on every path.
    @inlinable @inline(__always)
    public static func expNonPositive(_ x: Float) -> Float {
        let e = exp(x)
        return x < -87.336_54 ? 0 : e
    }

    /// 2^m for −126 ≤ m ≤ 127, by building the exponent bits.
    @inlinable @inline(__always)
    static func powerOfTwo(_ m: Int32) -> Float {
        Float(bitPattern: UInt32(bitPattern: (m &+ 127) &<< 23))
    }

    /// The logistic sigmoid 1/(1+e^−x); exact 0 below x ≈ −88.7 and 1 above x ≈ 17.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// tanh x within a few ulp: an odd Taylor polynomial (to x^15) for |x| < 0.4, where the
    /// series' truncation error is below 3e-10 relative, and 1 − 2/(e^{2|x|}+1) with the sign of
    /// x elsewhere. Both branches are computed and one is selected, so the loop stays branch-free.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = abs(x)
        let s = x * x
        var q: Float = -929_569.0 / 638_512_875.0
        q = q * s + 21_844.0 / 6_081_075.0
        q = q * s - 1_382.0 / 155_925.0
        q = q * s + 62.0 / 2_835.0
        q = q * s - 17.0 / 315.0
        q = q * s + 2.0 / 15.0
        q = q * s - 1.0 / 3.0
        let small = x * (1 + s * q) // keeps the sign of −0
        let large = 1 - 2 / (exp(2 * a) + 1)
        return a < 0.4 ? small : Float(signOf: x, magnitudeOf: large)
    }

    /// Natural logarithm within 2 ulp: log 0 = −∞, log(+∞) = +∞, negative or NaN → NaN;
    /// subnormal inputs are scaled by 2^23 first.
    ///
    /// Algorithm (Cephes-style): x = m·2^e with m in [√½, √2); log x = log1p(m − 1) + e·ln2, with
    /// log1p(f) = f − f²/2 + f³·P(f) by a degree-8 polynomial and ln2 split as for `exp`.
    @inline(__always)
    static func log(_ x: Float) -> Float {
        let subnormal = x < Float.leastNormalMagnitude
        let scaled = subnormal ? x * 8_388_608 : x
        let bits = scaled.bitPattern
        // frexp: mantissa in [0.5, 1), exponent e with scaled = mantissa·2^e.
        var e = Int32(bitPattern: (bits &>> 23) & 0xFF) &- 126
        e = subnormal ? e &- 23 : e
        let mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F00_0000)
        let low = mantissa < 0.707_106_781
        e = low ? e &- 1 : e
        let f = low ? mantissa + mantissa - 1 : mantissa - 1
        let z = f * f
        var p: Float = 7.037_683_629_2e-2
        p = p * f - 1.151_461_031_0e-1
        p = p * f + 1.167_699_874_0e-1
        p = p * f - 1.242_014_084_6e-1
        p = p * f + 1.424_932_278_7e-1
        p = p * f - 1.666_805_766_5e-1
        p = p * f + 2.000_071_476_5e-1
        p = p * f - 2.499_999_399_3e-1
        p = p * f + 3.333_333_117_4e-1
        let fe = Float(e)
        var y = f * (z * p)
        y += fe * -2.121_944_4e-4
        y += -0.5 * z
        var r = f + y
        r += fe * 0.693_359_375
        r = x == .infinity ? x : r
        r = x == 0 ? -.infinity : r
        return x < 0 || x.isNaN ? .nan : r
    }

    /// log(1 + y) for y ≥ 0 (within a few ulp): log(u) with u = 1 + y, corrected by the rounding
    /// of u, (y − (u − 1))/u, which keeps full relative precision for tiny y.
    @inline(__always)
    static func log1p(_ y: Float) -> Float {
        let u = 1 + y
        return log(u) + (y - (u - 1)) / u
    }

    /// Numerically stable softplus log(1+e^x) = log1p(e^−|x|) + max(x, 0).
    @inline(__always)
    static func softplus(_ x: Float) -> Float {
        log1p(exp(-abs(x))) + (x > 0 ? x : 0)
    }

    /// The standard normal CDF Φ(z) = ½(1 + erf(z/√2)), computed as ½·erfc(−z/√2), which is the
    /// same function without the cancellation of 1 + erf in the lower tail.
    @inline(__always)
    static func normalCDF(_ z: Float) -> Float {
        0.5 * erfcf(-z * 0.707_106_781_186_547_5)
    }
}
