import ArgumentParser
import Foundation
import MoegcCompiler
import MoegcKernels
import MoegcSupport

/// cblas_sgemm beside the packed-weight kernels (CMoegcGemm) at the expert shapes and on the
/// whole expert FFN, medians of interleaved samples in one run.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "cblas_sgemm vs the packed-weight kernel at the expert shapes (GFLOP/s, one thread).",
        discussion: """
        Both expert matmuls (512×1024 and 1024×512) at every row count, then the expert FFN \
        (512 → 1024 → 512 with ReLU) built from each, the packed weights made once beforehand. \
        Samples alternate between the two paths, so load on the machine hits both alike.
        """
    )

    @Option(help: ArgumentHelp("Rows to measure, comma separated.", valueName: "list"))
    var rows = "1,16,32,64,128,256,512,1024"

    @Option(help: "Timed samples per measurement (the median is reported).")
    var samples = 11

    @Option(help: ArgumentHelp("Packed kernel: avx512, avx2, portable, blas (default: the fastest here).", valueName: "name"))
    var kernel: String?

    func run() throws {
        let counts = rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--rows expects positive integers, e.g. 16,64,256") }
        guard samples > 0 else { throw ValidationError("--samples must be positive") }
        let chosen = try kernel.map { name in
            guard let k = PackedMatmulKernel(rawValue: name) else { throw ValidationError("--kernel: unknown kernel '\(name)'") }
            guard k.isSupported else { throw ValidationError("--kernel: \(name) does not run on this machine") }
            return k
        } ?? .best
        BLAS.setSingleThreaded()
        Output.out(BLAS.summary + ", one thread; packed kernel: \(chosen.rawValue)\n")
        Output.out(KernelBenchmark.format(KernelBenchmark.packedVersusSgemm(rows: counts, samples: samples, kernel: chosen)))
        Output.out("\nMedians of \(samples) interleaved samples; speed-up = cblas time / packed time.")
    }
}
