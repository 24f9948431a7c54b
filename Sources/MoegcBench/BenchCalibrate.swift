import Foundation
import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcKernels
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcRuntime
import MoegcSim
import MoegcSupport

/// Does the simulator predict the runtime? Random placements of one model on the `cpu2` cluster,
/// each simulated and run, and the rank correlation of simulated vs measured step times.
struct BenchCalibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure this machine, write it as a cluster file, and check the simulator against the runtime (rank correlation).",
        discussion: """
        Measures this machine (sgemm rate of one core, memcpy bandwidth, the runtime's cost per op and \
        per cross-device copy), prints the `cpu2` preset's numbers beside them, then places the model \
        --placements times at random (each fused task on a random core, b-level order), simulates each \
        placement on cpu2 (or --cluster), runs it on the runtime (median of --steps), and reports the \
        Spearman rank correlation of simulated against measured step times and their median ratio.

        --write-cluster FILE writes what was measured as a cluster file — one device per core of this \
        machine, its sgemm rate, memcpy bandwidth and per-op cost, the machine's memory split evenly, a \
        cross-core hand-off as the link latency — and simulates the placements on it, so \
        `compile --cluster FILE` targets this machine.
        """
    )

    @Option(help: "The model (default: an MoE layer between two dense layers, d = 256, 16 experts, 1024 tokens).")
    var graph: String?

    @Option(help: "Random placements to compare.")
    var placements = 32

    @Option(help: "Runtime steps per placement (the median is used).")
    var steps = 15

    @Option(help: "Seed of the random placements.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("The cluster the placements are simulated on: a preset or a cluster file (default cpu2).", valueName: "name|file"))
    var cluster: String?

    @Option(help: ArgumentHelp("Write this machine's measured cluster file (atomically) and simulate on it.", valueName: "file.cluster"))
    var writeCluster: String?

    func validate() throws {
        if !(1...10_000).contains(placements) { throw ValidationError("--placements must be in 1...10000, got \(placements)") }
        if !(1...10_000).contains(steps) { throw ValidationError("--steps must be in 1...10000, got \(steps)") }
        if cluster != nil && writeCluster != nil { throw ValidationError("--write-cluster simulates on the cluster it writes; --cluster names another") }
    }

    /// An MoE layer between two dense layers: most of the work is 16 independent experts, so
    /// placements range from one core doing everything to both cores sharing the experts.
    static let defaultModel = """
    graph calibration [tokens = 1024] (%x: f32[tokens, 256]) -> (%y) {
      %h = dense(%x) {units = 256, activation = relu}
      %moe, %li, %ll = moe(%h) {experts = 16, k = 2, hidden = 1024}
      %y = dense(%moe) {units = 256}
    }
    """

    func run() throws {
        let machine = MachineProbe.measure()
        let cluster: Cluster
        do {
            if let writeCluster {
                let text = machine.calibration.clusterText(name: "this-machine")
                try FileIO.writeAtomically(writeCluster, text: text)
                cluster = try Cluster.parse(text, path: writeCluster)
                Output.out("wrote \(writeCluster)")
            } else {
                cluster = try Cluster.load(self.cluster ?? "cpu2")
            }
        } catch {
            Output.err("\(error)")
            throw ExitCode(1)
        }
        Output.out("this machine: sgemm \(Quantity.fixed(machine.flops / 1e9, 1)) GFLOP/s per core, memcpy \(Quantity.fixed(machine.memcpy / 1e9, 1)) GB/s, "
                   + "runtime \(Quantity.fixed(machine.perOp * 1e6, 2)) µs per op, \(Quantity.fixed(machine.perCopy * 1e6, 1)) µs per cross-device hand-off")
        Output.out("\(cluster.name):\(String(repeating: " ", count: max(1, 12 - cluster.name.count)))sgemm \(Quantity.fixed(cluster.peakFlops(0) / 1e9, 1)) GFLOP/s per core, memcpy \(Quantity.fixed(cluster.memoryBandwidth(0) / 1e9, 1)) GB/s, "
                   + "launch \(Quantity.fixed(cluster.launchOverhead(0) * 1e6, 2)) µs per op\n")
        // Training mode: the gate noise spreads rows over the experts as the cost model expects
        // (with the paper's zero-initialised gate and no noise, every row picks experts 0 and 1).
        var compilation: Compilation
        do {
            compilation = graph == nil
                ? Compilation(source: try Frontend.load(bytes: Array(BenchCalibrate.defaultModel.utf8), path: "calibration.graph"),
                              options: .init(file: "calibration.graph"))
                : try Compilation.load(path: graph!)
            try compilation.fuse()
            try compilation.adapt(to: cluster)
        } catch {
            Output.err("\(error)")
            throw ExitCode(1)
        }
        let source = compilation.source, lowered = compilation.graph, problem = compilation.problem!
        let inputs = RandomInputs.make(for: lowered, vocabulary: RandomInputs.vocabulary(of: source), seed: 1)
        var rng = SeededGenerator(seed: seed)
        let second = Int32(min(1, cluster.devices.count - 1))   // a one-core machine places everything on its core
        var simulated: [Double] = [], measured: [Double] = []
        var rows = "| placement | tasks on core 0 / 1 | simulated | measured |\n|---|---|---|---|\n"
        for p in 0..<placements {
            // The first two: everything on one core; the rest random, with varying balance.
            let bias = p < 2 ? Double(p) : rng.nextDouble()
            let devices = (0..<problem.taskCount).map { _ in rng.nextDouble() < bias ? second : 0 }
            let evaluation: Evaluation
            do { evaluation = try Evaluation.run(problem, devices: devices) } catch { Output.err("error: \(error)"); throw ExitCode(1) }
            let plan = try ExecutionPlan(problem, placement: evaluation.placement)
            let runtime = try Runtime(plan: plan, seed: 1)
            _ = try runtime.run(inputs)
            let m = Statistics.median(try (0..<steps).map { _ in try runtime.run(inputs).seconds })
            simulated.append(evaluation.report.makespan)
            measured.append(m)
            let ones = devices.filter { $0 == 1 }.count
            rows += "| \(p) | \(problem.taskCount - ones) / \(ones) | \(Quantity.seconds(evaluation.report.makespan)) | \(Quantity.seconds(m)) |\n"
        }
        Output.out(rows)
        Output.out("\(lowered.nodes.count) nodes, \(problem.taskCount) fused tasks, \(placements) placements")
        Output.out("Spearman rank correlation (simulated vs measured): \(Quantity.fixed(Statistics.spearman(simulated, measured), 3))")
        Output.out("median measured / simulated: \(Quantity.fixed(Statistics.median(zip(measured, simulated).map { $0 / $1 }), 2))")
    }
}

