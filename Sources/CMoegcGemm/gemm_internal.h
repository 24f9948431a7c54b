// What the blocking driver (gemm.c) and the micro-kernels (gemm_x86.c, gemm_portable.c) share.
// Not part of the public header.
#ifndef CMOEGC_GEMM_INTERNAL_H
#define CMOEGC_GEMM_INTERNAL_H

#include "CMoegcGemm.h"

/// Depth of one K block: a B slice of KC rows × 32 columns (32 KiB) is read from L3 once and
/// then from L1/L2 by every register-tile row block. Measured on Zen 4 (32 KiB L1, 1 MiB L2):
/// KC = 256 beats 128 by 2–4% at the expert shapes (fewer C round trips), 64 loses 3–8%.
#define GEMM_KC 256
/// Most rows in one packed A block (MC · KC floats = 96 KiB, on the stack). 96 beat 48, 144 and
/// 192 rows, or tied, at 16…1024 rows.
#define GEMM_MC 96

/// One register tile: C[0..<mr, 0..<ncols] (+)= Ã · B̃ over kb steps, then the epilogue.
///
/// - `a`: the row block of A packed step-major, a[l·mr + r] = A[r, l] (mr fixed by the kernel).
/// - `b`: the B slice, row l at b + l·ldb; at least nv·vector-width readable columns (zero-padded).
/// - `b_next`: the slice the next call will read; its first kb·ldb floats are prefetched.
/// - `c`: C[0,0] of the tile, rows ldc apart; only the first `ncols` columns are read or written.
/// - `flags`: MOEGC_GEMM_ACCUMULATE (add C's current values) and MOEGC_GEMM_RELU (clamp at 0).
typedef void (*gemm_microkernel)(ptrdiff_t kb, const float *a, const float *b, ptrdiff_t ldb,
                                 const float *b_next, float *c, ptrdiff_t ldc, int ncols, int flags);

/// A kernel family: register tiles of up to `mr_max` rows and `vectors_max` vectors of `vector`
/// floats (tile width = vectors_max · vector, which divides the panel width 32).
/// `kernels[(mr − 1) · vectors_max + (nv − 1)]` multiplies mr rows by nv vectors of columns.
typedef struct gemm_family {
    int mr_max;
    int vector;
    int vectors_max;
    const gemm_microkernel *kernels;
} gemm_family;

extern const gemm_family gemm_family_portable;
#if defined(__x86_64__) || defined(_M_X64)
extern const gemm_family gemm_family_avx2;
extern const gemm_family gemm_family_avx512;
#endif

#endif
