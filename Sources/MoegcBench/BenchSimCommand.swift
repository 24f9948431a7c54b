import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import MoegcSupport

struct BenchSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Simulator throughput on random DAGs, and the whole compile of a large model with every placer, in one run.",
        discussion: """
        Part 1 simulates random layered DAGs of each size again and again with one reused simulator \
        (b-level orders, a random placement) and prints simulated events and tasks per second; the \
        µs-per-task column shows how the cost grows with size. Part 2 compiles the model (MoE-131072-h \
        by default, ~800k lowered nodes) once through the front end, lowering, fusion and the cost-graph \
        adaptor, then places it with every heuristic placer, and prints each placer's wall time: \
        placing, then ordering and simulating, then the whole compile (shared stages included). \
        The default cluster of part 2 is a100x2x8, the only preset whose memory holds 137B parameters.
        """
    )

    @Option(help: ArgumentHelp("Task counts of the random DAGs, comma-separated.", valueName: "n,n,…"))
    var sizes: String = "1000,10000,100000"

    @Option(help: ArgumentHelp("Cluster of the simulator throughput runs.", valueName: "name|file"))
    var cluster: String = "k40x16"

    @Option(help: ArgumentHelp("Seconds each size is simulated for, at least.", valueName: "s"))
    var seconds: Double = 0.5

    @Option(help: ArgumentHelp("The model compiled in part 2 ('none' skips it).", valueName: "file.graph"))
    var graph: String = "graphs/moe-131072-h.graph"

    @Option(name: .customLong("compile-cluster"), help: ArgumentHelp("Cluster of part 2.", valueName: "name|file"))
    var compileCluster: String = "a100x2x8"

    @Option(help: ArgumentHelp("Placers of part 2, comma-separated (default: all).", valueName: "p,p,…"))
    var placers: String?

    func validate() throws {
        if sizes.split(separator: ",").contains(where: { Int($0).map { $0 < 1 } ?? true }) {
            throw ValidationError("--sizes expects positive task counts separated by commas, got '\(sizes)'")
        }
        if !(seconds > 0) { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let simCluster = try load(cluster)
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        Output.out("== simulator throughput on \(simCluster.name) (random layered DAGs, b-level orders, random placement)")
        let results: [SimulatorBenchmark.Result]
        do { results = try SimulatorBenchmark.run(taskCounts: counts, cluster: simCluster, minimumSeconds: seconds) } catch {
            Output.err("error: \(error)")
            throw ExitCode(1)
        }
        Output.out("| tasks | edges | events/run | µs/run | events/s | tasks/s | µs/task |\n|---:|---:|---:|---:|---:|---:|---:|")
        for r in results {
            Output.out("| \(r.tasks) | \(r.edges) | \(r.eventsPerRun) | \(Quantity.fixed(r.secondsPerRun * 1e6, 0)) | "
                + "\(Quantity.count(r.eventsPerSecond)) | \(Quantity.count(r.tasksPerSecond)) | "
                + "\(Quantity.fixed(r.secondsPerRun * 1e6 / Double(r.tasks), 3)) |")
        }
        guard graph != "none" else { return }
        try compileBenchmark()
    }

    func load(_ name: String) throws -> Cluster {
        do { return try Cluster.load(name) } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    func compileBenchmark() throws {
        let target = try load(compileCluster)
        var compilation: Compilation
        let frontTime: Double
        do {
            (compilation, frontTime) = try WallClock.timed { () throws(DiagnosticList) in try Compilation.load(path: graph) }
            try compilation.fuse()
            try compilation.adapt(to: target)
        } catch {
            Output.err("\(error)")
            throw ExitCode(1)
        }
        let (lowerTime, fuseTime, adaptTime) = (compilation.timings.lower, compilation.timings.fuse, compilation.timings.adapt)
        let g = compilation.graph, problem = compilation.problem!
        let shared = frontTime + lowerTime + fuseTime + adaptTime
        Output.out("\n== compile of \(graph) on \(target.name): \(g.nodes.count) lowered nodes, \(problem.taskCount) fused tasks")
        Output.out("shared stages: parse+shapes \(Quantity.seconds(frontTime)), lower \(Quantity.seconds(lowerTime)), "
            + "fuse \(Quantity.seconds(fuseTime)), adapt+bounds \(Quantity.seconds(adaptTime)) = \(Quantity.seconds(shared))")
        Output.out("| placer | place | schedule + simulate | whole compile | step time | ÷ bound |\n|---|---:|---:|---:|---:|---:|")
        let names = placers.map { $0.split(separator: ",").map(String.init) } ?? Placers.names
        for name in names {
            let placer: any Placer
            do { placer = try Placers.make(name, start: "expert-parallel") } catch {
                Output.err("error: \(error.description)")
                throw ExitCode(1)
            }
            let (outcome, total) = WallClock.timed { Result { () throws(PlacementError) in try problem.place(with: placer) } }
            switch outcome {
            case .success(let placed):
                let (e, place) = (placed.evaluation, placed.placeSeconds)
                Output.out("| \(placer.name) | \(Quantity.seconds(place)) | \(Quantity.seconds(total - place)) | "
                    + "\(Quantity.seconds(shared + total)) | \(Quantity.seconds(e.report.makespan)) | \(Quantity.fixed(e.ratio, 2)) |")
            case .failure(let error):
                Output.out("| \(placer.name) | — | — | \(Quantity.seconds(shared + total)) | infeasible | — |")
                Output.err("  \(placer.name): \(error.description)")
            }
        }
    }
}