/// What this machine does, measured the way the `cpu2` preset describes it.
enum MachineProbe {
    struct Numbers {
        var flops: Double, memcpy: Double, perOp: Double, perCopy: Double

        /// The numbers as a calibration of this machine: a device per core, the memory split
        /// evenly, and half a hand-off as each device link's latency (a copy's path crosses the
        /// source's link and the destination's).
        var calibration: CPUCalibration {
            let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
            // Four significant figures (a measurement's noise is larger) and whole MiB.
            func rounded(_ x: Double) -> Double { Double(String(format: "%.4g", x)) ?? x }
            let memory = (Int(clamping: ProcessInfo.processInfo.physicalMemory / UInt64(cores)) >> 20) << 20
            return CPUCalibration(cores: cores, flopsPerCore: rounded(flops), memcpyBandwidth: rounded(memcpy),
                                  memoryPerCore: memory, launchOverhead: rounded(perOp), copyLatency: rounded(perCopy / 2))
        }
    }

    static func measure() -> Numbers {
        let flops = KernelBenchmark.sgemm(m: 512, k: 1024, n: 1024, samples: 5).medianGFLOPS * 1e9
        let n = 16 << 20
        let src = [Float](repeating: 1, count: n)
        var dst = [Float](repeating: 0, count: n)
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = clock.now
            dst.withUnsafeMutableBufferPointer { d in src.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: n) } }
            best = min(best, Double((clock.now - t0) / .nanoseconds(1)) * 1e-9)
        }
        let memcpy = Double(2 * n * 4) / best   // read + write
        // A chain of 200 tiny ops on one device, then alternating between two devices.
        var text = "graph chain (%x: f32[4]) -> (%y199) {\n  %y0 = relu(%x)\n"
        for i in 1..<200 { text += "  %y\(i) = neg(%y\(i - 1))\n" }
        text += "}\n"
        let g = try! Frontend.load(bytes: Array(text.utf8), path: "chain")
        let x = HostTensor([4], floats: [1, 2, 3, 4])
        func time(_ plan: ExecutionPlan) -> Double {
            let r = try! Runtime(plan: plan, seed: 0)
            return Statistics.median((0..<21).map { _ in try! r.run([x]).seconds })
        }
        let one = time(.singleDevice(g))
        let device = (0..<200).map { $0 % 2 }
        let two = time(ExecutionPlan(graph: g, deviceCount: 2, device: device,
                                     order: [(0..<200).filter { $0 % 2 == 0 }, (0..<200).filter { $0 % 2 == 1 }]))
        return Numbers(flops: flops, memcpy: memcpy, perOp: one / 200, perCopy: max(0, two - one) / 199)
    }
}
