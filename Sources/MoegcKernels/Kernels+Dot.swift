// The inner product of two float vectors, in a fixed order of additions.

extension Kernels {
    /// Σ x[j] · y[j] over `0..<count`, with four running partial sums (partial l takes j ≡ l
    /// mod 4, in increasing j; the tail goes to partial 0), added as (s0 + s1) + (s2 + s3). The
    /// order is fixed, so results are deterministic (MoegcNN's GAT attention scores depend on it).
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0, "negative count")
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var j = 0
        while j &+ 4 <= count {
            s0 += x[j] * y[j]
            s1 += x[j &+ 1] * y[j &+ 1]
            s2 += x[j &+ 2] * y[j &+ 2]
            s3 += x[j &+ 3] * y[j &+ 3]
            j &+= 4
        }
        while j < count {
            s0 += x[j] * y[j]
            j &+= 1
        }
        return (s0 + s1) + (s2 + s3)
    }
}
