import ArgumentParser
import Foundation
import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport

/// One expert FFN (x·W_in → ReLU → ·W_out, d = 512, hidden 1024) on the runtime, one device (both
/// matmuls on the packed-weight kernel, the weights packed when the runtime is made, outside the
/// timing): the number `Tests/Benchmarks/onnxruntime_ffn.py` sets beside onnxruntime's in the same run.
struct BenchFFN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ffn",
        abstract: "An expert FFN (512 → 1024 → 512, ReLU) on the runtime: median step time and GFLOP/s per row count.",
        discussion: "Run `python3 Tests/Benchmarks/onnxruntime_ffn.py` to see it beside onnxruntime (one thread each, same shapes, one run)."
    )

    @Option(help: ArgumentHelp("Rows, comma separated.", valueName: "list"))
    var rows = "16,64,256,1024"

    @Option(help: "Timed steps per row count (the median is reported).")
    var samples = 51

    @Flag(help: "Print JSON: [{\"rows\": R, \"seconds\": median}, …].")
    var json = false

    func run() throws {
        let counts = rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else { throw ValidationError("--rows expects positive integers") }
        var results: [(Int, Double)] = []
        for r in counts {
            let text = """
            graph ffn (%x: f32[\(r), 512]) -> (%y) {
              %w_in = param() {init = normal, scale = 0.04} : f32[512, 1024]
              %w_out = param() {init = normal, scale = 0.03} : f32[1024, 512]
              %h = matmul(%x, %w_in) : f32[\(r), 1024]
              %a = relu(%h) : f32[\(r), 1024]
              %y = matmul(%a, %w_out) : f32[\(r), 512]
            }
            """
            let g = try Frontend.load(bytes: Array(text.utf8), path: "ffn.graph")
            var plan = ExecutionPlan.singleDevice(g)
            plan.group = g.nodes.map { $0.op.schema.isWeight ? -1 : ($0.op == .matmul && $0.operands.contains { g[$0].name == "a" } ? 1 : 0) }
            let runtime = try Runtime(plan: plan, seed: 1)
            var rng = SeededGenerator(seed: 2)
            let x = HostTensor([r, 512], floats: (0..<(r * 512)).map { _ in Float(rng.nextNormal()) })
            for _ in 0..<5 { _ = try runtime.run([x]) }
            results.append((r, Statistics.median(try (0..<samples).map { _ in try runtime.run([x]).seconds })))
        }
        if json {
            Output.out("[" + results.map { "{\"rows\": \($0.0), \"seconds\": \($0.1)}" }.joined(separator: ", ") + "]")
        } else {
            Output.out("| rows | step | GFLOP/s |\n|---|---|---|\n" + results.map {
                "| \($0.0) | \(Quantity.seconds($0.1)) | \(Quantity.fixed(4 * Double($0.0) * 512 * 1024 / $0.1 / 1e9, 1)) |"
            }.joined(separator: "\n"))
        }
    }
}
