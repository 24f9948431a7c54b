// The x86-64 micro-kernels: AVX-512 (12 × 32 register tile) and AVX2+FMA (6 × 16), each built
// with a per-function target attribute so the rest of the binary keeps the baseline ISA; the
// driver calls them only after moegc_gemm_isa_supported said yes.
//
// Both are outer-product kernels: at every depth step l, each row r's A element is broadcast
// and multiplied into the row of B, one fused multiply-add per accumulator vector:
//
//            B̃ row l:   [ b0 (16 floats) | b1 (16 floats) ]      (loaded once per step)
//   Ã[l, 0]  ──────▶   acc[0][0] += a·b0   acc[0][1] += a·b1
//   Ã[l, 1]  ──────▶   acc[1][0] += a·b0   acc[1][1] += a·b1
//     ⋮                   ⋮                   ⋮                   (mr ≤ 12 rows: 24 zmm accumulators)
//
// The accumulators never leave the registers inside the depth loop; the epilogue adds C (when
// accumulating), clamps (ReLU) and stores with a column mask on the last vector, so ragged
// column edges need no scalar code. Each step also prefetches the matching row of the next B
// slice, which the next panel will read while this one is hot in L1.
#if defined(__x86_64__) || defined(_M_X64)

#include "gemm_internal.h"

#include <immintrin.h>
#include <stdint.h>

/// Prefetches the floats at `base + offset` into L1. Integer address arithmetic: the prefetch
/// may run past the end of the next slice near the buffer's end, and prefetches never fault.
#define GEMM_PREFETCH(base, offset) \
    _mm_prefetch((const char *)((uintptr_t)(base) + (uintptr_t)(offset) * sizeof(float)), _MM_HINT_T0)

#define GEMM_KERNEL_ARGS ptrdiff_t kb, const float *a, const float *b, ptrdiff_t ldb, \
    const float *b_next, float *c, ptrdiff_t ldc, int ncols, int flags
#define GEMM_KERNEL_PASS kb, a, b, ldb, b_next, c, ldc, ncols, flags

// MARK: - AVX-512: up to 12 rows × 2 vectors of 16

#define AVX512_TARGET __attribute__((target("avx512f,fma")))

/// One depth step of the outer product into acc[0..<mr][0..<nv], prefetching the next slice's
/// row l (worth ~5% at 16 rows on Zen 4: the next panel arrives while this one computes).
static inline __attribute__((always_inline)) AVX512_TARGET
void step_avx512(const int mr, const int nv, __m512 acc[][2], const float *a, const float *b,
                 const float *b_next, ptrdiff_t ldb, ptrdiff_t l) {
    const float *row = b + l * ldb;
    const __m512 b0 = _mm512_loadu_ps(row);
    const __m512 b1 = nv > 1 ? _mm512_loadu_ps(row + 16) : b0;
    if (mr > 3) {
        GEMM_PREFETCH(b_next, l * ldb);
        if (nv > 1) GEMM_PREFETCH(b_next, l * ldb + 16);
    }
    const float *step = a + l * mr;
    for (int r = 0; r < mr; r++) {
        const __m512 x = _mm512_set1_ps(step[r]);
        acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
        if (nv > 1) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
    }
}

/// Tiles of ≤ 3 rows have too few accumulators to cover the FMA latency (4 cycles, 2 in
/// flight per cycle): they alternate between two accumulator sets, even and odd steps. They are
/// bound by the bandwidth B streams in at, and there the software prefetch only competes with
/// the hardware prefetcher (measured on Zen 4: 1 row, 37 → 40 GFLOP/s without it), so it is off.
static inline __attribute__((always_inline)) AVX512_TARGET
void tile_avx512(const int mr, const int nv, GEMM_KERNEL_ARGS) {
    __m512 acc[12][2], odd[3][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm512_setzero_ps();
    ptrdiff_t l = 0;
    if (mr <= 3) {
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) odd[r][v] = _mm512_setzero_ps();
        for (; l + 1 < kb; l += 2) {
            step_avx512(mr, nv, acc, a, b, b_next, ldb, l);
            step_avx512(mr, nv, odd, a, b, b_next, ldb, l + 1);
        }
        for (int r = 0; r < mr; r++)
            for (int v = 0; v < nv; v++) acc[r][v] = _mm512_add_ps(acc[r][v], odd[r][v]);
    }
    for (; l < kb; l++) step_avx512(mr, nv, acc, a, b, b_next, ldb, l);
    const int tail = ncols - 16 * (nv - 1);
    const __mmask16 last = tail >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << tail) - 1);
    for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv; v++) {
            const __mmask16 mask = v == nv - 1 ? last : (__mmask16)0xFFFF;
            float *out = c + r * ldc + 16 * v;
            __m512 x = acc[r][v];
            if (flags & MOEGC_GEMM_ACCUMULATE) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask, out));
            if (flags & MOEGC_GEMM_RELU) x = _mm512_max_ps(x, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(out, mask, x);
        }
    }
}

