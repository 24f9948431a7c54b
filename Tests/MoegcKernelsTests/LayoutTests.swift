import MoegcKernels
import MoegcSupport
import Testing

@Suite struct LayerNormTests {
    @Test func againstDoubleReference() {
        for (index, shape) in testShapes.enumerated() {
            let (rows, cols) = shape
            let x = randomFloats(rows * cols, seed: UInt64(index), low: -3, high: 5)
            let gamma = randomFloats(cols, seed: UInt64(index + 70), low: 0.5, high: 1.5)
            let beta = randomFloats(cols, seed: UInt64(index + 71))
            let eps: Float = 1e-5
            for (useGamma, useBeta) in [(true, true), (true, false), (false, true), (false, false)] {
                var expected: [Double] = []
                for r in 0..<rows {
                    let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
                    let mu = row.reduce(0, +) / Double(cols)
                    let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(cols)
                    for c in 0..<cols {
                        var y = (row[c] - mu) / (variance + Double(eps)).squareRoot()
                        if useGamma { y *= Double(gamma[c]) }
                        if useBeta { y += Double(beta[c]) }
                        expected.append(y)
                    }
                }
                let got = Kernels.layerNorm(x, gamma: useGamma ? gamma : nil, beta: useBeta ? beta : nil,
                                            eps: eps, rows: rows, cols: cols)
                // Normalised values are O(1): absolute 1e-5 (cols = 1 rows are all ≈ 0 or beta).
                expectClose(got, expected, relative: 1e-5, absolute: 1e-5,
                            "layerNorm \(rows)x\(cols) gamma \(useGamma) beta \(useBeta)")
            }
        }
    }

    @Test func inPlaceAndStatistics() {
        let (rows, cols) = (7, 65)
        let x = randomFloats(rows * cols, seed: 72, low: 1, high: 3)
        var y = x
        var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
        Kernels.layerNorm(y, gamma: nil, beta: nil, eps: 1e-5, out: &y, rows: rows, cols: cols,
                          mean: &mean, rstd: &rstd)
        #expect(y == Kernels.layerNorm(x, gamma: nil, beta: nil, eps: 1e-5, rows: rows, cols: cols))
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let mu = row.reduce(0, +) / Double(cols)
            let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(cols)
            expectClose([mean[r], rstd[r]], [mu, 1 / (variance + 1e-5).squareRoot()], relative: 1e-5, "row \(r) stats")
        }
    }
}

@Suite struct LayoutTests {
    @Test func transposeEveryShape() {
        for (index, shape) in (testShapes + [(rows: 70, cols: 45)]).enumerated() {
            let (rows, cols) = shape
            let x = randomFloats(rows * cols, seed: UInt64(index))
            var expected = [Float](repeating: 0, count: rows * cols)
            for r in 0..<rows { for c in 0..<cols { expected[c * rows + r] = x[r * cols + c] } }
            let t = Kernels.transpose(x, rows: rows, cols: cols)
            #expect(t == expected, "transpose \(rows)x\(cols)")
            #expect(Kernels.transpose(t, rows: cols, cols: rows) == x, "transpose twice \(rows)x\(cols)")
        }
    }

    @Test func sliceAndConcatAlongTheLastAxis() {
        for (index, shape) in testShapes.enumerated() {
            let (rows, cols) = shape
            let x = randomFloats(rows * cols, seed: UInt64(index))
            // Split at two cut points, slice each part, concatenate back: the original.
            let cut1 = cols / 3, cut2 = (2 * cols) / 3
            let bounds = [(0, cut1), (cut1, cut2 - cut1), (cut2, cols - cut2)]
            var parts: [(data: [Float], cols: Int)] = []
            for (start, width) in bounds {
                let part = Kernels.sliceColumns(x, rows: rows, cols: cols, start: start, width: width)
                var expected: [Float] = []
                for r in 0..<rows { for c in start..<(start + width) { expected.append(x[r * cols + c]) } }
                #expect(part == expected, "slice \(rows)x\(cols) [\(start), +\(width))")
                parts.append((part, width))
            }
            #expect(Kernels.concatColumns(parts, rows: rows) == x, "concat \(rows)x\(cols)")
        }
    }

    @Test func pointerConcatAndStridedCopy() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6]     // [2,2] and [2,1]
        var out = [Float](repeating: 0, count: 6)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                Kernels.concatColumns([(ap.baseAddress!, 2), (bp.baseAddress!, 1)], rows: 2, out: &out)
            }
        }
        #expect(out == [1, 2, 5, 3, 4, 6])
        var wide = [Float](repeating: -1, count: 8)               // [2,4], copy a into columns 1…2
        a.withUnsafeBufferPointer { ap in
            wide.withUnsafeMutableBufferPointer { wp in
                Kernels.copyBlock(ap.baseAddress!, srcStride: 2, out: wp.baseAddress! + 1, outStride: 4, rows: 2, cols: 2)
            }
        }
        #expect(wide == [-1, 1, 2, -1, -1, 3, 4, -1])
    }
}

@Suite struct RandomFillTests {
    @Test func sameSeedSameBits() {
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5), g3 = SeededGenerator(seed: 6)
        let a = Kernels.normal(count: 1000, generator: &g1)
        let b = Kernels.normal(count: 1000, generator: &g2)
        let c = Kernels.normal(count: 1000, generator: &g3)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a != c)
        // The generator advanced: the next draws differ from the first ones.
        #expect(Kernels.normal(count: 1000, generator: &g1) != a)
        // The fill takes one nextNormal() per element, in order.
        var g4 = SeededGenerator(seed: 5)
        #expect(a[0...2] == [Float(g4.nextNormal()), Float(g4.nextNormal()), Float(g4.nextNormal())])
    }

    @Test func normalMoments() {
        // 200 000 draws of N(3, 2²): sample mean within 0.03 (≈ 7 standard errors) and standard
        // deviation within 0.03. The generator is seeded, so the outcome is fixed.
        var g = SeededGenerator(seed: 9)
        let x = Kernels.normal(count: 200_000, mean: 3, std: 2, generator: &g)
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let sd = (x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count)).squareRoot()
        #expect(abs(m - 3) < 0.03, "mean \(m)")
        #expect(abs(sd - 2) < 0.03, "std \(sd)")
    }

    @Test func uniformRangeAndMean() {
        var g = SeededGenerator(seed: 10)
        let x = Kernels.uniform(count: 100_000, low: -2, high: 6, generator: &g)
        #expect(x.allSatisfy { $0 >= -2 && $0 < 6 })
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        #expect(abs(m - 2) < 0.05, "mean \(m)")    // standard error 8/√12/√10⁵ ≈ 0.0073
        var g1 = SeededGenerator(seed: 10)
        #expect(Kernels.uniform(count: 100_000, low: -2, high: 6, generator: &g1) == x)
    }
}
