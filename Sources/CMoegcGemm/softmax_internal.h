// What the softmax dispatcher (softmax.c) and its x86 variants (softmax_x86.c) share.
#ifndef CMOEGC_SOFTMAX_INTERNAL_H
#define CMOEGC_SOFTMAX_INTERNAL_H

#include "CMoegcSoftmax.h"

#include <stdint.h>
#include <string.h>

/// One row of the softmax; every variant has this signature.
typedef void (*softmax_row_kernel)(ptrdiff_t n, float *x);

/// The constants of the exponential (MoegcKernels/FastMath.swift `FastMath.expNonPositive`): inputs
/// below SOFTMAX_LOWEST give 0; e^x = 2^k · p(r) with k = round(x·log2 e), r = x − k·ln 2 in two
/// parts (Cody–Waite), p a degree-7 polynomial.
#define SOFTMAX_LOWEST (-87.33654f)
#define SOFTMAX_MAGIC 12582912.0f
#define SOFTMAX_LOG2E 1.44269504f
#define SOFTMAX_LN2_HI 0.693359375f
#define SOFTMAX_LN2_LO (-2.1219444e-4f)
#define SOFTMAX_P0 1.98756915e-4f
#define SOFTMAX_P1 1.3981999507e-3f
#define SOFTMAX_P2 8.3334519073e-3f
#define SOFTMAX_P3 4.1665795894e-2f
#define SOFTMAX_P4 1.6666665459e-1f
#define SOFTMAX_P5 5.0000001201e-1f

#pragma STDC FP_CONTRACT OFF

/// e^x for one value, the exact operations of the vector variants (and of Swift's
/// `FastMath.expNonPositive`, whose full-range `FastMath.exp` scales by 2^k in two halves: the
/// same product wherever the result is at least 2^−126).
static inline float softmax_exp(float x) {
    float c = SOFTMAX_LOWEST >= x ? SOFTMAX_LOWEST : x;   // Swift's max(x, lowest); NaN stays NaN
    float t = c * SOFTMAX_LOG2E;
    t = t + SOFTMAX_MAGIC;
    float n = t - SOFTMAX_MAGIC;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    uint32_t k = bits - 0x4B400000u;
    float hi = n * SOFTMAX_LN2_HI;
    float r = c - hi;
    float lo = n * SOFTMAX_LN2_LO;
    r = r - lo;
    float p = SOFTMAX_P0;
    p = p * r; p = p + SOFTMAX_P1;
    p = p * r; p = p + SOFTMAX_P2;
    p = p * r; p = p + SOFTMAX_P3;
    p = p * r; p = p + SOFTMAX_P4;
    p = p * r; p = p + SOFTMAX_P5;
    float y = p * r;
    y = y * r;
    y = y + r;
    y = y + 1.0f;
    uint32_t scale_bits = (k + 127u) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    float result = y * scale;
    return x < SOFTMAX_LOWEST ? 0.0f : result;
}

void softmax_row_portable(ptrdiff_t n, float *x);
#if defined(__x86_64__) || defined(_M_X64)
void softmax_row_avx2(ptrdiff_t n, float *x);
void softmax_row_avx512(ptrdiff_t n, float *x);
#endif

#endif
