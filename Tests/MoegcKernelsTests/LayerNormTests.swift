import MoegcKernels
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
