// The portable micro-kernel: plain C over a 4 × 16 tile, for CPUs without AVX2 (and non-x86
// builds). The compiler vectorises the 16-wide inner loops for whatever baseline it targets
// (SSE2 on x86-64, NEON on arm64); it is correct everywhere and fast nowhere in particular.
#include "gemm_internal.h"

static inline __attribute__((always_inline))
void tile_portable(const int mr, ptrdiff_t kb, const float *a, const float *b, ptrdiff_t ldb,
                   const float *b_next, float *c, ptrdiff_t ldc, int ncols, int flags) {
    (void)b_next;
    float acc[4][16] = {{0}};
    for (ptrdiff_t l = 0; l < kb; l++) {
        const float *row = b + l * ldb, *step = a + l * mr;
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < 16; j++) acc[r][j] += step[r] * row[j];
    }
    for (int r = 0; r < mr; r++) {
        float *out = c + r * ldc;
        for (int j = 0; j < ncols; j++) {
            float x = acc[r][j];
            if (flags & MOEGC_GEMM_ACCUMULATE) x += out[j];
            if (flags & MOEGC_GEMM_RELU) x = x > 0 ? x : 0;
            out[j] = x;
        }
    }
}

#define PORTABLE_KERNEL(MR)                                                                          \
    static void portable_##MR(ptrdiff_t kb, const float *a, const float *b, ptrdiff_t ldb,          \
                              const float *b_next, float *c, ptrdiff_t ldc, int ncols, int flags) { \
        tile_portable(MR, kb, a, b, ldb, b_next, c, ldc, ncols, flags);                              \
    }
PORTABLE_KERNEL(1) PORTABLE_KERNEL(2) PORTABLE_KERNEL(3) PORTABLE_KERNEL(4)

static const gemm_microkernel portable_kernels[] = {portable_1, portable_2, portable_3, portable_4};
const gemm_family gemm_family_portable = {.mr_max = 4, .vector = 16, .vectors_max = 1, .kernels = portable_kernels};
