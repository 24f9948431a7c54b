// CMoegcSoftmax: moegc's row softmax (MoegcKernels' `Kernels.softmax`: the runtime's softmax op,
// MoegcNN's softmax, attention and the policy's segment attention), vectorised for the CPU found
// at run time. Swift builds for baseline x86-64 (SSE2), where its exponential does not vectorise;
// this kernel runs the same arithmetic 8 or 16 lanes at a time.
//
// Bitwise contract: every variant returns exactly what the Swift row softmax it replaced returned
// (MoegcKernels' `FastMath.expNonPositive` per value, no fused multiply-adds, the sum kept in the
// same eight running partials in the same order), so switching the kernel changes no trained policy.
#ifndef CMOEGC_SOFTMAX_H
#define CMOEGC_SOFTMAX_H

#include <stddef.h>

#include "CMoegcGemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Replaces each of `rows` rows of `n` scores (row r at x + r·ld) by its softmax; a row whose
/// scores are all −∞ becomes all zeros. Uses the best variant for this CPU.
void moegc_softmax_rows(ptrdiff_t rows, ptrdiff_t n, float *x, ptrdiff_t ld);

/// The same with an explicit variant (tests compare them); `isa` must be supported.
void moegc_softmax_rows_isa(moegc_gemm_isa isa, ptrdiff_t rows, ptrdiff_t n, float *x, ptrdiff_t ld);

#ifdef __cplusplus
}
#endif

#endif
