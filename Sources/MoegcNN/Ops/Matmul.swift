// Matrix product and its gradient, on cblas_sgemm.

extension Var {
    /// The matrix product `op(self) · op(other)` of two 2-D values, where `op` transposes when the
    /// corresponding flag is set: `[m, k] · [k, n] → [m, n]`.
    ///
    /// Gradient (with `G` the output gradient, shown without transposes):
    /// `dA = G · Bᵀ`, `dB = Aᵀ · G`; each transposed case is one sgemm with flipped flags.
    public func matmul(_ other: Var, transposeSelf: Bool = false, transposeOther: Bool = false) -> Var {
        matmulImplementation(other, transposeSelf: transposeSelf, transposeOther: transposeOther)
    }

    private func matmulImplementation(_ other: Var, transposeSelf: Bool, transposeOther: Bool) -> Var {
        let a = value, b = other.value
        precondition(a.rank == 2 && b.rank == 2, "matmul: needs 2-D operands, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeSelf ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeOther ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == k2, "matmul: inner extents differ: \(a.shape)\(transposeSelf ? "ᵀ" : "") · "
                     + "\(b.shape)\(transposeOther ? "ᵀ" : "")")
        let lda = a.shape[1], ldb = b.shape[1]
        let (tA, tB) = (transposeSelf, transposeOther)
        // With threads to spare and many rows, each thread multiplies its own band of rows (a row's
        // result does not depend on the band it is in).
        // (A transposed is read by columns: one band.)
        let out = Tensor(shape: [m, n], unsafeUninitialized: { c in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    forEachRowBand(m, threads: tA ? 1 : tape.threads) { band in
                        let (lo, hi) = (band.lowerBound, band.upperBound)
                        gemm(transposeA: tA, transposeB: tB, m: hi - lo, n: n, k: k, alpha: 1,
                             pa, offsetA: lo * lda, lda: lda, pb, ldb: ldb, beta: 0, c, offsetC: lo * n, ldc: n)
                    }
                }
            }
        })
        let (ia, ib) = (id, other.id)
        return tape.record(out, self, other) { g, grads in
            g.withUnsafeBufferPointer { pg in
                // dA: [m, k] = G · op(B)ᵀ, or its transpose [k, m] = op(B) · Gᵀ.
                grads.accumulate(ia, shape: a.shape) { da in
                    b.withUnsafeBufferPointer { pb in
                        if !tA {
                            gemm(transposeA: false, transposeB: !tB, m: m, n: k, k: n, alpha: 1,
                                 pg, lda: n, pb, ldb: ldb, beta: 1, da, ldc: k)
                        } else {
                            gemm(transposeA: tB, transposeB: true, m: k, n: m, k: n, alpha: 1,
                                 pb, lda: ldb, pg, ldb: n, beta: 1, da, ldc: m)
                        }
                    }
                }
                // dB: [k, n] = op(A)ᵀ · G, or its transpose [n, k] = Gᵀ · op(A).
                grads.accumulate(ib, shape: b.shape) { db in
                    a.withUnsafeBufferPointer { pa in
                        if !tB {
                            gemm(transposeA: !tA, transposeB: false, m: k, n: n, k: m, alpha: 1,
                                 pa, lda: lda, pg, ldb: n, beta: 1, db, ldc: n)
                        } else {
                            gemm(transposeA: true, transposeB: tA, m: n, n: k, k: m, alpha: 1,
                                 pg, lda: n, pa, ldb: lda, beta: 1, db, ldc: k)
                        }
                    }
                }
            }
        }
    }
}
