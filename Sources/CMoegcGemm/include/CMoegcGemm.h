// CMoegcGemm: single-precision matrix multiply against a weight matrix packed once, for the small
// row counts Mixture-of-Experts experts see (a few to a few hundred rows a call).
//
//     C[m,n] (+)= A[m,k] · B[k,n]      all row-major; B packed beforehand by moegc_gemm_pack_b
//
// OpenBLAS repacks B on every sgemm call; with 16 rows that repacking costs about as much as the
// arithmetic. Here the caller packs B once (weights do not change between steps) and every call
// streams the packed panels straight into the micro-kernel. The kernels are chosen at run time
// (AVX-512, AVX2+FMA, or portable C) so the library runs on any x86-64 and builds elsewhere.
//
// Swift reaches this only through MoegcKernels/Kernels+PackedMatmul.swift.
#ifndef CMOEGC_GEMM_H
#define CMOEGC_GEMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns of B in one packed panel. The packed layout is the same for every kernel variant.
#define MOEGC_GEMM_PANEL_COLUMNS 32

/// The kernel variants, best last. Values are stable (tests and benchmarks pass them explicitly).
typedef enum moegc_gemm_isa {
    /// Plain C (auto-vectorised by the compiler for the baseline target); any CPU.
    MOEGC_GEMM_PORTABLE = 0,
    /// x86-64 with AVX2 and FMA: 6×16 register tile.
    MOEGC_GEMM_AVX2 = 1,
    /// x86-64 with AVX-512F: 12×32 register tile.
    MOEGC_GEMM_AVX512 = 2,
} moegc_gemm_isa;

/// Flag of moegc_sgemm_packed: C += A·B instead of C = A·B (beta 1 instead of 0). Without it C is
/// only written, never read (NaN in C does not propagate).
#define MOEGC_GEMM_ACCUMULATE 1
/// Flag of moegc_sgemm_packed: max(0, ·) on every result element after the (accumulated)
/// product, the ReLU epilogue; NaN becomes 0, as in moegc's relu.
#define MOEGC_GEMM_RELU 2

/// The best variant this CPU and operating system support (checked once, cached).
moegc_gemm_isa moegc_gemm_best_isa(void);

/// 1 if `isa` can run on this machine, else 0.
int moegc_gemm_isa_supported(moegc_gemm_isa isa);

/// A short name of the variant: "avx512", "avx2", "portable".
const char *moegc_gemm_isa_name(moegc_gemm_isa isa);

/// Floats a packed [k, n] matrix occupies: k · (n rounded up to a multiple of 16). 0 if k or n ≤ 0.
ptrdiff_t moegc_gemm_packed_count(ptrdiff_t k, ptrdiff_t n);

/// Packs row-major B[k, n] (leading dimension ldb ≥ n) into `packed`, which must hold
/// moegc_gemm_packed_count(k, n) floats and not overlap B. Any alignment works; 64 bytes is best.
///
/// Layout: column panels of MOEGC_GEMM_PANEL_COLUMNS (32) columns, left to right; the last panel
/// is 16 or 32 wide (n rounded up to a multiple of 16), its extra columns zero. A panel of width w
/// stores its k rows one after another, w floats each, so B[r, 32p + j] is at
/// packed[32·p·k + r·w + j].
void moegc_gemm_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t ldb, float *packed);

/// C[m, n] = A[m, k] · B (or += with MOEGC_GEMM_ACCUMULATE), optionally followed by ReLU, where
/// `packed_b` holds B[k, n] packed by moegc_gemm_pack_b with the same k and n.
///
/// A has leading dimension lda ≥ k, C has ldc ≥ n; columns of C beyond n are never touched.
/// C must not overlap A or the packed B. m, n or k may be 0 (k = 0 gives C = 0, or C unchanged
/// when accumulating, then the ReLU). Single-threaded; uses 96 KiB of stack for a packed block of A.
/// Returns 0, or -1 (nothing done) when `isa` is not supported here or a size is negative.
int moegc_sgemm_packed(moegc_gemm_isa isa, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       const float *a, ptrdiff_t lda, const float *packed_b,
                       float *c, ptrdiff_t ldc, int flags);

#ifdef __cplusplus
}
#endif

// The module's other header (SwiftPM makes this one, named after the target, the umbrella).
#include "CMoegcSoftmax.h"

#endif
