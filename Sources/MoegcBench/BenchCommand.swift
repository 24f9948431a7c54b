import ArgumentParser
import Foundation
import MoegcCompiler
import MoegcIR
import MoegcKernels
import MoegcPasses
import MoegcRuntime
import MoegcSupport

public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Benchmarks, measured side by side in one run (ratios, medians).",
        subcommands: [BenchKernels.self, BenchGemm.self, BenchRuntime.self, BenchFFN.self, BenchCalibrate.self, BenchPlan.self, BenchSim.self,
                      BenchPolicy.self]
    )

    public init() {}
}

/// Standalone sgemm at the expert shapes beside the reference interpreter's expert matmuls (on the
/// packed-weight kernel) inside a whole MoE layer forward, and the share of the layer that dispatch
/// and combine take.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "sgemm GFLOP/s at the expert shapes vs the experts inside an MoE layer forward.",
        discussion: """
        For each rows-per-expert count, an MoE layer (d = 512, experts 512 → 1024 → 512, k = 4, \
        16 experts, gate weights drawn so routing spreads rows) runs in the reference interpreter in \
        evaluation mode; the time of the expert matmuls (on the packed-weight kernel, as every \
        matmul by a weight) gives their GFLOP/s, compared with standalone cblas_sgemm at the same \
        rows measured in the same run. Medians of --samples runs.
        """
    )

    @Option(help: "Timed runs per measurement (the median is reported).")
    var samples = 7

    @Option(help: ArgumentHelp("Rows per expert to measure, comma separated.", valueName: "list"))
    var rows = "16,64,256,1024"

    func run() throws {
        let counts = rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--rows expects positive integers, e.g. 16,64,256") }
        Output.out(BLAS.summary + ", one thread\n")
        var table = "| rows/expert | sgemm 512×1024 | sgemm 1024×512 | experts in MoE layer | ratio | dispatch+combine share |\n|---|---|---|---|---|---|\n"
        for r in counts {
            let a = KernelBenchmark.sgemm(m: r, k: 512, n: 1024, samples: samples)
            let b = KernelBenchmark.sgemm(m: r, k: 1024, n: 512, samples: samples)
            let layer = try MoELayerBenchmark.measure(rowsPerExpert: r, samples: samples)
            // Same flops in both matmuls: the standalone rate of an expert is the harmonic mean.
            let standalone = 2 / (1 / a.medianGFLOPS + 1 / b.medianGFLOPS)
            table += "| \(r) | \(Quantity.fixed(a.medianGFLOPS, 1)) | \(Quantity.fixed(b.medianGFLOPS, 1)) | \(Quantity.fixed(layer.expertGFLOPS, 1)) | \(Quantity.fixed(layer.expertGFLOPS / standalone, 2)) | \(Quantity.fixed(100 * layer.dispatchCombineShare, 1))% |\n"
        }
        Output.out(table + "\nGFLOP/s; ratio = experts inside the layer / standalone sgemm (harmonic mean of the two shapes).")
    }
}

/// One MoE layer forward in the reference interpreter, timed per node.
enum MoELayerBenchmark {
    struct Result {
        var expertGFLOPS: Double
        var dispatchCombineShare: Double
    }

    static func measure(rowsPerExpert: Int, samples: Int, experts: Int = 16, k: Int = 4, d: Int = 512, hidden: Int = 1024) throws -> Result {
        let tokens = rowsPerExpert * experts / k
        var compilation = Compilation(source: try Frontend.load(bytes: Array("""
        graph layer (%x: f32[\(tokens), \(d)]) -> (%y) {
          %y, %li, %ll = moe(%x) {experts = \(experts), k = \(k), hidden = \(hidden)}
        }
        """.utf8), path: "bench.graph"), options: .init(file: "bench.graph", training: false))
        try compilation.lower()
        let g = compilation.graph
        var rng = SeededGenerator(seed: 1)
        let gate = (0..<(d * experts)).map { _ in Float(rng.nextNormal()) * 0.05 }
        let interp = try ReferenceInterpreter(graph: g, seed: 1, weights: ["y.w_gate": HostTensor([d, experts], floats: gate)])
        let x = HostTensor([tokens, d], floats: (0..<(tokens * d)).map { _ in Float(rng.nextNormal()) })
        let routes = g.value(named: MoELayout.positions("y"))!
        var expertRates: [Double] = [], shares: [Double] = []
        _ = try interp.run([x]) // warm-up
        for _ in 0..<samples {
            let run = try interp.run([x], keep: [routes], profile: true)
            let positions = run.kept[routes]!.ints
            let routed = Double(positions.last!)
            var expert = 0.0, moving = 0.0, total = 0.0
            for (i, node) in g.nodes.enumerated() {
                total += run.nodeSeconds[i]
                if node.op == .matmul && node.attributes["expert"] != nil { expert += run.nodeSeconds[i] }
                if node.op == .moe_dispatch || node.op == .moe_combine || node.op == .moe_route { moving += run.nodeSeconds[i] }
            }
            expertRates.append(routed * 2 * 2 * Double(d) * Double(hidden) / expert / 1e9)
            shares.append(moving / total)
        }
        return Result(expertGFLOPS: Statistics.median(expertRates), dispatchCombineShare: Statistics.median(shares))
    }
}
