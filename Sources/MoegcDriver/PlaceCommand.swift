import ArgumentParser
import MoegcCompiler
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

    @Flag(help: "No progress line on standard error while lowering, fusing and placing (it only appears on a terminal, after a second).")
    var quiet = false

    @Option(help: ArgumentHelp("Write an HTML report (self-contained, inline SVG): with --compare every placer side by side (step time, bound, per-device utilisation) and the fastest one's picture; without, the placement's report as `compile --report` writes it.", valueName: "report.html"))
    var report: String?

    func validate() throws {
        if learned.graphs != nil && input.graph != nil { throw ValidationError("give a graph or --graphs DIR, not both") }
    }

    func run() throws {
        if let directory = learned.graphs {
            try runPolicyOverFolder(directory)
            return
        }
        let path = try input.path()
        let progress = StageProgress(stages: 5, enabled: !quiet && Output.stderrIsTerminal)
        defer { progress.end() }
        progress.begin("parsing")
        var compilation = try input.load(mode.compilation(file: path, fusion: !placement.noFusion))
        let cluster = try placement.adapt(&compilation, progress: progress)
        let problem = compilation.problem!
        progress.begin(compare ? "placing with every heuristic" : "placing")
        if learned.isActive {
            progress.end()   // training draws its own progress bar
            try runPolicy(problem)
            return
        }
        if !compare {
            let placer = try placement.makePlacer(for: problem, seed: mode.seed, default: .heuristic("m-etf"))
            try orExit("error: \(placer.name) on \(cluster.name): ") { defer { progress.end() }; try compilation.place(with: placer) }
            if let report { try Moegc.writeReport(compilation, placer: placer.name, to: report) }
            Output.out(learned.json ? JSON.encode(PlacementJSON(compilation, placer: placer)) : PlacementReport.render(compilation, placer: placer))
            return
        }
        try orExit("error: ") { try MemoryCheck.feasibility(problem) }
        let rows = HeuristicSweep.run(problem, set: .all, seed: mode.seed, budget: placement.budget)
        progress.end()
        if let report { try Moegc.writeComparison(problem, rows: rows, path: path, options: compilation.options, to: report) }
        Output.out(learned.json ? JSON.encode(CompareJSON(problem, rows: rows, path: path)) : CompareReport.render(problem, rows: rows, path: path))
    }
}
