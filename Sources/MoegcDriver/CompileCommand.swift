import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcONNX
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcReport
import MoegcSim
import MoegcSupport

/// Training or evaluation mode, and the seed of every random stream.
struct ModeOptions: ParsableArguments {
    @Flag(name: .customLong("eval"), help: "Evaluation mode: no gate noise, no dropout, full softmax (default: training mode, as the paper counts).")
    var evaluation = false

    @Flag(name: .customLong("train"), help: "Training mode: gate noise, dropout, sampled softmax (the default).")
    var training = false

    @Option(parsing: .unconditional, help: "Seed of every random choice (gate noise, dropout, sampled-softmax negatives, weight init, METIS, local search).")
    var seed: UInt64 = 0

    func validate() throws {
        if evaluation && training { throw ValidationError("--train and --eval exclude each other") }
    }

    /// The compilation's options for the model at `file`.
    func compilation(file: String, fusion: Bool = true, verifyEachPass: Bool = false) -> Compilation.Options {
        Compilation.Options(file: file, training: !evaluation, seed: seed, fusion: fusion,
                            verifyEachPass: verifyEachPass || PassManager.verifiesByDefault)
    }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile a model graph: print its summary, or lower, fuse, place and simulate it on a cluster.",
        discussion: """
        Without --cluster, --placer, --trace or a later --emit stage: parses and verifies the graph, \
        infers every shape, and prints: nodes, edges, tokens per step, parameters (total, and excluding \
        embedding and softmax as Shazeer et al. count them), multiply-adds per timestep (the paper's \
        ops/timestep), and weight and activation bytes.

        With any of them, or -o: lowers every layer to primitives, fuses, places the fused groups on the \
        cluster (k40x16 unless --cluster) with the heuristic --placer, or, when none is named, with the \
        shipped learned policy (policies/moegc-default.policy, found next to the executable or named by \
        MOEGC_POLICY; if it is missing or cannot be read, a warning and the fastest heuristic; --policy \
        FILE for another, an error if unreadable), orders each device by list scheduling, simulates one \
        step and prints the step time, its ratio to the best lower bound, \
        and each device's utilisation and peak memory. A placement that runs out of memory is an \
        error naming the device and the bytes (exit status 1). -o writes the compiled plan: the \
        lowered, fused, placed graph, each device's schedule, the cluster, transfers, expected peak \
        memory, the simulated step time, the seed and any --weights, for `moegc run FILE.plan`.
        """
    )

    @OptionGroup var input: GraphOptions

    @Option(help: ArgumentHelp("Print the IR after a stage instead of the summary: graph (as parsed), lowered, fused, placed, placement (the placement file --placement reads back), dot (the placed graph for Graphviz: clusters by fusion group, colours by device), or any pass: \(Compilation.Emit.names.dropFirst(6).joined(separator: ", ")).",
                               valueName: "stage"))
    var emit: String?

    @Flag(name: .customLong("verify-each"), help: "Run the verifier after every pass (always on in debug builds).")
    var verifyEach = false

    @Flag(help: "Print the summary as JSON; when the model is placed (--cluster, --placer, -o, --trace), the placement report (schema \"moegc.placement/1\": step time, bounds, ratio, per-device busy time, utilisation and peak memory).")
    var json = false

    @OptionGroup var mode: ModeOptions

    @OptionGroup(title: "Placement") var placement: PlacementOptions

    @Option(help: ArgumentHelp("The trained placement policy to place with when no heuristic --placer is named (default: policies/moegc-default.policy, found next to the executable or set by MOEGC_POLICY).", valueName: "file.policy"))
    var policy: String?

    @Option(help: ArgumentHelp("Write the simulated step as a Chrome trace (Perfetto opens it).", valueName: "file.json"))
    var trace: String?

    @Flag(help: "No progress line on standard error (it only appears on a terminal, after a second).")
    var quiet = false

    @Option(help: ArgumentHelp("Write the placement report (one self-contained HTML file, as `moegc report` writes) of the placed step.", valueName: "report.html"))
    var report: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the compiled plan (binary, atomically) for `moegc run`.", valueName: "file.plan"))
    var output: String?

    @Option(help: ArgumentHelp("Weight data to store in the plan: JSON of named tensors (`{\"moe.w_gate\": {\"shape\": […], \"data\": […]}}`); parameters not given start from their init rule and --seed.",
                               valueName: "file.json"))
    var weights: String?

    func validate() throws {
        if weights != nil && output == nil { throw ValidationError("--weights goes into a plan: give -o FILE.plan too") }
        if policy != nil && placement.placer != nil && placement.placer != PlacerChoice.policyName {
            throw ValidationError("--policy places with a trained policy; it cannot be combined with --placer \(placement.placer!)")
        }
        if let emit, Compilation.Emit(emit) == nil {
            throw ValidationError("unknown stage '\(emit)' for --emit; stages: \(Compilation.Emit.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let progress = StageProgress(stages: 5, enabled: !quiet && Output.stderrIsTerminal)
        defer { progress.end() }
        progress.begin("parsing")
        var compilation = try input.load(mode.compilation(file: input.graph, fusion: !placement.noFusion, verifyEachPass: verifyEach))
        let emit = self.emit.flatMap(Compilation.Emit.init)
        let places = emit == .fused || emit?.needsPlacement == true || trace != nil || report != nil || output != nil || placement.cluster != nil
            || placement.placer != nil || policy != nil || placement.target.placementFile != nil
        if let emit, !emit.needsPlacement, !(places && emit == .parsed) {
            progress.begin("lowering")
            let graph = try orExit { defer { progress.end() }; return try compilation.graph(at: emit) }
            Output.out(GraphText.print(graph))
            return
        }
        if places { return try compileAndPlace(&compilation, progress: progress) }
        progress.end()
        let stats = ModelStatistics(compilation.source)
        Output.out(json ? JSON.encode(ModelSummaryJSON(stats)) : ModelSummary.render(stats, graph: compilation.source, path: input.graph))
    }

    /// lower → fuse → place → schedule → simulate, printing the placed IR or the report, writing
    /// the trace and the plan.
    private func compileAndPlace(_ compilation: inout Compilation, progress: StageProgress) throws {
        let cluster = try placement.adapt(&compilation, progress: progress)
        let placer = try placement.makePlacer(for: compilation.problem, seed: mode.seed, policyFile: policy, default: .policy)
        progress.begin("placing with \(placer.name)")
        try orExit("error: \(placer.name) on \(cluster.name): ") { defer { progress.end() }; try compilation.place(with: placer) }
        switch emit.flatMap(Compilation.Emit.init) {
        case .placed?: Output.out(GraphText.print(compilation.placedGraph))
        case .placement?: Output.out(compilation.placementText(placer: placer.name))
        case .dot?: Output.out(DotGraph.render(problem: compilation.placed!.problem, placement: compilation.placed!.evaluation.placement))
        default: break
        }
        if let trace { try Moegc.writeTrace(compilation, to: trace) }
        if let report { try Moegc.writeReport(compilation, placer: placer.name, to: report) }
        if let output {
            // The model's own weights (an ONNX model's initializers, a .graph's safetensors), then --weights over them.
            let data = try orExit {
                try ModelFiles.planWeights(for: input.graph, graph: compilation.graph, overrides: input.dimensions.overrides, json: weights)
            }
            try orExit { try PlanFile.write(try compilation.plan(placer: placer.name, weights: data), to: output) }
        }
        if emit != nil { return }
        Output.out(json ? JSON.encode(PlacementJSON(compilation, placer: placer)) : PlacementReport.render(compilation, placer: placer))
    }
}

struct Format: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "format",
        abstract: "Print a graph in canonical form (every type written), or rewrite it in place.",
        discussion: "The canonical form is what `moegc` prints; parsing it and printing again gives the same text."
    )

    @OptionGroup var input: GraphOptions

    @Flag(name: .shortAndLong, help: "Rewrite the file in place (atomically) instead of printing.")
    var inPlace = false

    func run() throws {
        let text = GraphText.print(try input.load().source)
        if inPlace { try Moegc.write(input.graph, text) } else { Output.out(text) }
    }
}
