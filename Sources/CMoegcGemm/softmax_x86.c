// The x86-64 variants of the row softmax: AVX2 (8 lanes) and AVX-512 (16 lanes for the
// exponential), each with a per-function target attribute like the gemm kernels. They compute
// exactly what softmax_row_portable computes (softmax.c):
//
//   - the exponential is the same sequence of IEEE operations per lane (no FMA: products and sums
//     are separate instructions, as in the scalar code);
//   - the sum is kept in one 8-lane accumulator, lane l adding x[8i + l] for i = 0, 1, …, which
//     are the scalar code's eight partials (AVX-512 adds its two 8-lane halves in turn);
//   - the maximum is exact whatever the order, and NaN scores are skipped as the scalar code does.
#if defined(__x86_64__) || defined(_M_X64)

#include "softmax_internal.h"

#include <immintrin.h>
#include <math.h>

#define AVX2_TARGET __attribute__((target("avx2")))
#define AVX512_TARGET __attribute__((target("avx512f")))

// MARK: - AVX2

/// softmax_exp on 8 lanes.
static inline __attribute__((always_inline)) AVX2_TARGET __m256 exp8(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(SOFTMAX_LOWEST), magic = _mm256_set1_ps(SOFTMAX_MAGIC);
    __m256 c = _mm256_max_ps(lowest, x);                  // lowest > x ? lowest : x (NaN: x)
    __m256 t = _mm256_add_ps(_mm256_mul_ps(c, _mm256_set1_ps(SOFTMAX_LOG2E)), magic);
    __m256 n = _mm256_sub_ps(t, magic);
    __m256i k = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000));
    __m256 r = _mm256_sub_ps(c, _mm256_mul_ps(n, _mm256_set1_ps(SOFTMAX_LN2_HI)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(SOFTMAX_LN2_LO)));
    __m256 p = _mm256_set1_ps(SOFTMAX_P0);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SOFTMAX_P1));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SOFTMAX_P2));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SOFTMAX_P3));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SOFTMAX_P4));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SOFTMAX_P5));
    __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0f));
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
    __m256 below = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    return _mm256_andnot_ps(below, _mm256_mul_ps(y, scale));
}

/// The largest of the row (−∞ for none), NaN skipped.
static inline __attribute__((always_inline)) AVX2_TARGET float row_max8(ptrdiff_t n, const float *x) {
    ptrdiff_t blocks = n / 8;
    __m256 m = _mm256_set1_ps(-INFINITY);
    for (ptrdiff_t i = 0; i < blocks; i++) m = _mm256_max_ps(_mm256_loadu_ps(x + 8 * i), m);   // NaN: keeps m
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    float mx = -INFINITY;
    for (int l = 0; l < 8; l++) mx = lanes[l] >= mx ? lanes[l] : mx;
    for (ptrdiff_t j = 8 * blocks; j < n; j++) mx = x[j] >= mx ? x[j] : mx;
    return mx;
}

/// The scalar code's total from the eight partials in `acc` and the tail x[8·blocks..<n] (whose
/// exponentials are taken here), then every value times 1/total.
static inline __attribute__((always_inline)) AVX2_TARGET
void finish8(ptrdiff_t n, float *x, float mx, __m256 acc) {
    ptrdiff_t blocks = n / 8;
    float s[8];
    _mm256_storeu_ps(s, acc);
    float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (ptrdiff_t j = 8 * blocks; j < n; j++) {
        x[j] = softmax_exp(x[j] - mx);
        total = total + x[j];
    }
    const __m256 inverse = _mm256_set1_ps(1.0f / total);
    for (ptrdiff_t i = 0; i < blocks; i++) _mm256_storeu_ps(x + 8 * i, _mm256_mul_ps(_mm256_loadu_ps(x + 8 * i), inverse));
    for (ptrdiff_t j = 8 * blocks; j < n; j++) x[j] = x[j] * (1.0f / total);
}

AVX2_TARGET void softmax_row_avx2(ptrdiff_t n, float *x) {
    float mx = row_max8(n, x);
    if (mx == -INFINITY) {
        for (ptrdiff_t j = 0; j < n; j++) x[j] = 0;
        return;
    }
    const __m256 m = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t i = 0; i < n / 8; i++) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * i), m));
        _mm256_storeu_ps(x + 8 * i, e);
        acc = _mm256_add_ps(acc, e);
    }
    finish8(n, x, mx, acc);
}

// MARK: - AVX-512

/// softmax_exp on 16 lanes (the same operations as exp8).
static inline __attribute__((always_inline)) AVX512_TARGET __m512 exp16(__m512 x) {
    const __m512 lowest = _mm512_set1_ps(SOFTMAX_LOWEST), magic = _mm512_set1_ps(SOFTMAX_MAGIC);
    __m512 c = _mm512_max_ps(lowest, x);
    __m512 t = _mm512_add_ps(_mm512_mul_ps(c, _mm512_set1_ps(SOFTMAX_LOG2E)), magic);
    __m512 n = _mm512_sub_ps(t, magic);
    __m512i k = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    __m512 r = _mm512_sub_ps(c, _mm512_mul_ps(n, _mm512_set1_ps(SOFTMAX_LN2_HI)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(SOFTMAX_LN2_LO)));
    __m512 p = _mm512_set1_ps(SOFTMAX_P0);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(SOFTMAX_P1));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(SOFTMAX_P2));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(SOFTMAX_P3));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(SOFTMAX_P4));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(SOFTMAX_P5));
    __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
    __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k, _mm512_set1_epi32(127)), 23));
    __mmask16 below = _mm512_cmp_ps_mask(x, lowest, _CMP_LT_OQ);
    return _mm512_maskz_mov_ps((__mmask16)~below, _mm512_mul_ps(y, scale));
}

AVX512_TARGET void softmax_row_avx512(ptrdiff_t n, float *x) {
    float mx = row_max8(n, x);
    if (mx == -INFINITY) {
        for (ptrdiff_t j = 0; j < n; j++) x[j] = 0;
        return;
    }
    const __m512 m = _mm512_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    ptrdiff_t blocks = n / 8, i = 0;
    for (; i + 2 <= blocks; i += 2) {
        __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + 8 * i), m));
        _mm512_storeu_ps(x + 8 * i, e);
        acc = _mm256_add_ps(acc, _mm512_castps512_ps256(e));                                        // block i
        acc = _mm256_add_ps(acc, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1)));  // block i + 1
    }
    if (i < blocks) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + 8 * i), _mm512_castps512_ps256(m)));
        _mm256_storeu_ps(x + 8 * i, e);
        acc = _mm256_add_ps(acc, e);
    }
    finish8(n, x, mx, acc);
}

#endif
