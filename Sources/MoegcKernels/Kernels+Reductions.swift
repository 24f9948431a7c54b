// Sums, maxima and moments over rows, columns and whole buffers.
//
// Float additions are not reassociated by the optimiser, so a plain `s += x[i]` loop runs one
// add at a time. The row reductions here keep 16 partial sums in a SIMD16 (four SSE or one
// AVX-512 register) and add them up at the end; whole-buffer sums also fold every 256-element
// block into a Double, which keeps long sums accurate.

extension Kernels {
    /// out[c] = Σ_r x[r,c] for a [rows, cols] block (the sum over rows, a row vector of cols
    /// elements). rows = 0 gives zeros. `out` must not overlap `x`.
    public static func sumOverRows(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                   rows: Int, cols: Int) {
        checkShape(rows, cols)
        checkDisjoint(x, rows * cols, out, cols)
        out.update(repeating: 0, count: cols)
        for r in 0..<rows {
            let row = x + r * cols
            for c in 0..<cols { out[c] += row[c] }
        }
    }

    /// out[r] = Σ_c x[r,c] for a [rows, cols] block (the sum over columns, one value a row).
    /// cols = 0 gives zeros. `out` must not overlap `x`.
    public static func sumOverCols(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                   rows: Int, cols: Int) {
        checkShape(rows, cols)
        checkDisjoint(x, rows * cols, out, rows)
        for r in 0..<rows { out[r] = laneSum(x + r * cols, cols) }
    }

    /// out[r] = max_c x[r,c] for a [rows, cols] block; NaN entries are skipped (a row of only
    /// NaN and −∞ gives −∞). cols must be ≥ 1 when rows > 0. `out` must not overlap `x`.
    public static func maxPerRow(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                 rows: Int, cols: Int) {
        checkShape(rows, cols)
        precondition(rows == 0 || cols > 0, "maxPerRow over an empty axis")
        checkDisjoint(x, rows * cols, out, rows)
        for r in 0..<rows { out[r] = laneMax(x + r * cols, cols) }
    }

    /// Σ_i x[i] over `count` elements, accumulated in Float lanes within 256-element blocks and
    /// in Double across blocks. count = 0 gives 0.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        Float(doubleSum(x, count))
    }

    /// The mean Σ x[i] / count; count must be ≥ 1.
    public static func mean(_ x: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count > 0, "mean of nothing")
        return Float(doubleSum(x, count) / Double(count))
    }

    /// The population variance Σ (x[i] − mean)² / count (divisor count, not count − 1), two-pass.
    /// count must be ≥ 1.
    public static func variance(_ x: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count > 0, "variance of nothing")
        let m = Float(doubleSum(x, count) / Double(count))
        return Float(squaredDeviationSum(x, count, from: m) / Double(count))
    }

    /// The squared coefficient of variation CV² = variance / (mean² + 1e−10), with the population
    /// variance (divisor count), as the MoE importance and load losses use it (Shazeer et al.
    /// 2017). count must be ≥ 1; a constant vector gives 0, an all-zero vector 0.
    public static func coefficientOfVariationSquared(_ x: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count > 0, "CV² of nothing")
        let m = doubleSum(x, count) / Double(count)
        let v = squaredDeviationSum(x, count, from: Float(m)) / Double(count)
        return Float(v / (m * m + 1e-10))
    }

    // MARK: - Lane helpers shared with softmax and layer norm

    /// Σ x[i] in 16 Float lanes (then the lanes, then the tail).
    @inline(__always)
    static func laneSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var lanes = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            i &+= 16
        }
        var total = lanes.sum()
        while i < count {
            total += x[i]
            i &+= 1
        }
        return total
    }

    /// Σ (x[i] − m)² in 16 Float lanes.
    @inline(__always)
    static func laneSquaredDeviation(_ x: UnsafePointer<Float>, _ count: Int, from m: Float) -> Float {
        let raw = UnsafeRawPointer(x)
        let center = SIMD16<Float>(repeating: m)
        var lanes = SIMD16<Float>()
        var i = 0
        while i &+ 16 <= count {
            let d = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) - center
            lanes += d * d
            i &+= 16
        }
        var total = lanes.sum()
        while i < count {
            let d = x[i] - m
            total += d * d
            i &+= 1
        }
        return total
    }

    /// max x[i] (count ≥ 1) in 16 lanes; NaN entries are skipped, so a row of NaN and −∞ gives −∞.
    /// (The value equals the sequential maximum's, except that a row whose maximum is zero may
    /// give −0 where index order gives +0 or the reverse: no softmax result depends on that sign.)
    @inlinable @inline(__always)
    static func laneMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i &+ 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            lanes = lanes.replacing(with: v, where: v .> lanes)
            i &+= 16
        }
        var best = lanes.max()
        while i < count {
            if x[i] > best { best = x[i] }
            i &+= 1
        }
        return best
    }

    /// Σ x[i] as a Double: Float lanes inside 256-element blocks, Double across blocks.
    static func doubleSum(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
        precondition(count >= 0, "negative count")
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(256, count - start)
            total += Double(laneSum(x + start, n))
            start += n
        }
        return total
    }

    /// Σ (x[i] − m)² as a Double, blocked like `doubleSum`.
    static func squaredDeviationSum(_ x: UnsafePointer<Float>, _ count: Int, from m: Float) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(256, count - start)
            total += Double(laneSquaredDeviation(x + start, n, from: m))
            start += n
        }
        return total
    }
}
