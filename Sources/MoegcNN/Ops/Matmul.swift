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

extension Var {
    /// `self · weight + bias` for `self [m, k]`, `weight [k, n]`, `bias [n]`: what `matmul` then
    /// `+` compute, bit for bit, in one op and one output buffer. Each band of rows is multiplied
    /// into the output (BLAS β = 0, as `matmul` does) and the bias is added to it in place while the
    /// band is still in cache, so an `[m, n]` intermediate is never allocated — on the 137B model's
    /// 396k-row forward pass, 100 MB less fresh memory per layer. Backward: the matmul's gradients,
    /// and the bias's column sums taken row after row as the broadcast add takes them.
    ///
    /// Equality with the two-op form holds on every BLAS core: the product is the same sgemm call
    /// and the bias is added to each finished element once, as `+` adds it (`AffineTests`). (Adding
    /// the product onto a bias-initialised output with β = 1 is not: OpenBLAS cores that block the
    /// depth finer than `k` add the bias to a partial sum.)
    public func affine(_ weight: Var, _ bias: Var) -> Var {
        let a = value, w = weight.value, b = bias.value
        precondition(a.rank == 2 && w.rank == 2 && a.shape[1] == w.shape[0] && b.shape == [w.shape[1]],
                     "affine: input \(a.shape), weight \(w.shape), bias \(b.shape)")
        let (m, k, n) = (a.shape[0], a.shape[1], w.shape[1])
        let out = Tensor(shape: [m, n], unsafeUninitialized: { c in
            a.withUnsafeBufferPointer { pa in
                w.withUnsafeBufferPointer { pw in
                    b.withUnsafeBufferPointer { pb in
                        forEachRowBand(m, threads: tape.threads) { band in
                            gemm(transposeA: false, transposeB: false, m: band.count, n: n, k: k, alpha: 1,
                                 pa, offsetA: band.lowerBound * k, lda: k, pw, ldb: n,
                                 beta: 0, c, offsetC: band.lowerBound * n, ldc: n)
                            for r in band {
                                let row = c.baseAddress! + r * n
                                for j in 0..<n { row[j] += pb[j] }
                            }
                        }
                    }
                }
            }
        })
        let (ia, iw, ib) = (id, weight.id, bias.id)
        return tape.record(out, self, weight, bias) { g, grads in
            g.withUnsafeBufferPointer { pg in
                grads.accumulate(ia, shape: a.shape) { da in
                    w.withUnsafeBufferPointer { pw in
                        gemm(transposeA: false, transposeB: true, m: m, n: k, k: n, alpha: 1, pg, lda: n, pw, ldb: n,
                             beta: 1, da, ldc: k)
                    }
                }
                grads.accumulate(iw, shape: w.shape) { dw in
                    a.withUnsafeBufferPointer { pa in
                        gemm(transposeA: true, transposeB: false, m: k, n: n, k: m, alpha: 1, pa, lda: k, pg, ldb: n,
                             beta: 1, dw, ldc: n)
                    }
                }
                grads.accumulate(ib, shape: b.shape) { db in
                    for r in 0..<m { for j in 0..<n { db[j] += pg[r * n + j] } }
                }
            }
        }
    }
}
