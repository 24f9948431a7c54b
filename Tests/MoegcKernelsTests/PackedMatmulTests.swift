import MoegcKernels
import MoegcSupport
import Testing

/// The kernels this machine can run: each is checked on its own (the C variants through an
/// explicitly chosen `PackedMatrix.kernel`, BLAS as the fallback path).
private let runnableKernels = PackedMatmulKernel.allCases.filter(\.isSupported)

/// Row counts an expert sees (1 to past two MC blocks), and inner/column sizes that are not
/// multiples of any vector width (8, 16) or panel width (32).
private let rowCounts = [1, 3, 7, 16, 33, 64, 257]
private let depths = [1, 5, 17, 100, 513, 1000]
private let widths = [1, 5, 17, 100, 513, 1000]

/// Every (k, n) pair from `depths` × `widths`, twice, with row counts taken round-robin from
/// `rowCounts`, lowered to the largest that keeps m·k·n ≤ 3·10⁶ (the Double reference runs in a
/// debug build): 257 rows still meet k = 1000 (n = 5), k = 513 (n = 1) and n = 513 (k = 5).
private let cases: [(m: Int, k: Int, n: Int)] = {
    var out: [(m: Int, k: Int, n: Int)] = []
    var next = 0
    for k in depths {
        for n in widths {
            for _ in 0..<2 {
                let wanted = rowCounts[next % rowCounts.count]
                next += 1
                let m = rowCounts.last { $0 <= wanted && $0 * k * n <= 3_000_000 } ?? 1
                if let last = out.last, last == (m, k, n) { continue }
                out.append((m, k, n))
            }
        }
    }
    return out
}()

/// Each case's inputs and exact product, computed once for all kernels.
private let caseData: [(m: Int, k: Int, n: Int, a: [Float], b: [Float], ref: (exact: [Double], magnitude: [Double]))] =
    cases.enumerated().map { index, shape in
        let seed = UInt64(1000 + index)
        let a = randomFloats(shape.m * shape.k, seed: seed), b = randomFloats(shape.k * shape.n, seed: seed &+ 1)
        return (shape.m, shape.k, shape.n, a, b, reference(a, b, c0: nil, m: shape.m, k: shape.k, n: shape.n))
    }

/// The exact product in Double and, per element, Σ_l |a_il·b_lj| + |c0_ij| (the magnitude the
/// rounding error bound scales with).
private func reference(_ a: [Float], _ b: [Float], c0: [Float]?, m: Int, k: Int, n: Int)
    -> (exact: [Double], magnitude: [Double]) {
    var exact = [Double](repeating: 0, count: m * n), magnitude = exact
    for i in 0..<m {
        for l in 0..<k {
            let x = Double(a[i * k + l])
            for j in 0..<n {
                let term = x * Double(b[l * n + j])
                exact[i * n + j] += term
                magnitude[i * n + j] += abs(term)
            }
        }
    }
    if let c0 {
        for i in exact.indices {
            exact[i] += Double(c0[i])
            magnitude[i] += abs(Double(c0[i]))
        }
    }
    return (exact, magnitude)
}

@Suite struct PackedMatmulTests {
    init() { BLAS.setSingleThreaded() }

