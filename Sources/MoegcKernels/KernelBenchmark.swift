// Measurements behind `moegc bench kernels` and `moegc bench gemm`: standalone sgemm throughput at
// the MoE expert shapes, cblas_sgemm beside the packed-weight kernels, and row-gather bandwidth.
// Not unit tests: timings depend on the machine and its load.

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

/// cblas_sgemm and the packed kernel on one operation, medians of interleaved samples.
public struct PackedComparison: Sendable, Hashable {
    /// The operation: a matmul shape "k×n", or the expert FFN.
    public let what: String
    /// Rows of the input.
    public let m: Int
    /// Floating-point operations of one call.
    public let flops: Double
    /// Median seconds per call through cblas_sgemm (B unpacked, repacked by OpenBLAS each call).
    public let sgemmSeconds: Double
    /// Median seconds per call through `Kernels.matmul(m:a:packed:…)`.
    public let packedSeconds: Double
    /// The kernel behind the packed path.
    public let kernel: PackedMatmulKernel

    public var sgemmGFLOPS: Double { flops / sgemmSeconds / 1e9 }
    public var packedGFLOPS: Double { flops / packedSeconds / 1e9 }
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

    /// cblas_sgemm beside `Kernels.matmul(m:a:packed:…)` on the same operands, measured in one
    /// run with the samples interleaved (cblas, packed, cblas, …) so load on the machine hits
    /// both alike: both expert shapes at every row count, then the whole expert FFN
    /// (x·W_in → ReLU → ·W_out, 512 → 1024 → 512: the ReLU a separate pass after cblas, the
    /// packed kernel's epilogue otherwise). Inputs are seeded normal draws; the packed weights
    /// are made once, outside the timing, as a runtime would at load.
    public static func packedVersusSgemm(rows: [Int] = expertRowCounts, samples: Int = 11,
                                         kernel: PackedMatmulKernel = .best) -> [PackedComparison] {
        precondition(rows.allSatisfy { $0 > 0 } && samples > 0, "packed benchmark needs positive sizes")
        var generator = SeededGenerator(seed: 1)
        let weights = expertShapes.map { Kernels.normal(count: $0.k * $0.n, generator: &generator) }
        let packed = zip(expertShapes, weights).map { PackedMatrix($1, rows: $0.k, columns: $0.n, kernel: kernel) }
        let width = expertShapes.map { max($0.k, $0.n) }.max()!
        var results: [PackedComparison] = []
        for (index, shape) in expertShapes.enumerated() {
            for m in rows {
                let a = Kernels.normal(count: m * shape.k, generator: &generator)
                var c = [Float](repeating: 0, count: m * shape.n)
                let t = a.withUnsafeBufferPointer { ap in
                    weights[index].withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            timeSideBySide(samples: samples, {
                                Kernels.matmul(m: m, n: shape.n, k: shape.k, a: ap.baseAddress!, b: bp.baseAddress!,
                                               c: cp.baseAddress!)
                            }, {
                                Kernels.matmul(m: m, a: ap.baseAddress!, packed: packed[index], c: cp.baseAddress!)
                            })
                        }
                    }
                }
                results.append(PackedComparison(what: "\(shape.k)×\(shape.n)", m: m, flops: 2 * Double(m * shape.k * shape.n),
                                                sgemmSeconds: t.first, packedSeconds: t.second, kernel: kernel))
            }
        }
        let (d, hidden) = (expertShapes[0].k, expertShapes[0].n)
        for m in rows {
            let x = Kernels.normal(count: m * d, generator: &generator)
            var h = [Float](repeating: 0, count: m * width), y = h
            let t = x.withUnsafeBufferPointer { xp in
                weights[0].withUnsafeBufferPointer { w0 in
                    weights[1].withUnsafeBufferPointer { w1 in
                        h.withUnsafeMutableBufferPointer { hp in
                            y.withUnsafeMutableBufferPointer { yp in
                                let x = xp.baseAddress!, h = hp.baseAddress!, y = yp.baseAddress!
                                return timeSideBySide(samples: samples, {
                                    Kernels.matmul(m: m, n: hidden, k: d, a: x, b: w0.baseAddress!, c: h)
                                    Kernels.unary(.relu, inPlace: h, count: m * hidden)
                                    Kernels.matmul(m: m, n: d, k: hidden, a: h, b: w1.baseAddress!, c: y)
                                }, {
                                    Kernels.matmul(m: m, a: x, packed: packed[0], relu: true, c: h)
                                    Kernels.matmul(m: m, a: h, packed: packed[1], c: y)
                                })
                            }
                        }
                    }
                }
            }
            results.append(PackedComparison(what: "FFN \(d)→\(hidden)→\(d)", m: m, flops: 4 * Double(m * d * hidden),
                                            sgemmSeconds: t.first, packedSeconds: t.second, kernel: kernel))
        }
        return results
    }

    /// Median seconds per call of `first` and of `second`, sampled alternately: one calibration
    /// picks a call count per sample that makes the slower of the two take ≥ `minimumSampleSeconds`.
    public static func timeSideBySide(samples: Int = 11, warmup: Int = 3, minimumSampleSeconds: Double = 0.002,
                                      _ first: () -> Void, _ second: () -> Void) -> (first: Double, second: Double) {
        precondition(samples > 0 && warmup >= 0, "timeSideBySide: bad settings")
        let clock = ContinuousClock()
        for _ in 0..<warmup { first(); second() }
        var calls = 1
        while true {
            let elapsed = max(seconds(clock.measure { for _ in 0..<calls { first() } }),
                              seconds(clock.measure { for _ in 0..<calls { second() } }))
            if elapsed >= minimumSampleSeconds || calls >= 1 << 20 { break }
            calls *= elapsed > 0 ? max(2, min(16, Int((minimumSampleSeconds / elapsed).rounded(.up)))) : 16
        }
        var a: [Double] = [], b: [Double] = []
        for _ in 0..<samples {
            a.append(seconds(clock.measure { for _ in 0..<calls { first() } }) / Double(calls))
            b.append(seconds(clock.measure { for _ in 0..<calls { second() } }) / Double(calls))
        }
        a.sort()
        b.sort()
        return (a[a.count / 2], b[b.count / 2])
    }

    /// A markdown table of comparisons: what, rows, GFLOP/s of each, packed/cblas speed-up.
    public static func format(_ comparisons: [PackedComparison]) -> String {
        let kernel = comparisons.first?.kernel.rawValue ?? "-"
        var lines = ["| shape | rows | cblas_sgemm GFLOP/s | packed (\(kernel)) GFLOP/s | speed-up |",
                     "|---|---:|---:|---:|---:|"]
        for x in comparisons {
            lines.append("| \(x.what) | \(x.m) | \(fixed(x.sgemmGFLOPS, 1)) | \(fixed(x.packedGFLOPS, 1)) | "
                         + "\(fixed(x.sgemmSeconds / x.packedSeconds, 2)) |")
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
