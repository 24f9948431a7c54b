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
