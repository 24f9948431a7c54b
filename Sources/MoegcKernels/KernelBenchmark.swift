// Measurements behind `moegc bench kernels`: standalone sgemm throughput at the MoE expert
// shapes, and row-gather bandwidth. Not unit tests: timings depend on the machine and its load.

import MoegcSupport

/// One sgemm throughput measurement: C[m,n] = A[m,k]·B[k,n], single call timed.
public struct SgemmMeasurement: Sendable, Hashable {
    public let m: Int, k: Int, n: Int
    /// The median over samples of the time of one sgemm call.
    public let medianSeconds: Double
    /// The fastest sample's time of one call.
    public let bestSeconds: Double
    /// Samples taken (each averaging `callsPerSample` calls).
    public let samples: Int
    public let callsPerSample: Int

    /// 2·m·k·n floating-point operations over the median time, in 10⁹ per second.
    public var medianGFLOPS: Double { 2 * Double(m) * Double(k) * Double(n) / medianSeconds / 1e9 }
    /// The same over the best time.
    public var bestGFLOPS: Double { 2 * Double(m) * Double(k) * Double(n) / bestSeconds / 1e9 }
}

/// Timing helpers and the kernel benchmarks.
public enum KernelBenchmark {
    /// The expert weight shapes (k × n) of the paper's language-model experts: the 512→1024 up
    /// projection and the 1024→512 down projection.
    public static let expertShapes: [(k: Int, n: Int)] = [(512, 1024), (1024, 512)]
    /// Rows per expert call: 16 (tiny per-expert batches) to 1024.
    public static let expertRowCounts = [16, 32, 64, 128, 256, 512, 1024]

    /// Median and best time of `body` in seconds per call. Runs `warmup` untimed calls, then picks
    /// a number of calls per sample so one sample takes at least `minimumSampleSeconds`, then
    /// times `samples` samples on the monotonic `ContinuousClock`.
    public static func timePerCall(samples: Int = 11, warmup: Int = 3, minimumSampleSeconds: Double = 0.002,
                                   _ body: () -> Void) -> (median: Double, best: Double, callsPerSample: Int) {
        precondition(samples > 0 && warmup >= 0 && minimumSampleSeconds >= 0, "timePerCall: bad settings")
        let clock = ContinuousClock()
        for _ in 0..<warmup { body() }
        var calls = 1
        while true {
            let elapsed = seconds(clock.measure { for _ in 0..<calls { body() } })
            if elapsed >= minimumSampleSeconds || calls >= 1 << 20 { break }
            calls *= elapsed > 0 ? max(2, min(16, Int((minimumSampleSeconds / elapsed).rounded(.up)))) : 16
        }
        var times: [Double] = []
        times.reserveCapacity(samples)
        for _ in 0..<samples {
            let elapsed = seconds(clock.measure { for _ in 0..<calls { body() } })
            times.append(elapsed / Double(calls))
        }
        times.sort()
        return (times[times.count / 2], times[0], calls)
    }

    /// sgemm throughput at C[m,n] = A[m,k]·B[k,n] on the calling thread, with OpenBLAS as it is
    /// configured (call `BLAS.setSingleThreaded()` first for per-core numbers). Inputs are
    /// seeded normal draws.
    public static func sgemm(m: Int, k: Int, n: Int, samples: Int = 11, warmup: Int = 3,
                             seed: UInt64 = 1) -> SgemmMeasurement {
        precondition(m > 0 && k > 0 && n > 0, "sgemm benchmark needs positive sizes")
        var generator = SeededGenerator(seed: seed)
        let a = Kernels.normal(count: m * k, generator: &generator)
        let b = Kernels.normal(count: k * n, generator: &generator)
        var c = [Float](repeating: 0, count: m * n)
        let timing = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    timePerCall(samples: samples, warmup: warmup) {
                        Kernels.matmul(m: m, n: n, k: k, a: ap.baseAddress!, b: bp.baseAddress!,
                                       c: cp.baseAddress!)
                    }
                }
            }
        }
        return SgemmMeasurement(m: m, k: k, n: n, medianSeconds: timing.median, bestSeconds: timing.best,
                                samples: samples, callsPerSample: timing.callsPerSample)
    }

    /// sgemm at every expert shape and row count: one measurement per (shape, rows), shapes in
    /// `expertShapes` order, rows ascending.
    public static func expertSgemmTable(rows: [Int] = expertRowCounts, samples: Int = 11) -> [SgemmMeasurement] {
        expertShapes.flatMap { shape in rows.map { sgemm(m: $0, k: shape.k, n: shape.n, samples: samples) } }
    }

    /// A plain-text table of measurements: m, k, n, median ms, median and best GFLOP/s.
    public static func format(_ measurements: [SgemmMeasurement]) -> String {
        var lines = ["     m     k     n   median ms   GFLOP/s (median)   GFLOP/s (best)"]
        for x in measurements {
            lines.append(pad(x.m, 6) + pad(x.k, 6) + pad(x.n, 6)
                         + pad(fixed(x.medianSeconds * 1000, 3), 12)
                         + pad(fixed(x.medianGFLOPS, 1), 19) + pad(fixed(x.bestGFLOPS, 1), 17))
        }
        return lines.joined(separator: "\n")
    }

    /// Bytes per second moved by `Kernels.gatherRows` copying `count` random rows of `width`
    /// floats out of a [srcRows, width] table (bytes counted once, as read = written).
    public static func gatherBandwidth(srcRows: Int = 4096, width: Int = 512, count: Int = 4096,
                                       seed: UInt64 = 1) -> Double {
        precondition(srcRows > 0 && width > 0 && count > 0, "gather benchmark needs positive sizes")
        var generator = SeededGenerator(seed: seed)
        let src = Kernels.normal(count: srcRows * width, generator: &generator)
        let indices = (0..<count).map { _ in Int32(generator.nextInt(below: srcRows)) }
        var out = [Float](repeating: 0, count: count * width)
        let timing = out.withUnsafeMutableBufferPointer { o in
            timePerCall {
                Kernels.gatherRows(src, srcRows: srcRows, indices: indices, count: count, width: width,
                                   out: o.baseAddress!)
            }
        }
        return Double(count * width * 4) / timing.median
    }

    private static func seconds(_ d: Duration) -> Double {
        let parts = d.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    private static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        guard decimals > 0 else { return String(whole) }
        let digits = String(fraction)
        return (value < 0 && whole == 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    private static func pad(_ value: Int, _ width: Int) -> String { pad(String(value), width) }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
