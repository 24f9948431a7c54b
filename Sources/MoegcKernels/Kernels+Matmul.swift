// Matrix multiplication through OpenBLAS sgemm.

import CBLAS

/// Whether a matmul operand is used as stored or transposed.
public enum Transpose: Sendable, Hashable {
    /// op(X) = X.
    case none
    /// op(X) = Xᵀ.
    case transposed
}

extension Kernels {
    /// Row-major C[m,n] = alpha · op(A) · op(B) + beta · C, through `cblas_sgemm`.
    ///
    /// - op(A) is [m, k]: A is stored [m, k] (`transA == .none`) or [k, m] (`.transposed`), with
    ///   `lda` elements between the starts of consecutive stored rows (lda ≥ stored row width).
    /// - op(B) is [k, n]: B is stored [k, n] or [n, k], leading dimension `ldb`.
    /// - C is [m, n] with leading dimension `ldc` ≥ n; columns beyond n are not touched.
    /// - When beta is 0, C is only written, never read (NaN in C does not propagate).
    /// - m, n or k may be 0: with m = 0 or n = 0 nothing happens (no BLAS call); with k = 0,
    ///   C = beta·C (C set to 0 when beta is 0).
    /// - C must not overlap A or B. A and B may be the same buffer (e.g. X·Xᵀ).
    /// The leading dimensions default to the stored row widths (at least 1, as BLAS requires).
    public static func matmul(transA: Transpose = .none, transB: Transpose = .none,
                              m: Int, n: Int, k: Int, alpha: Float = 1,
                              a: UnsafePointer<Float>, lda: Int? = nil,
                              b: UnsafePointer<Float>, ldb: Int? = nil,
                              beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        precondition(m >= 0 && n >= 0 && k >= 0, "matmul: negative size")
        let aWidth = transA == .none ? k : m, aRows = transA == .none ? m : k
        let bWidth = transB == .none ? n : k, bRows = transB == .none ? k : n
        let lda = lda ?? max(aWidth, 1), ldb = ldb ?? max(bWidth, 1), ldc = ldc ?? max(n, 1)
        precondition(lda >= max(aWidth, 1) && ldb >= max(bWidth, 1) && ldc >= max(n, 1),
                     "matmul: leading dimension smaller than the row width")
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            scaleRows(c, rows: m, cols: n, ld: ldc, beta: beta)
            return
        }
        checkDisjoint(a, (aRows - 1) * lda + aWidth, c, (m - 1) * ldc + n)
        checkDisjoint(b, (bRows - 1) * ldb + bWidth, c, (m - 1) * ldc + n)
        cblas_sgemm(CblasRowMajor,
                    transA == .none ? CblasNoTrans : CblasTrans,
                    transB == .none ? CblasNoTrans : CblasTrans,
                    blasInt(m), blasInt(n), blasInt(k), alpha,
                    a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
    }

    /// C[r, 0..<cols] = beta · C[r, 0..<cols] for every row (0 when beta is 0, NaN included).
    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int,
                                  beta: Float) {
        for r in 0..<rows {
            let row = c + r * ld
            if beta == 0 {
                row.update(repeating: 0, count: cols)
            } else {
                for j in 0..<cols { row[j] *= beta }
            }
        }
    }

    /// Converts a size to OpenBLAS's integer type, trapping if it does not fit.
    @inline(__always)
    private static func blasInt(_ value: Int) -> blasint {
        blasint(value)
    }
}
