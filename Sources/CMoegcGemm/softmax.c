// The row softmax: run-time variant selection and the portable (scalar) variant, which is the
// reference the vector variants must equal bit for bit (see include/CMoegcSoftmax.h).
//
//     m = max_j x_j                      (exact in any order)
//     x_j ← exp(x_j − m)                 (the polynomial below, one rounding per operation)
//     s = ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)) + tail,  s_l = Σ_i x_{8i+l} in increasing i
//     x_j ← x_j · (1/s)
//
// Compiled with -ffp-contract=off semantics by construction: each product and sum is its own
// statement, so no compiler fuses them into one rounding.
#include "softmax_internal.h"

#include <math.h>

void softmax_row_portable(ptrdiff_t n, float *x) {
    ptrdiff_t blocks = n / 8;
    float m[8];
    for (int l = 0; l < 8; l++) m[l] = -INFINITY;
    for (ptrdiff_t i = 0; i < blocks; i++)
        for (int l = 0; l < 8; l++) m[l] = x[8 * i + l] >= m[l] ? x[8 * i + l] : m[l];
    float mx = -INFINITY;
    for (int l = 0; l < 8; l++) mx = m[l] >= mx ? m[l] : mx;
    for (ptrdiff_t j = 8 * blocks; j < n; j++) mx = x[j] >= mx ? x[j] : mx;
    if (mx == -INFINITY) {
        for (ptrdiff_t j = 0; j < n; j++) x[j] = 0;
        return;
    }
    for (ptrdiff_t j = 0; j < n; j++) x[j] = softmax_exp(x[j] - mx);
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (ptrdiff_t i = 0; i < blocks; i++)
        for (int l = 0; l < 8; l++) s[l] = s[l] + x[8 * i + l];
    float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (ptrdiff_t j = 8 * blocks; j < n; j++) total = total + x[j];
    float inverse = 1.0f / total;
    for (ptrdiff_t j = 0; j < n; j++) x[j] = x[j] * inverse;
}

static softmax_row_kernel kernel_of(moegc_gemm_isa isa) {
    switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case MOEGC_GEMM_AVX512: return softmax_row_avx512;
    case MOEGC_GEMM_AVX2: return softmax_row_avx2;
#endif
    default: return softmax_row_portable;
    }
}

void moegc_softmax_rows_isa(moegc_gemm_isa isa, ptrdiff_t rows, ptrdiff_t n, float *x, ptrdiff_t ld) {
    softmax_row_kernel kernel = kernel_of(isa);
    for (ptrdiff_t r = 0; r < rows; r++) kernel(n, x + r * ld);
}

void moegc_softmax_rows(ptrdiff_t rows, ptrdiff_t n, float *x, ptrdiff_t ld) {
    static softmax_row_kernel best = 0;   // a benign race: every thread computes the same pointer
    softmax_row_kernel kernel = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (!kernel) {
        kernel = kernel_of(moegc_gemm_best_isa());
        __atomic_store_n(&best, kernel, __ATOMIC_RELAXED);
    }
    for (ptrdiff_t r = 0; r < rows; r++) kernel(n, x + r * ld);
}
