import MoegcKernels
import Testing

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
