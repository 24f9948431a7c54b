import MoegcKernels

// Matrix product and its gradient, on MoegcKernels' sgemm (`Kernels.matmul`, OpenBLAS).

extension Var {
    /// The matrix product `op(self) · op(other)` of two 2-D values, where `op` transposes when the
    /// corresponding flag is set: `[m, k] · [k, n] → [m, n]`.
    ///
    /// Gradient (with `G` the output gradient, shown without transposes):
    /// `dA = G · Bᵀ`, `dB = Aᵀ · G`; each transposed case is one sgemm with flipped flags.
    public func matmul(_ other: Var, transposeSelf: Bool = false, transposeOther: Bool = false) -> Var {
        let a = value, b = other.value
        precondition(a.rank == 2 && b.rank == 2, "matmul: needs 2-D operands, got \(a.shape) and \(b.shape)")
        let (m, k) = transposeSelf ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeOther ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == k2, "matmul: inner extents differ: \(a.shape)\(transposeSelf ? "ᵀ" : "") · "
                     + "\(b.shape)\(transposeOther ? "ᵀ" : "")")
        let lda = a.shape[1], ldb = b.shape[1], (shapeA, shapeB) = (a.shape, b.shape)
        let (tA, tB) = (transposeSelf, transposeOther)
        // With threads to spare and many rows, each thread multiplies its own band of rows (a row's
        // result does not depend on the band it is in). (A transposed is read by columns: one band.)
        let out = Tensor(shape: [m, n]) { c in
            Tensor.read(a, b) { a, b in
                forEachRowBand(m, threads: tA ? 1 : tape.threads) { band in
                    gemm(tA, tB, m: band.count, n: n, k: k, a, offsetA: band.lowerBound * lda, lda: lda, b, ldb: ldb,
                         beta: 0, c, offsetC: band.lowerBound * n, ldc: n)
                }
            }
        }
        let (ia, ib) = (id, other.id)
        return tape.record(out, self, other) { g, grads in
            Tensor.read(g, a, b) { g, a, b in
                // dA: [m, k] = G · op(B)ᵀ, or its transpose [k, m] = op(B) · Gᵀ.
                grads.accumulate(ia, shape: shapeA) { da in
                    if !tA {
                        gemm(false, !tB, m: m, n: k, k: n, g, lda: n, b, ldb: ldb, beta: 1, da, ldc: k)
                    } else {
                        gemm(tB, true, m: k, n: m, k: n, b, lda: ldb, g, ldb: n, beta: 1, da, ldc: m)
                    }
                }
                // dB: [k, n] = op(A)ᵀ · G, or its transpose [n, k] = Gᵀ · op(A).
                grads.accumulate(ib, shape: shapeB) { db in
                    if !tB {
                        gemm(!tA, false, m: k, n: n, k: m, a, lda: lda, g, ldb: n, beta: 1, db, ldc: n)
                    } else {
                        gemm(true, tA, m: n, n: k, k: m, g, lda: n, a, ldb: lda, beta: 1, db, ldc: k)
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
        let out = Tensor(shape: [m, n]) { c in
            Tensor.read(a, w, b) { a, w, b in
                forEachRowBand(m, threads: tape.threads) { band in
                    gemm(false, false, m: band.count, n: n, k: k, a, offsetA: band.lowerBound * k, lda: k, w, ldb: n,
                         beta: 0, c, offsetC: band.lowerBound * n, ldc: n)
                    for r in band {
                        for j in 0..<n { c[r * n + j] += b[j] }
                    }
                }
            }
        }
        let (ia, iw, ib) = (id, weight.id, bias.id)
        return tape.record(out, self, weight, bias) { g, grads in
            Tensor.read(g, a, w) { g, a, w in
                grads.accumulate(ia, shape: [m, k]) { da in
                    gemm(false, true, m: m, n: k, k: n, g, lda: n, w, ldb: n, beta: 1, da, ldc: k)
                }
                grads.accumulate(iw, shape: [k, n]) { dw in
                    gemm(true, false, m: k, n: n, k: m, a, lda: k, g, ldb: n, beta: 1, dw, ldc: n)
                }
                grads.accumulate(ib, shape: [n]) { db in
                    for r in 0..<m { for j in 0..<n { db[j] += g[r * n + j] } }
                }
            }
        }
    }
}

/// `C = op(A) · op(B) + beta · C` on row-major blocks at the given offsets of three tensor handles,
/// through `Kernels.matmul` (one sgemm; `op` transposes when its flag is set; op(A) is `m × k`,
/// op(B) `k × n`, C `m × n`, each with its leading dimension). Empty products are handled there.
func gemm(_ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
          _ a: Tensor.UnsafeHandle, offsetA: Int = 0, lda: Int,
          _ b: Tensor.UnsafeHandle, offsetB: Int = 0, ldb: Int,
          beta: Float, _ c: Tensor.UnsafeHandle, offsetC: Int = 0, ldc: Int) {
    if m == 0 || n == 0 { return }
    assert(k == 0 || offsetA + (transposeA ? (k - 1) * lda + m : (m - 1) * lda + k) <= a.count, "gemm: A too small")
    assert(k == 0 || offsetB + (transposeB ? (n - 1) * ldb + k : (k - 1) * ldb + n) <= b.count, "gemm: B too small")
    assert(offsetC + (m - 1) * ldc + n <= c.count, "gemm: C too small")
    Kernels.matmul(transA: transposeA ? .transposed : .none, transB: transposeB ? .transposed : .none,
                   m: m, n: n, k: k, alpha: alpha,
                   a: a.pointer(at: offsetA), lda: max(lda, 1), b: b.pointer(at: offsetB), ldb: max(ldb, 1),
                   beta: beta, c: c.mutablePointer(at: offsetC), ldc: max(ldc, 1))
}
