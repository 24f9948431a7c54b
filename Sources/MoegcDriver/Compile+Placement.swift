import ArgumentParser
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPolicy
import MoegcSim
import MoegcSupport

extension Compile {
    /// lower → fuse → place → schedule → simulate, printing the IR of `--emit` or the report.
    func compileAndPlace(_ parsed: Graph) throws {
        var graph = parsed
        let (lowerTime, fuseTime) = try placement.lowerAndFuse(&graph, mode: mode, file: input.graph)
        if emit == .fused {
            Output.out(GraphText.print(graph))
            return
        }
        let cluster = try placement.loadCluster()
        let clock = ContinuousClock(), adaptStart = clock.now
        let unplaced = try placement.problem(graph, cluster: cluster)
        let adaptTime = CompilePipeline.seconds(adaptStart.duration(to: clock.now))
        let placer = try compilePlacer()
        let placed: CompilePipeline.Placed
        do { placed = try CompilePipeline.place(unplaced, with: placer) } catch {
            Output.err("error: \(placer.name) on \(cluster.name): \(error.description)")
            throw ExitCode(1)
        }
        // A placer that fuses (the policy's fusion head) regroups the tasks: the plan is built from its groups.
        let (problem, evaluation) = (placed.problem, placed.evaluation)
        graph = problem.graph
        let notes = placed.reportNotes(placer: placer.name)
        if emit == .placed {
            evaluation.placement.annotate(&graph, tasks: problem.tasks)
            Output.out(GraphText.print(graph))
        }
        if let trace {
            var simulator = try Simulator(graph: problem.costGraph, cluster: cluster)
            _ = try simulator.run(evaluation.placement.schedule)
            let json = ChromeTrace.json(timeline: simulator.timeline(), graph: problem.costGraph, cluster: cluster) {
                problem.tasks.name(of: $0, in: graph)
            }
            do { try FileIO.writeAtomically(trace, text: json) } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        }
        if let output { try writePlan(output, graph: graph, problem: problem, evaluation: evaluation, placer: placer.name) }
        if emit == .placed { return }
        var timings = CompilePipeline.Timings()
        timings.lower = lowerTime
        timings.fuse = fuseTime
        timings.adapt = adaptTime
        timings.place = placed.placeSeconds
        Output.out(PlacementReport.render(problem: problem, placer: placer, evaluation: evaluation, timings: timings,
                                          path: input.graph, notes: notes))
    }

    /// The placer `compile` uses: the named heuristic; or, with no --placer (or `--placer policy`),
    /// the trained policy (--policy FILE, else the shipped one). When the policy was only the
    /// default (no --policy, no --placer) and its file is missing or cannot be read, a warning says
    /// why and the fastest heuristic (local search aside) places instead; a policy asked for by
    /// name that cannot be read is an error.
    func compilePlacer() throws -> any Placer {
        guard placement.placer == nil || placement.placer == "policy" else { return try placement.makePlacer(seed: mode.seed) }
        do {
            let (path, checkpoint) = try DefaultPolicy.load(policy)
            return LearnedPlacer(checkpoint, source: path, seed: mode.seed, budget: placement.budget)
        } catch {
            let reason = "\(error.path.map { "\($0): " } ?? "")\(error.message)"
            guard policy == nil && placement.placer == nil else {
                Output.err(error.description)
                throw ExitCode(1)
            }
            Output.err("warning: \(reason); placing with the fastest heuristic instead")
            return BestHeuristicPlacer(set: .fast, seed: mode.seed, budget: placement.budget)
        }
    }
}

/// The human-readable report of a placed, simulated step.
enum PlacementReport {
    static func render(problem: PlacementProblem, placer: any Placer, evaluation: Evaluation,
                       timings: CompilePipeline.Timings, path: String, notes: [(label: String, text: String)] = []) -> String {
        let r = evaluation.report, cluster = problem.cluster, bounds = problem.bounds
        let nodes = problem.graph.nodes.count
        let rows: [(String, String)] = [
            ("cluster", "\(cluster.name) (\(cluster.deviceCount) devices)"),
            ("placer", "\(placer.name): \(placer.summary)"),
            ("lowered", "\(nodes) nodes in \(problem.taskCount) fused tasks, \(problem.costGraph.edgeCount) edges"),
            ("step time", Quantity.seconds(r.makespan)),
            ("lower bound", "\(Quantity.seconds(bounds.best.seconds)) (\(bounds.best.name)); ratio \(Quantity.fixed(evaluation.ratio, 3))"),
            ("bounds", bounds.all.map { "\($0.name) \(Quantity.seconds($0.seconds))" }.joined(separator: ", ")),
            ("transfers", "\(r.transferCount), \(Quantity.bytes(r.bytesTransferred))"),
            ("wall time", "lower \(Quantity.seconds(timings.lower)), fuse \(Quantity.seconds(timings.fuse)), "
                + "adapt \(Quantity.seconds(timings.adapt)), place \(Quantity.seconds(timings.place))"),
        ] + notes
        let width = rows.map(\.0.count).max()! + 2
        var out = "\(problem.graph.name)  (\(path))\n" + rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n")
        let nameWidth = max(6, cluster.devices.map(\.name.count).max() ?? 0) + 2
        out += "\n\n  " + Quantity.pad("device", nameWidth) + Quantity.padLeft("tasks", 7) + Quantity.padLeft("busy", 12)
            + Quantity.padLeft("util", 8) + Quantity.padLeft("peak memory", 14) + Quantity.padLeft("capacity", 12)
        var tasks = [Int](repeating: 0, count: cluster.deviceCount)
        for d in evaluation.placement.taskDevice { tasks[Int(d)] += 1 }
        for d in 0..<cluster.deviceCount {
            out += "\n  " + Quantity.pad(cluster.devices[d].name, nameWidth) + Quantity.padLeft("\(tasks[d])", 7)
                + Quantity.padLeft(Quantity.seconds(r.deviceBusy[d]), 12)
                + Quantity.padLeft(Quantity.fixed(100 * r.utilization[d], 1) + "%", 8)
                + Quantity.padLeft(Quantity.bytes(Double(r.peakMemory[d])), 14)
                + Quantity.padLeft(Quantity.bytes(Double(cluster.memoryCapacity(d))), 12)
        }
        return out
    }
}

extension CompilePipeline.Placed {
    /// The placer's notes for the report, after a line saying how many tasks it merged, if any.
    func reportNotes(placer: String) -> [(label: String, text: String)] {
        let fusion = merges > 0 ? [(label: "fusion", text: "the \(placer) merged \(merges) tasks into their producers' groups")] : []
        return fusion + notes
    }
}