#define AVX512_KERNEL(MR, NV) \
    static AVX512_TARGET void avx512_##MR##x##NV(GEMM_KERNEL_ARGS) { tile_avx512(MR, NV, GEMM_KERNEL_PASS); }
#define AVX512_ROWS(MR) AVX512_KERNEL(MR, 1) AVX512_KERNEL(MR, 2)
AVX512_ROWS(1) AVX512_ROWS(2) AVX512_ROWS(3) AVX512_ROWS(4) AVX512_ROWS(5) AVX512_ROWS(6)
AVX512_ROWS(7) AVX512_ROWS(8) AVX512_ROWS(9) AVX512_ROWS(10) AVX512_ROWS(11) AVX512_ROWS(12)

#define AVX512_ENTRY(MR) avx512_##MR##x1, avx512_##MR##x2,
static const gemm_microkernel avx512_kernels[] = {
    AVX512_ENTRY(1) AVX512_ENTRY(2) AVX512_ENTRY(3) AVX512_ENTRY(4) AVX512_ENTRY(5) AVX512_ENTRY(6)
    AVX512_ENTRY(7) AVX512_ENTRY(8) AVX512_ENTRY(9) AVX512_ENTRY(10) AVX512_ENTRY(11) AVX512_ENTRY(12)
};
const gemm_family gemm_family_avx512 = {.mr_max = 12, .vector = 16, .vectors_max = 2, .kernels = avx512_kernels};

// MARK: - AVX2 + FMA: up to 6 rows × 2 vectors of 8 (12 accumulators of the 16 ymm registers)

#define AVX2_TARGET __attribute__((target("avx2,fma")))

/// Lanes 0..<count set (count in 1…8), as the sign-bit mask vmaskmov expects.
static inline __attribute__((always_inline)) AVX2_TARGET __m256i lanes_avx2(int count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline __attribute__((always_inline)) AVX2_TARGET
void tile_avx2(const int mr, const int nv, GEMM_KERNEL_ARGS) {
    __m256 acc[6][2];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = _mm256_setzero_ps();
    for (ptrdiff_t l = 0; l < kb; l++) {
        const float *row = b + l * ldb;
        const __m256 b0 = _mm256_loadu_ps(row);
        const __m256 b1 = nv > 1 ? _mm256_loadu_ps(row + 8) : b0;
        GEMM_PREFETCH(b_next, l * ldb);
        const float *step = a + l * mr;
        for (int r = 0; r < mr; r++) {
            const __m256 x = _mm256_broadcast_ss(step + r);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            if (nv > 1) acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const int tail = ncols - 8 * (nv - 1);
    const __m256i last = lanes_avx2(tail);
    for (int r = 0; r < mr; r++) {
        for (int v = 0; v < nv; v++) {
            float *out = c + r * ldc + 8 * v;
            __m256 x = acc[r][v];
            const int full = v < nv - 1 || tail == 8;
            if (flags & MOEGC_GEMM_ACCUMULATE)
                x = _mm256_add_ps(x, full ? _mm256_loadu_ps(out) : _mm256_maskload_ps(out, last));
            if (flags & MOEGC_GEMM_RELU) x = _mm256_max_ps(x, _mm256_setzero_ps());
            if (full) _mm256_storeu_ps(out, x);
            else _mm256_maskstore_ps(out, last, x);
        }
    }
}

#define AVX2_KERNEL(MR, NV) \
    static AVX2_TARGET void avx2_##MR##x##NV(GEMM_KERNEL_ARGS) { tile_avx2(MR, NV, GEMM_KERNEL_PASS); }
#define AVX2_ROWS(MR) AVX2_KERNEL(MR, 1) AVX2_KERNEL(MR, 2)
AVX2_ROWS(1) AVX2_ROWS(2) AVX2_ROWS(3) AVX2_ROWS(4) AVX2_ROWS(5) AVX2_ROWS(6)

#define AVX2_ENTRY(MR) avx2_##MR##x1, avx2_##MR##x2,
static const gemm_microkernel avx2_kernels[] = {
    AVX2_ENTRY(1) AVX2_ENTRY(2) AVX2_ENTRY(3) AVX2_ENTRY(4) AVX2_ENTRY(5) AVX2_ENTRY(6)
};
const gemm_family gemm_family_avx2 = {.mr_max = 6, .vector = 8, .vectors_max = 2, .kernels = avx2_kernels};

#else
/// Keeps this translation unit non-empty on other architectures (ISO C requires a declaration).
typedef int gemm_x86_unavailable;
#endif
