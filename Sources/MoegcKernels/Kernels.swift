// The f32 CPU kernels that the reference interpreter and the runtime workers execute lowered
// graphs with, and that MoegcNN's differentiable ops compute their values with. One file a
// concern: Kernels+Matmul, +Unary, +Binary, +Softmax, +TopK, +GatherScatter, +Reductions,
// +LayerNorm, +Layout, +Random, +Dot; +Arrays holds the safe wrappers.

/// Namespace of the f32 CPU kernels.
///
/// Conventions shared by every kernel:
/// - Tensors are contiguous, row-major `Float` buffers the caller owns (the runtime's memory
///   pools); a `[rows, cols]` block has element (r, c) at offset `r * cols + c` unless a leading
///   dimension says otherwise. Inputs are `UnsafePointer`, outputs `UnsafeMutablePointer`.
/// - Sizes may be 0 (nothing is read or written); negative sizes are a precondition failure.
/// - Aliasing: each kernel states whether `out` may be the same buffer as an input ("in place").
///   Where it may, it must be *exactly* the same start address and length; a partial overlap is
///   a precondition failure where it is cheap to detect and undefined otherwise.
/// - No kernel allocates per element; the few that need scratch space say so.
/// - BLAS calls run on the calling thread's OpenBLAS settings; see `BLAS.setSingleThreaded()`.
///
/// Thin safe wrappers over `[Float]` (Kernels+Arrays.swift) serve tests and simple callers.
public enum Kernels {}

extension Kernels {
    /// Applies `f` elementwise from `x` to `out` (count elements), with a separate loop for
    /// `out == x` so that both cases vectorise (an exact alias would otherwise fail the
    /// vectoriser's runtime overlap check and fall back to the scalar loop).
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int,
                    _ f: (Float) -> Float) {
        checkSameOrDisjoint(x, out, count)
        if UnsafePointer(out) == x {
            for i in 0..<count { out[i] = f(out[i]) }
        } else {
            for i in 0..<count { out[i] = f(x[i]) }
        }
    }

    /// Precondition: the `count`-element ranges at `a` and `b` are identical or disjoint.
    @inline(__always)
    static func checkSameOrDisjoint(_ a: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                                    _ count: Int) {
        let pa = UnsafePointer<Float>(a), pb = UnsafePointer<Float>(b)
        precondition(pa == pb || pa + count <= pb || pb + count <= pa,
                     "kernel input and output overlap partially")
    }

    /// Precondition: the ranges are disjoint (for kernels that cannot run in place).
    @inlinable @inline(__always)
    static func checkDisjoint(_ a: UnsafePointer<Float>, _ aCount: Int,
                              _ b: UnsafeMutablePointer<Float>, _ bCount: Int) {
        let pb = UnsafePointer<Float>(b)
        precondition(aCount == 0 || bCount == 0 || a + aCount <= pb || pb + bCount <= a,
                     "kernel input and output must not overlap")
    }

    @inline(__always)
    static func checkShape(_ rows: Int, _ cols: Int) {
        precondition(rows >= 0 && cols >= 0, "negative tensor size")
    }
}
