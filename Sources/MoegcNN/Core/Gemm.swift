import CBLAS

/// `C = alpha · op(A) · op(B) + beta · C` on row-major matrices with explicit leading dimensions
/// (`op` transposes when the flag is set), through OpenBLAS's `cblas_sgemm`.
///
/// `op(A)` is `m × k`, `op(B)` is `k × n`, `C` is `m × n`. Empty products are handled here
/// (OpenBLAS rejects a zero leading dimension), so callers may pass empty buffers.
@inline(__always)
func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
          _ a: UnsafeBufferPointer<Float>, offsetA: Int = 0, lda: Int,
          _ b: UnsafeBufferPointer<Float>, offsetB: Int = 0, ldb: Int,
          beta: Float, _ c: UnsafeMutableBufferPointer<Float>, offsetC: Int = 0, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m {
            for j in 0..<n { c[offsetC + i * ldc + j] = beta == 0 ? 0 : beta * c[offsetC + i * ldc + j] }
        }
        return
    }
    assert(offsetA + (transposeA ? (k - 1) * lda + m : (m - 1) * lda + k) <= a.count, "gemm: A too small")
    assert(offsetB + (transposeB ? (n - 1) * ldb + k : (k - 1) * ldb + n) <= b.count, "gemm: B too small")
    assert(offsetC + (m - 1) * ldc + n <= c.count, "gemm: C too small")
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha,
                a.baseAddress! + offsetA, blasint(lda),
                b.baseAddress! + offsetB, blasint(ldb),
                beta, c.baseAddress! + offsetC, blasint(ldc))
}