    /// Checks C (stored with leading dimension ldc) against the reference, twice over:
    /// - every element within the classical K-scaled bound |C − C*| ≤ (k + 2)·2⁻²³·(Σ|a·b| + |c0|)
    ///   (2⁻²³ = 2u covers blocked summation in float; ReLU is 1-Lipschitz, so the bound carries
    ///   over to max(0, ·));
    /// - the whole result within relative 1e-5 in the Frobenius norm, ‖C − C*‖ ≤ 1e-5·‖C*‖ (the
    ///   typical error grows like √k·u ≈ 2·10⁻⁶ at k = 1000);
    /// and that C's columns past n still hold the sentinel.
    private func expectMatches(_ c: [Float], ldc: Int, _ ref: (exact: [Double], magnitude: [Double]),
                               m: Int, k: Int, n: Int, relu: Bool, sentinel: Float, _ what: String) {
        var errorSquares = 0.0, normSquares = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let exact = relu ? max(ref.exact[i * n + j], 0) : ref.exact[i * n + j]
                let got = Double(c[i * ldc + j])
                let bound = Double(k + 2) * 0x1p-23 * ref.magnitude[i * n + j]
                if !(abs(got - exact) <= bound) {
                    Issue.record("\(what): C[\(i),\(j)] = \(got), expected \(exact) ± \(bound)")
                    return
                }
                errorSquares += (got - exact) * (got - exact)
                normSquares += exact * exact
            }
            for j in n..<ldc where c[i * ldc + j] != sentinel {
                Issue.record("\(what): C[\(i),\(j)] past the last column was written")
                return
            }
        }
        #expect(errorSquares <= 1e-10 * normSquares, "\(what): relative Frobenius error above 1e-5")
    }

    @Test(arguments: runnableKernels)
    func randomShapesAgainstDoubleLoops(kernel: PackedMatmulKernel) {
        for (m, k, n, a, b, ref) in caseData {
            let packed = PackedMatrix(b, rows: k, columns: n, kernel: kernel)
            for relu in [false, true] {
                // C starts as NaN: without accumulation it must only be written.
                var c = [Float](repeating: .nan, count: m * n)
                Kernels.matmul(m: m, a: a, packed: packed, relu: relu, c: &c)
                expectMatches(c, ldc: n, ref, m: m, k: k, n: n, relu: relu, sentinel: .nan,
                              "\(kernel) m=\(m) k=\(k) n=\(n) relu=\(relu)")
            }
        }
    }

    @Test(arguments: runnableKernels)
    func accumulatesWithLeadingDimensions(kernel: PackedMatmulKernel) {
        // Padding of A and of the unpacked B is NaN (reading it would poison C); C's is a sentinel.
        let sentinel: Float = 12345
        for (m, k, n) in [(16, 513, 100), (33, 17, 1000), (7, 1000, 17), (257, 5, 33), (1, 100, 5)] {
            let (lda, ldb, ldc) = (k + 3, n + 5, n + 7)
            let a = randomFloats(m * k, seed: UInt64(m * k)), b = randomFloats(k * n, seed: UInt64(k * n))
            let c0 = randomFloats(m * n, seed: UInt64(m + n))
            let ref = reference(a, b, c0: c0, m: m, k: k, n: n)
            var aStored = [Float](repeating: .nan, count: m * lda), bStored = [Float](repeating: .nan, count: k * ldb)
            var c = [Float](repeating: sentinel, count: m * ldc)
            for i in 0..<m { for l in 0..<k { aStored[i * lda + l] = a[i * k + l] } }
            for l in 0..<k { for j in 0..<n { bStored[l * ldb + j] = b[l * n + j] } }
            let packed = PackedMatrix(rows: k, columns: n, from: bStored, ld: ldb, kernel: kernel)
            for relu in [false, true] {
                for i in 0..<m { for j in 0..<n { c[i * ldc + j] = c0[i * n + j] } }
                Kernels.matmul(m: m, a: aStored, lda: lda, packed: packed, accumulate: true, relu: relu,
                               c: &c, ldc: ldc)
                expectMatches(c, ldc: ldc, ref, m: m, k: k, n: n, relu: relu, sentinel: sentinel,
                              "\(kernel) accumulate m=\(m) k=\(k) n=\(n) relu=\(relu)")
            }
        }
    }

    @Test(arguments: runnableKernels)
    func emptySizes(kernel: PackedMatmulKernel) {
        // k = 0: C = 0, or C unchanged when accumulating, then the ReLU.
        let empty = PackedMatrix([], rows: 0, columns: 3, kernel: kernel)
        #expect(Kernels.matmul([], m: 2, packed: empty) == [0, 0, 0, 0, 0, 0])
        var c: [Float] = [1, -2, 3, -4, 5, .nan]
        let dummy: [Float] = [0]
        Kernels.matmul(m: 2, a: dummy, packed: empty, accumulate: true, relu: true, c: &c)
        #expect(c == [1, 0, 3, 0, 5, 0])
        // m = 0 or n = 0: nothing is written.
        let b = PackedMatrix([1, 2, 3, 4], rows: 2, columns: 2, kernel: kernel)
        var untouched: [Float] = [42]
        Kernels.matmul(m: 0, a: dummy, packed: b, c: &untouched)
        #expect(untouched == [42])
        let noColumns = PackedMatrix([], rows: 4, columns: 0, kernel: kernel)
        #expect(noColumns.byteCount == 0)
        Kernels.matmul(m: 1, a: [1, 2, 3, 4], packed: noColumns, c: &untouched)
        #expect(untouched == [42])
    }

    @Test(arguments: runnableKernels)
    func knownProductAndReLUOfNaN(kernel: PackedMatmulKernel) {
        // [[1,2],[3,4]]·[[5,-6],[7,-8]] = [[19,-22],[43,-50]].
        let b = PackedMatrix([5, -6, 7, -8], rows: 2, columns: 2, kernel: kernel)
        #expect(Kernels.matmul([1, 2, 3, 4], m: 2, packed: b) == [19, -22, 43, -50])
        #expect(Kernels.matmul([1, 2, 3, 4], m: 2, packed: b, relu: true) == [19, 0, 43, 0])
        // A NaN row gives NaN without the ReLU and 0 with it (moegc's relu(NaN) = 0).
        let nanRow = Kernels.matmul([.nan, 1, 3, 4], m: 2, packed: b)
        #expect(nanRow[0].isNaN && nanRow[1].isNaN && nanRow[2...] == [43, -50])
        #expect(Kernels.matmul([.nan, 1, 3, 4], m: 2, packed: b, relu: true) == [0, 0, 43, 0])
    }

    @Test(arguments: runnableKernels)
    func packsATransposedArray(kernel: PackedMatmulKernel) {
        // B stored as Bᵀ [n, k] packs to the same matrix as B [k, n] itself: identical products.
        for (m, k, n) in [(16, 100, 33), (3, 5, 1), (7, 1, 17), (2, 0, 4)] {
            let a = randomFloats(m * k, seed: UInt64(m + k)), b = randomFloats(k * n, seed: UInt64(k * n))
            var bt = [Float](repeating: 0, count: k * n)
            for l in 0..<k { for j in 0..<n { bt[j * k + l] = b[l * n + j] } }
            let plain = PackedMatrix(b, rows: k, columns: n, kernel: kernel)
            let fromTransposed = PackedMatrix(bt, rows: k, columns: n, stored: .transposed, kernel: kernel)
            #expect(fromTransposed.rows == k && fromTransposed.columns == n)
            #expect(Kernels.matmul(a, m: m, packed: fromTransposed) == Kernels.matmul(a, m: m, packed: plain),
                    "\(kernel) m=\(m) k=\(k) n=\(n)")
        }
    }

    @Test func packedSizeAndBestKernel() {
        #expect(PackedMatmulKernel.best.isSupported)
        #expect(PackedMatmulKernel.portable.isSupported && PackedMatmulKernel.blas.isSupported)
        #expect(PackedMatmulKernel.best != .portable, "BLAS is preferred to the portable C kernel")
        // The C layout pads the columns to a multiple of 16; BLAS keeps the matrix as it is.
        for (k, n, padded) in [(3, 1, 16), (3, 16, 16), (3, 17, 32), (5, 33, 48), (2, 1000, 1008)] {
            let b = [Float](repeating: 1, count: k * n)
            #expect(PackedMatrix(b, rows: k, columns: n, kernel: .portable).byteCount == k * padded * 4)
            #expect(PackedMatrix(b, rows: k, columns: n, kernel: .blas).byteCount == k * n * 4)
        }
    }

    @Test func oneMatrixSharedByConcurrentTasks() async {
        let (m, k, n) = (16, 100, 100)
        let b = PackedMatrix(randomFloats(k * n, seed: 5), rows: k, columns: n)
        let inputs = (0..<8).map { randomFloats(m * k, seed: UInt64(10 + $0)) }
        let serial = inputs.map { Kernels.matmul($0, m: m, packed: b) }
        let parallel = await withTaskGroup(of: (Int, [Float]).self) { group in
            for (i, a) in inputs.enumerated() {
                let copy = b   // copies share the immutable buffer
                group.addTask { (i, Kernels.matmul(a, m: m, packed: copy)) }
            }
            var out = [[Float]](repeating: [], count: inputs.count)
            for await (i, c) in group { out[i] = c }
            return out
        }
        #expect(parallel == serial)
    }
}
