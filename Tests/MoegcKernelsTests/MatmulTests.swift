import MoegcKernels
import MoegcSupport
import Testing

/// Stores a logical [rows, cols] matrix `m` (row-major) into a buffer with leading dimension
/// `ld` ≥ cols, padding filled with `pad`.
private func store(_ m: [Float], rows: Int, cols: Int, ld: Int, pad: Float) -> [Float] {
    var out = [Float](repeating: pad, count: max(rows * ld, 1))
    for r in 0..<rows { for c in 0..<cols { out[r * ld + c] = m[r * cols + c] } }
    return out
}

/// The transpose of a logical [rows, cols] matrix, naively.
private func naiveTranspose(_ m: [Float], rows: Int, cols: Int) -> [Float] {
    var out = [Float](repeating: 0, count: rows * cols)
    for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
    return out
}

@Suite struct MatmulTests {
    init() { BLAS.setSingleThreaded() }

    /// Checks C = alpha·op(A)·op(B) + beta·C0 against a Double triple loop, element by element,
    /// within the classical bound |error| ≤ (k+2)·2^−23·(Σ_l |alpha·a·b| + |beta·c0|).
    private func check(m: Int, n: Int, k: Int, transA: Transpose, transB: Transpose,
                       padA: Int, padB: Int, padC: Int, alpha: Float, beta: Float, seed: UInt64) {
        let a = randomFloats(m * k, seed: seed)          // logical op(A), [m, k]
        let b = randomFloats(k * n, seed: seed &+ 1)     // logical op(B), [k, n]
        let c0 = randomFloats(m * n, seed: seed &+ 2)
        // Stored forms: op(A) = Aᵀ means A is stored [k, m].
        let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
        let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
        let aLogical = transA == .none ? a : naiveTranspose(a, rows: m, cols: k)
        let bLogical = transB == .none ? b : naiveTranspose(b, rows: k, cols: n)
        let lda = aCols + padA, ldb = bCols + padB, ldc = n + padC
        // Padding of A and B is NaN: reading it would poison the result. C's padding is a sentinel.
        let aStored = store(aLogical, rows: aRows, cols: aCols, ld: lda, pad: .nan)
        let bStored = store(bLogical, rows: bRows, cols: bCols, ld: ldb, pad: .nan)
        let sentinel: Float = 12345
        var c = store(c0, rows: m, cols: n, ld: ldc, pad: sentinel)
        Kernels.matmul(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: aStored, lda: lda, b: bStored, ldb: ldb, beta: beta, c: &c, ldc: ldc)
        let what = "m=\(m) n=\(n) k=\(k) \(transA)/\(transB) pads \(padA),\(padB),\(padC)"
        for i in 0..<m {
            for j in 0..<n {
                var exact = Double(beta) * Double(c0[i * n + j])
                var magnitude = abs(exact)
                for l in 0..<k {
                    let term = Double(alpha) * Double(a[i * k + l]) * Double(b[l * n + j])
                    exact += term
                    magnitude += abs(term)
                }
                let bound = Double(k + 2) * 0x1p-23 * magnitude
                let got = Double(c[i * ldc + j])
                if !(abs(got - exact) <= bound) {
                    Issue.record("\(what): C[\(i),\(j)] = \(got), expected \(exact) ± \(bound)")
                    return
                }
            }
            for j in n..<ldc where c[i * ldc + j] != sentinel {
                Issue.record("\(what): padding C[\(i),\(j)] was written")
                return
            }
        }
    }

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func randomShapesAgainstNaiveLoops(transA: Transpose, transB: Transpose) {
        var rng = SeededGenerator(seed: 7)
        for trial in 0..<12 {
            let m = testSizes[rng.nextInt(below: testSizes.count)]
            let n = testSizes[rng.nextInt(below: testSizes.count)]
            let k = testSizes[rng.nextInt(below: testSizes.count)]
            check(m: m, n: n, k: k, transA: transA, transB: transB, padA: 0, padB: 0, padC: 0,
                  alpha: 1, beta: 0, seed: UInt64(100 + trial))
        }
    }

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func leadingDimensionsWiderThanTheRows(transA: Transpose, transB: Transpose) {
        check(m: 17, n: 33, k: 7, transA: transA, transB: transB, padA: 3, padB: 5, padC: 2,
              alpha: 0.5, beta: 0, seed: 1)
        check(m: 1, n: 65, k: 130, transA: transA, transB: transB, padA: 1, padB: 1, padC: 7,
              alpha: 1, beta: 1, seed: 2)
        check(m: 130, n: 1, k: 3, transA: transA, transB: transB, padA: 4, padB: 9, padC: 1,
              alpha: -2, beta: 0.25, seed: 3)
    }

    @Test func betaAccumulatesIntoC() {
        check(m: 33, n: 17, k: 65, transA: .none, transB: .none, padA: 0, padB: 0, padC: 0,
              alpha: 1.5, beta: -0.5, seed: 9)
    }

    @Test func zeroRowsCallsNothing() {
        // m = 0 with NaN-free sentinel buffers: nothing may be written (C holds 1 element).
        var c: [Float] = [42]
        let a: [Float] = [1], b = [Float](repeating: 1, count: 8)
        Kernels.matmul(m: 0, n: 8, k: 1, a: a, b: b, c: &c)
        #expect(c == [42])
        #expect(Kernels.matmul([], b, m: 0, n: 8, k: 1).isEmpty)
    }

    @Test func zeroInnerDimensionScalesC() {
        var c: [Float] = [1, 2, .nan, 4]
        let dummy: [Float] = [0]
        Kernels.matmul(m: 2, n: 2, k: 0, a: dummy, lda: 1, b: dummy, ldb: 2, beta: 0, c: &c)
        #expect(c == [0, 0, 0, 0])
        var d: [Float] = [1, 2, 3, 4]
        Kernels.matmul(m: 2, n: 2, k: 0, a: dummy, lda: 1, b: dummy, ldb: 2, beta: 3, c: &d)
        #expect(d == [3, 6, 9, 12])
        // The array wrapper with k = 0: an all-zero product.
        #expect(Kernels.matmul([], [], m: 2, n: 3, k: 0) == [0, 0, 0, 0, 0, 0])
        #expect(Kernels.matmul([], [], m: 2, n: 3, k: 0, transA: .transposed, transB: .transposed) == [0, 0, 0, 0, 0, 0])
    }

    @Test func betaZeroIgnoresNaNInC() {
        var c = [Float](repeating: .nan, count: 6)
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 2, 0, 1, 3]
        Kernels.matmul(m: 2, n: 3, k: 2, a: a, b: b, beta: 0, c: &c)
        #expect(c == [1, 2, 8, 3, 4, 18])
    }

    @Test func arrayWrapperMatchesKnownProduct() {
        // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]; with B transposed, [[17,23],[39,53]].
        #expect(Kernels.matmul([1, 2, 3, 4], [5, 6, 7, 8], m: 2, n: 2, k: 2) == [19, 22, 43, 50])
        #expect(Kernels.matmul([1, 2, 3, 4], [5, 6, 7, 8], m: 2, n: 2, k: 2, transB: .transposed) == [17, 23, 39, 53])
    }
}
