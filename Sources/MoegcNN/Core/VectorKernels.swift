// Small vector kernels on raw row pointers, for the row loops of the index ops. Written with
// pointer offsets and no checked index arithmetic so the compiler can vectorise them.

/// `y[0..<n] += a · x[0..<n]`.
@inline(__always)
func addScaled(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<n { y[j] += a * x[j] }
}

/// `y[0..<n] += x[0..<n]`.
@inline(__always)
func addRow(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
    for j in 0..<n { y[j] += x[j] }
}

/// `Σ x[j] · y[j]` over `0..<n`, with four partial sums (a fixed order, so results are
/// deterministic).
@inline(__always)
func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
    var j = 0
    while j &+ 4 <= n {
        s0 += x[j] * y[j]
        s1 += x[j &+ 1] * y[j &+ 1]
        s2 += x[j &+ 2] * y[j &+ 2]
        s3 += x[j &+ 3] * y[j &+ 3]
        j &+= 4
    }
    while j < n {
        s0 += x[j] * y[j]
        j &+= 1
    }
    return (s0 + s1) + (s2 + s3)
}

extension UnsafeBufferPointer where Element == Float {
    /// A pointer to element `offset` (the buffer must be non-empty when used).
    @inline(__always) func at(_ offset: Int) -> UnsafePointer<Float> {
        assert(offset >= 0 && offset <= count)
        return baseAddress! + offset
    }
}

extension UnsafeMutableBufferPointer where Element == Float {
    /// A pointer to element `offset` (the buffer must be non-empty when used).
    @inline(__always) func at(_ offset: Int) -> UnsafeMutablePointer<Float> {
        assert(offset >= 0 && offset <= count)
        return baseAddress! + offset
    }
}

/// eˣ for `x ≤ 0`, in a form the compiler vectorises (no libm call): Cody–Waite reduction by
/// ln 2 and the Cephes single-precision polynomial, relative error within a few ulp. Inputs
/// below −87.3 (including −∞) give exactly 0. Used where the argument is `x − max(x)`.
@inline(__always)
func expNonPositive(_ x: Float) -> Float {
    let lowest: Float = -87.336_54
    let c = max(x, lowest)
    let magic: Float = 12_582_912   // 1.5 · 2²³: adding it rounds to an integer in the low bits
    let t = c * 1.442_695_04 + magic
    let n = t - magic
    let k = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    var r = c - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p: Float = 1.987_569_15e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * r * r + r + 1
    let scale = Float(bitPattern: UInt32(bitPattern: (k &+ 127) << 23))
    return x < lowest ? 0 : y * scale
}

/// The largest of `n` values (−∞ for none).
@inline(__always)
func rowMax(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
    var m = -Float.infinity
    for j in 0..<n { m = x[j] > m ? x[j] : m }
    return m
}

/// Replaces `n` scores by their softmax; a row whose scores are all −∞ becomes all zeros.
@inline(__always)
func softmaxInPlace(_ n: Int, _ x: UnsafeMutablePointer<Float>) {
    let m = rowMax(n, x)
    if m == -.infinity {
        for j in 0..<n { x[j] = 0 }
        return
    }
    for j in 0..<n { x[j] = expNonPositive(x[j] - m) }
    var total: Float = 0
    for j in 0..<n { total += x[j] }
    let inverse = 1 / total
    for j in 0..<n { x[j] *= inverse }
}

/// log Σ eˣ over `n` values (−∞ when all are −∞).
@inline(__always)
func logSumExp(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
    let m = rowMax(n, x)
    if m == -.infinity { return -.infinity }
    var total: Float = 0
    for j in 0..<n { total += expNonPositive(x[j] - m) }
    return m + logf32(total)
}
