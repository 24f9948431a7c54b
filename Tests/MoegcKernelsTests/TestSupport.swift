// Shared helpers for the kernel tests: seeded random data, the shape list every kernel is run
// over, and closeness checks with stated tolerances. The reference implementations live in each
// test file, written as naive loops independent of the kernels.

import MoegcSupport
import Testing

/// Sizes each kernel is checked at: 1, odd sizes, and non-multiples of any SIMD width.
let testSizes = [1, 3, 7, 17, 33, 65, 130]

/// (rows, cols) pairs drawn from `testSizes`, including 1-row and 1-col blocks.
let testShapes: [(rows: Int, cols: Int)] = [
    (1, 1), (1, 130), (130, 1), (3, 7), (7, 17), (17, 33), (33, 65), (65, 3), (130, 17), (2, 1025),
]

/// `count` floats uniform in [low, high) from a seeded generator.
func randomFloats(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in low + (high - low) * rng.nextFloat() }
}

/// Whether |actual − expected| ≤ max(relative·|expected|, absolute); equal infinities and two
/// NaNs count as close.
func isClose(_ actual: Double, _ expected: Double, relative: Double, absolute: Double = 0) -> Bool {
    if expected.isNaN { return actual.isNaN }
    if expected.isInfinite { return actual == expected }
    return abs(actual - expected) <= max(relative * abs(expected), absolute)
}

/// Expects every element of `actual` to be close to `expected`; reports the first mismatch
/// (index and values) so a failure says where, and returns whether all matched.
@discardableResult
func expectClose(_ actual: [Float], _ expected: [Double], relative: Double, absolute: Double = 0,
                 _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return false
    }
    for i in actual.indices where !isClose(Double(actual[i]), expected[i], relative: relative, absolute: absolute) {
        let message = "\(what): element \(i) is \(actual[i]), expected \(expected[i]) "
            + "(relative \(relative), absolute \(absolute))"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        return false
    }
    return true
}
