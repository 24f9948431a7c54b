// Scalar math on Float for the pointwise rules (Ops/Unary.swift), bound to the C library directly
// so the inner loops stay free of Foundation's overload resolution. These are libm's functions, not
// MoegcKernels' `FastMath` forms: the policies were trained with them (PPO's probability ratio is
// `exp` of a log-ratio), and FastMath's differ in the last bits. The softmax family's exponential
// is FastMath's (Ops/Softmax.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func expf32(_ x: Float) -> Float { expf(x) }
@inline(__always) func logf32(_ x: Float) -> Float { logf(x) }
@inline(__always) func tanhf32(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func log1pf32(_ x: Float) -> Float { log1pf(x) }
