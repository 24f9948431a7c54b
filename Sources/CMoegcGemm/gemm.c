// The packed-B sgemm: packing, kernel selection, and the blocking driver around the micro-kernels.
//
// Algorithm. C[m,n] (+)= A[m,k]·B[k,n] with B packed once into 32-column panels (see the header).
// Three loops block the product so that each operand sits in the cache level that reuses it:
//
//   for each row block of ≤ MC = 96 rows        (balanced: 100 rows → 50 + 50)     A block: L2
//     for each depth block of ≤ KC = 256 steps
//       pack A[rows, depth] step-major, one register-tile row block after another (96 KiB, stack)
//       for each 32-column panel of B:          the KC × 32 slice of B (32 KiB) comes from L3
//         for each register-tile row block:     once, then from L1/L2 for every other row block
//           micro-kernel: C tile (+)= Ã · B̃      (prefetching the next panel's slice)
//
//               k0    k0+KC                             panel p (32 columns)
//           ┌──────┬───────┬──────┐          ┌─────┬────────┬─────┐
//     A     │      │ Ã blk │      │ ≤ MC     │     │   B̃    │     │ KC        C[rows, panel p]
//  (m × k)  │      │(packed│      │ rows     │  B  │ 256×32 │     │ rows      accumulates over
//           │      │ stack)│      │          │     │ slice  │     │           the depth blocks
//           └──────┴───────┴──────┘          └─────┴────────┴─────┘
//
// The row blocks inside an MC block are split evenly into tiles of at most mr_max rows (12 for
// AVX-512: 16 rows → 8 + 8, 33 → 11 + 11 + 11), so no tile runs with a few rows and idle
// registers. Every B element therefore comes from memory once per MC block: with the few rows an
// expert sees, B is streamed once per call and its packed slices are read sequentially.
// The first depth block writes C (or adds to it with MOEGC_GEMM_ACCUMULATE), later ones add to
// it, and only the last applies the ReLU.

#include "gemm_internal.h"

#include <string.h>

// MARK: - Kernel selection

int moegc_gemm_isa_supported(moegc_gemm_isa isa) {
    switch (isa) {
    case MOEGC_GEMM_PORTABLE:
        return 1;
#if defined(__x86_64__) || defined(_M_X64)
    case MOEGC_GEMM_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case MOEGC_GEMM_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

moegc_gemm_isa moegc_gemm_best_isa(void) {
    if (moegc_gemm_isa_supported(MOEGC_GEMM_AVX512)) return MOEGC_GEMM_AVX512;
    if (moegc_gemm_isa_supported(MOEGC_GEMM_AVX2)) return MOEGC_GEMM_AVX2;
    return MOEGC_GEMM_PORTABLE;
}

const char *moegc_gemm_isa_name(moegc_gemm_isa isa) {
    switch (isa) {
    case MOEGC_GEMM_PORTABLE: return "portable";
    case MOEGC_GEMM_AVX2: return "avx2";
    case MOEGC_GEMM_AVX512: return "avx512";
    default: return "unknown";
    }
}

static const gemm_family *family_of(moegc_gemm_isa isa) {
    switch (isa) {
#if defined(__x86_64__) || defined(_M_X64)
    case MOEGC_GEMM_AVX512: return &gemm_family_avx512;
    case MOEGC_GEMM_AVX2: return &gemm_family_avx2;
#endif
    default: return &gemm_family_portable;
    }
}

// MARK: - Packing

static ptrdiff_t min_pd(ptrdiff_t x, ptrdiff_t y) { return x < y ? x : y; }

/// Width of the panel holding `columns` (1…32) real columns: 16 or 32.
static ptrdiff_t panel_width(ptrdiff_t columns) { return columns > 16 ? 32 : 16; }

ptrdiff_t moegc_gemm_packed_count(ptrdiff_t k, ptrdiff_t n) {
    if (k <= 0 || n <= 0) return 0;
    return k * ((n + 15) / 16 * 16);
}

void moegc_gemm_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t ldb, float *packed) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += MOEGC_GEMM_PANEL_COLUMNS) {
        ptrdiff_t columns = min_pd(MOEGC_GEMM_PANEL_COLUMNS, n - p0), w = panel_width(columns);
        float *panel = packed + p0 * k;
        for (ptrdiff_t r = 0; r < k; r++) {
            memcpy(panel + r * w, b + r * ldb + p0, (size_t)columns * sizeof(float));
            memset(panel + r * w + columns, 0, (size_t)(w - columns) * sizeof(float));
        }
    }
}

/// Start of the packed slice of panel `p0` (its first column) at depth `k0`.
static const float *slice_at(const float *packed, ptrdiff_t n, ptrdiff_t k, ptrdiff_t p0, ptrdiff_t k0) {
    return packed + p0 * k + k0 * panel_width(min_pd(MOEGC_GEMM_PANEL_COLUMNS, n - p0));
}

