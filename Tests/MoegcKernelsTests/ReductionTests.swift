import MoegcKernels
import Testing

@Suite struct ReductionTests {
    // Positive data (in [0, 1)) so relative tolerances on sums are meaningful; mixed signs are
    // checked with an absolute tolerance scaled by Σ|x| in `mixedSignSums`.

    @Test func sumsOverRowsAndColumns() {
        for (index, shape) in testShapes.enumerated() {
            let (rows, cols) = shape
            let x = randomFloats(rows * cols, seed: UInt64(index), low: 0, high: 1)
            var byCol = [Double](repeating: 0, count: cols), byRow = [Double](repeating: 0, count: rows)
            var maxima = [Double](repeating: -.infinity, count: rows)
            for r in 0..<rows {
                for c in 0..<cols {
                    let v = Double(x[r * cols + c])
                    byCol[c] += v
                    byRow[r] += v
                    maxima[r] = max(maxima[r], v)
                }
            }
            let what = "\(rows)x\(cols)"
            expectClose(Kernels.sumOverRows(x, rows: rows, cols: cols), byCol, relative: 1e-5, "sumOverRows \(what)")
            expectClose(Kernels.sumOverCols(x, rows: rows, cols: cols), byRow, relative: 1e-5, "sumOverCols \(what)")
            expectClose(Kernels.maxPerRow(x, rows: rows, cols: cols), maxima, relative: 0, "maxPerRow \(what)")
            let total = byRow.reduce(0, +)
            expectClose([Kernels.sum(x)], [total], relative: 1e-6, "sum \(what)")
            expectClose([Kernels.mean(x)], [total / Double(x.count)], relative: 1e-6, "mean \(what)")
        }
    }

    @Test func mixedSignSums() {
        let (rows, cols) = (65, 33)
        let x = randomFloats(rows * cols, seed: 40)
        var byRow = [Double](repeating: 0, count: rows)
        var scale = 0.0
        for r in 0..<rows { for c in 0..<cols { byRow[r] += Double(x[r * cols + c]); scale += abs(Double(x[r * cols + c])) } }
        expectClose(Kernels.sumOverCols(x, rows: rows, cols: cols), byRow, relative: 0, absolute: 1e-6 * scale / Double(rows),
                    "mixed-sign row sums")
        expectClose([Kernels.sum(x)], [byRow.reduce(0, +)], relative: 0, absolute: 1e-6 * scale, "mixed-sign total")
    }

    @Test func longSumStaysAccurate() {
        // 10⁶ copies of 0.1: a naive Float loop drifts by ~1%; the blocked sum must not.
        let x = [Float](repeating: 0.1, count: 1_000_000)
        expectClose([Kernels.sum(x)], [Double(Float(0.1)) * 1e6], relative: 1e-6, "sum of 10⁶")
    }

    @Test func zeroSizedSums() {
        #expect(Kernels.sum([]) == 0)
        #expect(Kernels.sumOverRows([], rows: 0, cols: 3) == [0, 0, 0])
        #expect(Kernels.sumOverCols([], rows: 2, cols: 0) == [0, 0])
    }

    @Test func maxPerRowHandlesInfinitiesAndNaN() {
        let inf = Float.infinity
        let x: [Float] = [-inf, -inf, -inf, .nan, 2, -inf, -inf, .nan, -inf]
        #expect(Kernels.maxPerRow(x, rows: 3, cols: 3) == [-inf, 2, -inf])
        // Long row: the maximum sits in the SIMD part, then in the tail.
        var long = randomFloats(70, seed: 41, low: -1, high: 0)
        long[20] = 5
        #expect(Kernels.maxPerRow(long, rows: 1, cols: 70) == [5])
        long[69] = 6
        #expect(Kernels.maxPerRow(long, rows: 1, cols: 70) == [6])
    }

    @Test func varianceAndCV2AgainstTwoPassDouble() {
        for size in testSizes + [5000] {
            let x = randomFloats(size, seed: UInt64(size), low: 0, high: 2)
            let m = x.reduce(0.0) { $0 + Double($1) } / Double(size)
            let v = x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(size)
            // Size 1 has variance exactly 0.
            expectClose([Kernels.variance(x)], [v], relative: 1e-5, absolute: 1e-12, "variance \(size)")
            expectClose([Kernels.coefficientOfVariationSquared(x)], [v / (m * m + 1e-10)], relative: 1e-5,
                        absolute: 1e-12, "CV² \(size)")
        }
    }

    @Test func cv2KnownValues() {
        // [1, 2, 3, 4]: mean 2.5, population variance 1.25, CV² = 1.25 / 6.25 = 0.2.
        expectClose([Kernels.coefficientOfVariationSquared([1, 2, 3, 4])], [0.2], relative: 1e-6, "CV² of 1…4")
        #expect(Kernels.variance([1, 2, 3, 4]) == 1.25)
        // Balanced load: 0. All zero: the 1e-10 keeps it finite.
        #expect(Kernels.coefficientOfVariationSquared([Float](repeating: 3, count: 256)) == 0)
        #expect(Kernels.coefficientOfVariationSquared([0, 0, 0]) == 0)
        // All load on one of n experts: CV² = n − 1.
        var skewed = [Float](repeating: 0, count: 64)
        skewed[7] = 10
        expectClose([Kernels.coefficientOfVariationSquared(skewed)], [63], relative: 1e-6, "CV² one-hot")
    }
}
