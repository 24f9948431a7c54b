import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport

/// The runtime beside the reference interpreter and the sum of its kernels' own times, on the
/// tiny MoE models, on one and two devices.
struct BenchRuntime: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Runtime step time vs the reference interpreter vs the sum of the kernels; overhead per op.",
        discussion: """
        For each model: the reference interpreter's step, the sum of its kernels' times (each node \
        timed alone inside the interpreter), and the runtime's step on one device and on two (experts \
        alternating between the devices, everything else on device 0). Overhead per op is (runtime \
        step on one device − Σ kernels) / nodes. Medians of --samples steps, all in one run.
        """
    )

    @Option(help: "Timed steps per measurement (the median is reported).")
    var samples = 21

    @Option(parsing: .upToNextOption, help: "Models to measure.")
    var graphs = ["graphs/tiny-moe.graph", "graphs/tiny-hmoe.graph", "graphs/tiny-switch.graph"]

    func run() throws {
        var table = "| model | nodes | interpreter | Σ kernels | runtime, 1 device | runtime, 2 devices | overhead per op |\n|---|---|---|---|---|---|---|\n"
        for path in graphs {
            var compilation: Compilation
            do {
                compilation = try Compilation.load(path: path, options: .init(training: false))
                try compilation.lower()
            } catch { Output.err(error.description); throw ExitCode(1) }
            let source = compilation.source, g = compilation.graph
            let inputs = RandomInputs.make(for: g, vocabulary: RandomInputs.vocabulary(of: source), seed: 1)
            let interp = try ReferenceInterpreter(graph: g, seed: 1)
            var interpTimes: [Double] = [], kernelTimes: [Double] = []
            let clock = ContinuousClock()
            for _ in 0..<samples {
                let t0 = clock.now
                _ = try interp.run(inputs)
                interpTimes.append(Double((clock.now - t0) / .nanoseconds(1)) * 1e-9)
                kernelTimes.append(try interp.run(inputs, profile: true).nodeSeconds.reduce(0, +))
            }
            let one = try Runtime(plan: .singleDevice(g), seed: 1)
            let two = try Runtime(plan: BenchRuntime.expertsSplit(g), seed: 1)
            let oneTimes = try (0..<samples).map { _ in try one.run(inputs).seconds }
            let twoTimes = try (0..<samples).map { _ in try two.run(inputs).seconds }
            let k = median(kernelTimes), r1 = median(oneTimes)
            table += "| \(source.name) | \(g.nodes.count) | \(us(median(interpTimes))) | \(us(k)) | \(us(r1)) | \(us(median(twoTimes))) | \(Quantity.fixed((r1 - k) / Double(g.nodes.count) * 1e6, 2)) µs |\n"
        }
        Output.out(table + "\nMedians of \(samples) steps, evaluation mode, µs.")
    }

    /// Experts (nodes annotated `expert`) alternate over two devices; everything else on device 0.
    static func expertsSplit(_ g: Graph) -> ExecutionPlan {
        let device = g.nodes.map { node in (node.attributes["expert"]?.intValue ?? 0) % 2 == 1 ? 1 : 0 }
        var order: [[Int]] = [[], []]
        for (i, d) in device.enumerated() { order[d].append(i) }
        return ExecutionPlan(graph: g, deviceCount: 2, device: device, order: order)
    }

    func us(_ s: Double) -> String { Quantity.fixed(s * 1e6, 0) }
    func median(_ v: [Double]) -> Double { Statistics.median(v) }
}
