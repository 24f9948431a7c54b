// Scalar math on Float, bound to the C library directly so the inner loops stay free of
// Foundation's overload resolution.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func expf32(_ x: Float) -> Float { expf(x) }
@inline(__always) func logf32(_ x: Float) -> Float { logf(x) }
@inline(__always) func tanhf32(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func log1pf32(_ x: Float) -> Float { log1pf(x) }
