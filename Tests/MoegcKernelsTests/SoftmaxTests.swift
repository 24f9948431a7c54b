import MoegcKernels
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Double log-sum-exp of one row, max-subtracted; −∞ for a row of −∞.
private func referenceLogSumExp(_ row: ArraySlice<Float>) -> Double {
    let m = Double(row.max()!)
    if m == -.infinity { return -.infinity }
    return m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
}

@Suite struct SoftmaxTests {
    /// Softmax, log-softmax and log-sum-exp of every test shape against Double references.
    @Test func againstDoubleReference() {
        for (index, shape) in testShapes.enumerated() {
            let (rows, cols) = shape
            let x = randomFloats(rows * cols, seed: UInt64(index), low: -10, high: 10)
            var soft: [Double] = [], logSoft: [Double] = [], lse: [Double] = []
            for r in 0..<rows {
                let row = x[(r * cols)..<((r + 1) * cols)]
                let l = referenceLogSumExp(row)
                lse.append(l)
                for v in row {
                    soft.append(exp(Double(v) - l))
                    logSoft.append(Double(v) - l)
                }
            }
            let what = "\(rows)x\(cols)"
            expectClose(Kernels.softmax(x, rows: rows, cols: cols), soft, relative: 1e-5, "softmax \(what)")
            // Log-probabilities near 0 carry the absolute error of the log-sum-exp.
            expectClose(Kernels.logSoftmax(x, rows: rows, cols: cols), logSoft, relative: 1e-6, absolute: 2e-6,
                        "logSoftmax \(what)")
            expectClose(Kernels.logSumExp(x, rows: rows, cols: cols), lse, relative: 1e-6, absolute: 1e-6,
                        "logSumExp \(what)")
        }
    }

    @Test func rowsSumToOne() {
        let (rows, cols) = (33, 1025)
        let p = Kernels.softmax(randomFloats(rows * cols, seed: 11, low: -20, high: 20), rows: rows, cols: cols)
        for r in 0..<rows {
            let total = p[(r * cols)..<((r + 1) * cols)].reduce(0.0) { $0 + Double($1) }
            #expect(abs(total - 1) < 1e-5, "row \(r) sums to \(total)")
        }
    }

    @Test func minusInfinityEntriesAndLargeValues() {
        let inf = Float.infinity
        let x: [Float] = [
            -inf, 1, -inf, 2,            // KeepTopK mask: two kept logits
            1e30, 1e30 - 1, -1e30, 0,    // huge values: no overflow
            -inf, -inf, -inf, -inf,      // nothing kept
            88, 89, 100, -inf,           // exp(x) alone would overflow
        ]
        let p = Kernels.softmax(x, rows: 4, cols: 4)
        let e = 1 / (1 + exp(-1.0))
        expectClose(p, [0, 1 - e, 0, e, 0.5, 0.5, 0, 0, 0, 0, 0, 0, exp(-12.0) / (1 + exp(-11.0) + exp(-12.0)), exp(-11.0) / (1 + exp(-11.0) + exp(-12.0)), 1 / (1 + exp(-11.0) + exp(-12.0)), 0],
                    relative: 1e-5, "softmax edge rows")
        #expect(!p.contains { $0.isNaN })
        let lp = Kernels.logSoftmax(x, rows: 4, cols: 4)
        #expect(!lp.contains { $0.isNaN })
        #expect(lp[0] == -inf && lp[8...11].allSatisfy { $0 == -inf })
        expectClose([lp[1], lp[3]], [log(1 - e), log(e)], relative: 1e-5, "log-softmax masked row")
        let lse = Kernels.logSumExp(x, rows: 4, cols: 4)
        #expect(lse[2] == -inf)
        expectClose([lse[0], lse[3]], [2 + log1p(exp(-1.0)), 100 + log(1 + exp(-11.0) + exp(-12.0))],
                    relative: 1e-6, "log-sum-exp edge rows")
    }

    @Test func inPlaceMatchesOutOfPlace() {
        let x = randomFloats(17 * 65, seed: 12, low: -5, high: 5)
        var s = x, l = x
        Kernels.softmax(s, out: &s, rows: 17, cols: 65)
        Kernels.logSoftmax(l, out: &l, rows: 17, cols: 65)
        #expect(s == Kernels.softmax(x, rows: 17, cols: 65))
        #expect(l == Kernels.logSoftmax(x, rows: 17, cols: 65))
    }
}