/// First row of part `i` when `count` items are split into `parts` nearly equal parts.
static ptrdiff_t split_at(ptrdiff_t count, ptrdiff_t parts, ptrdiff_t i) { return count * i / parts; }

/// Packs A[0..<rows, 0..<depth] (leading dimension lda) into `dst`: the rows are split evenly
/// into `tiles` row blocks; block t (rows r0..<r1) is stored at dst + r0·depth, step-major:
/// dst[r0·depth + l·(r1 − r0) + r] = A[r0 + r, l].
static void pack_a(const float *a, ptrdiff_t lda, ptrdiff_t rows, ptrdiff_t depth, ptrdiff_t tiles, float *dst) {
    for (ptrdiff_t t = 0; t < tiles; t++) {
        ptrdiff_t r0 = split_at(rows, tiles, t), mr = split_at(rows, tiles, t + 1) - r0;
        float *block = dst + r0 * depth;
        for (ptrdiff_t r = 0; r < mr; r++) {
            const float *row = a + (r0 + r) * lda;
            for (ptrdiff_t l = 0; l < depth; l++) block[l * mr + r] = row[l];
        }
    }
}

// MARK: - The driver

/// k = 0: C = 0 (or unchanged when accumulating), then the ReLU.
static void empty_product(ptrdiff_t m, ptrdiff_t n, float *c, ptrdiff_t ldc, int flags) {
    for (ptrdiff_t i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (!(flags & MOEGC_GEMM_ACCUMULATE)) memset(row, 0, (size_t)n * sizeof(float));
        if (flags & MOEGC_GEMM_RELU)
            for (ptrdiff_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : 0;
    }
}

int moegc_sgemm_packed(moegc_gemm_isa isa, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                       const float *a, ptrdiff_t lda, const float *packed_b,
                       float *c, ptrdiff_t ldc, int flags) {
    if (!moegc_gemm_isa_supported(isa) || m < 0 || n < 0 || k < 0 || lda < k || ldc < n) return -1;
    if (m == 0 || n == 0) return 0;
    if (k == 0) {
        empty_product(m, n, c, ldc, flags);
        return 0;
    }
    const gemm_family *f = family_of(isa);
    const ptrdiff_t tile_columns = (ptrdiff_t)f->vector * f->vectors_max;
    float a_block[GEMM_MC * GEMM_KC] __attribute__((aligned(64)));

    const ptrdiff_t row_blocks = (m + GEMM_MC - 1) / GEMM_MC;
    for (ptrdiff_t ib = 0; ib < row_blocks; ib++) {
        const ptrdiff_t m0 = split_at(m, row_blocks, ib), rows = split_at(m, row_blocks, ib + 1) - m0;
        const ptrdiff_t tiles = (rows + f->mr_max - 1) / f->mr_max;
        for (ptrdiff_t k0 = 0; k0 < k; k0 += GEMM_KC) {
            const ptrdiff_t depth = min_pd(GEMM_KC, k - k0);
            const int block_flags = (k0 > 0 ? MOEGC_GEMM_ACCUMULATE : (flags & MOEGC_GEMM_ACCUMULATE))
                                  | (k0 + depth == k ? (flags & MOEGC_GEMM_RELU) : 0);
            pack_a(a + m0 * lda + k0, lda, rows, depth, tiles, a_block);
            for (ptrdiff_t p0 = 0; p0 < n; p0 += MOEGC_GEMM_PANEL_COLUMNS) {
                const ptrdiff_t columns = min_pd(MOEGC_GEMM_PANEL_COLUMNS, n - p0), w = panel_width(columns);
                const float *slice = slice_at(packed_b, n, k, p0, k0);
                // The next slice this loop nest reads: the next panel, else the next depth block's
                // first panel (then the next row block's; the very last prefetches itself).
                const float *next = p0 + MOEGC_GEMM_PANEL_COLUMNS < n ? slice_at(packed_b, n, k, p0 + MOEGC_GEMM_PANEL_COLUMNS, k0)
                                  : k0 + depth < k ? slice_at(packed_b, n, k, 0, k0 + depth)
                                  : ib + 1 < row_blocks ? packed_b : slice;
                for (ptrdiff_t t0 = 0; t0 < columns; t0 += tile_columns) {
                    const int ncols = (int)min_pd(tile_columns, columns - t0);
                    const int nv = (ncols + f->vector - 1) / f->vector;
                    for (ptrdiff_t t = 0; t < tiles; t++) {
                        const ptrdiff_t r0 = split_at(rows, tiles, t), mr = split_at(rows, tiles, t + 1) - r0;
                        f->kernels[(mr - 1) * f->vectors_max + (nv - 1)](
                            depth, a_block + r0 * depth, slice + t0, w, next + t0,
                            c + (m0 + r0) * ldc + p0 + t0, ldc, ncols, block_flags);
                    }
                }
            }
        }
    }
    return 0;
}
