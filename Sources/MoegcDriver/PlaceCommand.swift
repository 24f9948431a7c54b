import ArgumentParser
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import MoegcSupport

struct Place: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "place",
        abstract: "Place a model on a simulated cluster; with --compare, every heuristic placer side by side.",
        discussion: """
        Lowers and fuses the graph once, then places it. With --compare, every placer runs on the same \
        fused graph and one table shows each one's simulated step time, its ratio to the best lower \
        bound, the highest peak memory of any device, the bytes moved between devices and the wall time \
        placing took; local-search starts from the best of the others. A placement that runs out of \
        memory shows why instead of a time. Without --compare it prints the report `compile --placer` does. \
        With --train-policy it trains a placement policy on the graph by PPO (every heuristic is the \
        yardstick, the best one the reward's reference and the cloning target), writing the policy, \
        its checkpoints and its learning curve (NAME.csv, NAME.svg) at --out; --resume continues a run \
        at --out. With --train-policy --graphs DIR it trains one policy over every graph of the folder on \
        every cluster of --clusters (rewards normalised per graph by its best heuristic, local search \
        left out of the references). With --policy FILE it places the graph with a trained policy; \
        --fine-tune K first continues training on the graph for K iterations. With --evaluate --policy \
        FILE --graphs DIR it evaluates the policy on every graph of the folder on --cluster.
        """
    )

    @OptionGroup var input: OptionalGraphOptions
    @OptionGroup var mode: ModeOptions
    @OptionGroup(title: "Placement") var placement: PlacementOptions

    @Flag(help: "Run every heuristic placer and print one table.")
    var compare = false

    @OptionGroup(title: "Learned placement") var learned: PolicyOptions

    func validate() throws {
        if learned.graphs != nil && input.graph != nil { throw ValidationError("give a graph or --graphs DIR, not both") }
    }

    func run() throws {
        if let directory = learned.graphs {
            try runPolicyOverFolder(directory)
            return
        }
        let path = try input.path()
        var graph = try input.load()
        let (lowerTime, fuseTime) = try placement.lowerAndFuse(&graph, mode: mode, file: path)
        let cluster = try placement.loadCluster()
        let clock = ContinuousClock(), adaptStart = clock.now
        let problem = try placement.problem(graph, cluster: cluster)
        let adaptTime = CompilePipeline.seconds(adaptStart.duration(to: clock.now))
        if learned.isActive {
            try runPolicy(problem)
            return
        }
        if !compare {
            let placer = try placement.makePlacer(seed: mode.seed)
            do {
                let placed = try CompilePipeline.place(problem, with: placer)
                var timings = CompilePipeline.Timings()
                (timings.lower, timings.fuse, timings.adapt, timings.place) = (lowerTime, fuseTime, adaptTime, placed.placeSeconds)
                Output.out(PlacementReport.render(problem: placed.problem, placer: placer, evaluation: placed.evaluation,
                                                  timings: timings, path: path, notes: placed.reportNotes(placer: placer.name)))
            } catch {
                Output.err("error: \(placer.name) on \(cluster.name): \(error.description)")
                throw ExitCode(1)
            }
            return
        }
        do { try MemoryCheck.feasibility(problem) } catch {
            Output.err("error: \(error.description)")
            throw ExitCode(1)
        }
        Output.out(CompareTable.render(problem: problem, placement: placement, seed: mode.seed, path: path))
    }
}

/// Every placer on one problem, as a Markdown table.
enum CompareTable {
    struct Row {
        var name: String
        var outcome: Result<CompilePipeline.Placed, PlacementError>
    }

    static func render(problem: PlacementProblem, placement: PlacementOptions, seed: UInt64, path: String) -> String {
        var rows: [Row] = []
        for name in Placers.names where name != "local-search" {
            guard let placer = try? Placers.make(name, seed: seed) else { continue }
            rows.append(Row(name: name, outcome: Result { () throws(PlacementError) in try CompilePipeline.place(problem, with: placer) }))
        }
        let feasible = rows.compactMap { row -> (String, Double)? in
            guard case .success(let placed) = row.outcome else { return nil }
            return (row.name, placed.evaluation.report.makespan)
        }
        if let start = feasible.min(by: { $0.1 < $1.1 })?.0,
           let ls = try? Placers.make("local-search", start: start, seed: seed, budget: placement.budget) {
            rows.append(Row(name: "local-search ← \(start)",
                            outcome: Result { () throws(PlacementError) in try CompilePipeline.place(problem, with: ls) }))
        }
        let b = problem.bounds
        var out = "\(problem.graph.name) (\(path)) on \(problem.cluster.name): \(problem.graph.nodes.count) nodes, "
            + "\(problem.taskCount) fused tasks; lower bound \(Quantity.seconds(b.best.seconds)) (\(b.best.name)); "
            + b.all.map { "\($0.name) \(Quantity.seconds($0.seconds))" }.joined(separator: ", ") + "\n\n"
        out += "| placer | step time | ÷ bound | peak memory | moved | time to place |\n|---|---:|---:|---:|---:|---:|\n"
        var notes: [String] = []
        for row in rows {
            switch row.outcome {
            case .success(let placed):
                let (e, seconds) = (placed.evaluation, placed.placeSeconds)
                let peak = e.report.peakMemory.max() ?? 0
                out += "| \(row.name) | \(Quantity.seconds(e.report.makespan)) | \(Quantity.fixed(e.ratio, 2)) | "
                    + "\(Quantity.bytes(Double(peak))) | \(Quantity.bytes(e.report.bytesTransferred)) | \(Quantity.seconds(seconds)) |\n"
            case .failure(let error):
                notes.append("\(row.name): \(error.description)")
                out += "| \(row.name) | infeasible¹ | — | — | — | — |\n"
            }
        }
        if !notes.isEmpty { out += "\n" + notes.map { "¹ " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }
}
