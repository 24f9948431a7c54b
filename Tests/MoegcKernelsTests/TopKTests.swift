import MoegcKernels
import MoegcSupport
import Testing

/// Reference top-k: a full sort of (value, index) by value descending (NaN last), index ascending.
private func referenceTopK(_ x: [Float], rows: Int, n: Int, k: Int) -> (values: [Float], indices: [Int32]) {
    var values: [Float] = [], indices: [Int32] = []
    for r in 0..<rows {
        let pairs = (0..<n).map { (value: x[r * n + $0], index: $0) }
        let sorted = pairs.sorted { a, b in
            if a.value.isNaN != b.value.isNaN { return b.value.isNaN }
            if !a.value.isNaN && a.value != b.value { return a.value > b.value }
            return a.index < b.index
        }
        for p in sorted.prefix(k) {
            values.append(p.value)
            indices.append(Int32(p.index))
        }
    }
    return (values, indices)
}

/// Exact comparison of kernel and reference (values bitwise, NaN equal to NaN; indices exactly).
private func expectSameTopK(_ x: [Float], rows: Int, n: Int, k: Int, _ what: String,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let got = Kernels.topK(x, rows: rows, n: n, k: k)
    let want = referenceTopK(x, rows: rows, n: n, k: k)
    let sameValues = got.values.count == want.values.count
        && zip(got.values, want.values).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    #expect(got.indices == want.indices, "\(Comment(rawValue: what)) indices", sourceLocation: sourceLocation)
    #expect(sameValues, "\(Comment(rawValue: what)) values", sourceLocation: sourceLocation)
}

@Suite struct TopKTests {
    @Test func randomRowsEveryK() {
        for (index, shape) in testShapes.enumerated() {
            let (rows, n) = shape
            let x = randomFloats(rows * n, seed: UInt64(index))
            for k in Set([1, 2, 3, 4, 5, 8, 9, 16, 17, 33, n]) where k <= n {
                expectSameTopK(x, rows: rows, n: n, k: k, "\(rows)x\(n) k=\(k)")
            }
        }
    }

    @Test func manyTiesBreakTowardsTheLowerIndex() {
        // Values from {0, 1, 2}: most comparisons are ties.
        var rng = SeededGenerator(seed: 21)
        for n in [7, 33, 130, 1000] {
            let rows = 5
            let x = (0..<(rows * n)).map { _ in Float(rng.nextInt(below: 3)) }
            for k in [1, 2, 4, 8, 20] where k <= n {
                expectSameTopK(x, rows: rows, n: n, k: k, "ties n=\(n) k=\(k)")
            }
        }
        // All equal: the first k indices, in order.
        let flat = [Float](repeating: 0.5, count: 40)
        #expect(Kernels.topK(flat, rows: 1, n: 40, k: 4).indices == [0, 1, 2, 3])
        #expect(Kernels.topK(flat, rows: 1, n: 40, k: 25).indices == (0..<25).map { Int32($0) })
    }

    @Test func infinitiesAndNaN() {
        let inf = Float.infinity
        let x: [Float] = [.nan, -inf, 3, .nan, inf, -inf, 3, 0]
        expectSameTopK(x, rows: 1, n: 8, k: 8, "specials k=8")
        expectSameTopK(x, rows: 1, n: 8, k: 3, "specials k=3")
        #expect(Kernels.topK(x, rows: 1, n: 8, k: 3).indices == [4, 2, 6])
        // A NaN among the first k must not block later, larger values.
        let y: [Float] = [.nan, .nan, 1, 2, 3, 4]
        #expect(Kernels.topK(y, rows: 1, n: 6, k: 2).indices == [5, 4])
        let masked: [Float] = [-inf, -inf, -inf, 2, -inf]
        #expect(Kernels.topK(masked, rows: 1, n: 5, k: 3).indices == [3, 0, 1])
    }

    @Test func longRowsWithTheWinnersLate() {
        // Increasing rows make every element a candidate (the worst case for the skip test);
        // decreasing rows make none after the first k (the best case).
        let n = 3000
        let up = (0..<n).map { Float($0) }, down = up.reversed() as [Float]
        for k in [1, 4, 8, 16, 17, 40] {
            #expect(Kernels.topK(up, rows: 1, n: n, k: k).indices == (0..<k).map { Int32(n - 1 - $0) })
            #expect(Kernels.topK(down, rows: 1, n: n, k: k).indices == (0..<k).map { Int32($0) })
        }
        let x = randomFloats(4 * n, seed: 22)
        for k in [1, 5, 9, 64] { expectSameTopK(x, rows: 4, n: n, k: k, "n=\(n) k=\(k)") }
    }

    @Test func pointerAPIWritesRowsAtStrideK() {
        let x: [Float] = [1, 5, 3, 9, 7, 8]
        var values = [Float](repeating: 0, count: 4), indices = [Int32](repeating: -1, count: 4)
        Kernels.topK(x, rows: 2, n: 3, k: 2, values: &values, indices: &indices)
        #expect(values == [5, 3, 9, 8])
        #expect(indices == [1, 2, 0, 2])
    }
}
