import MoegcKernels
import MoegcSupport
import Testing

@Suite struct GatherScatterTests {
    @Test func gatherCopiesRowsExactly() {
        var rng = SeededGenerator(seed: 31)
        for width in testSizes {
            for srcRows in [1, 7, 65] {
                let src = randomFloats(srcRows * width, seed: UInt64(width * 100 + srcRows))
                let count = rng.nextInt(below: 40) + 1
                let idx = (0..<count).map { _ in Int32(rng.nextInt(below: srcRows)) }
                var expected: [Float] = []
                for i in idx { for c in 0..<width { expected.append(src[Int(i) * width + c]) } }
                #expect(Kernels.gatherRows(src, width: width, indices: idx) == expected, "width \(width) rows \(srcRows)")
            }
        }
        #expect(Kernels.gatherRows([1, 2, 3, 4], width: 2, indices: []).isEmpty)
    }

    @Test func scatterAddWithAndWithoutWeights() {
        var rng = SeededGenerator(seed: 32)
        for width in testSizes {
            let outRows = 9, count = 25  // more rows in than out: indices repeat
            let src = randomFloats(count * width, seed: UInt64(width))
            let idx = (0..<count).map { _ in Int32(rng.nextInt(below: outRows)) }
            let w = randomFloats(count, seed: UInt64(width + 1), low: 0, high: 1)
            let base = randomFloats(outRows * width, seed: UInt64(width + 2))
            for weighted in [false, true] {
                var expected = base.map(Double.init)
                for i in 0..<count {
                    for c in 0..<width {
                        expected[Int(idx[i]) * width + c] += (weighted ? Double(w[i]) : 1) * Double(src[i * width + c])
                    }
                }
                var out = base
                Kernels.scatterAddRows(src, width: width, indices: idx, weights: weighted ? w : nil, into: &out)
                expectClose(out, expected, relative: 1e-5, absolute: 1e-5, "scatter width \(width) weighted \(weighted)")
            }
        }
    }

    @Test func gatherThenWeightedScatterIsTheMoECombine() {
        // Dispatch 3 tokens to an "expert" that doubles, combine with gate weights: out = Σ g·2x.
        let x: [Float] = [1, 2, 3, 4, 5, 6]     // 3 tokens, d = 2
        let idx: [Int32] = [2, 0, 2]             // token 2 chosen twice (two experts)
        let gathered = Kernels.gatherRows(x, width: 2, indices: idx)
        #expect(gathered == [5, 6, 1, 2, 5, 6])
        let expertOut = Kernels.affine(gathered, alpha: 2)
        var out = [Float](repeating: 0, count: 6)
        Kernels.scatterAddRows(expertOut, width: 2, indices: idx, weights: [0.25, 1, 0.75], into: &out)
        #expect(out == [2, 4, 0, 0, 10, 12])
    }
}
