import ArgumentParser
import MoegcIR
import MoegcPasses
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

    func options(file: String) -> PassOptions {
        PassOptions(file: file, training: !evaluation, seed: seed)
    }

    /// The graph lowered to primitives, or the diagnostics printed and exit status 1.
    func lower(_ graph: Graph, file: String) throws -> Graph {
        var g = graph
        do {
            try Lowering.run(&g, options(file: file))
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        return g
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

    enum Stage: String, ExpressibleByArgument, CaseIterable {
        /// The graph as parsed, every type inferred.
        case graph
        /// Every layer expanded to primitives.
        case lowered
        /// Lowered, with `group` annotations from the fusion pass.
        case fused
        /// Fused and placed: `group`, `device` and `order` on every node (re-parses to the same graph).
        case placed
    }

    @OptionGroup var input: GraphOptions

    @Option(help: ArgumentHelp("Print the IR after a stage instead of the summary: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "stage"))
    var emit: Stage?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup var mode: ModeOptions

    @OptionGroup(title: "Placement") var placement: PlacementOptions

    @Option(help: ArgumentHelp("The trained placement policy to place with when no heuristic --placer is named (default: policies/moegc-default.policy, found next to the executable or set by MOEGC_POLICY).", valueName: "file.policy"))
    var policy: String?

    @Option(help: ArgumentHelp("Write the simulated step as a Chrome trace (Perfetto opens it).", valueName: "file.json"))
    var trace: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the compiled plan (binary, atomically) for `moegc run`.", valueName: "file.plan"))
    var output: String?

    @Option(help: ArgumentHelp("Weight data to store in the plan: JSON of named tensors (`{\"moe.w_gate\": {\"shape\": […], \"data\": […]}}`); parameters not given start from their init rule and --seed.",
                               valueName: "file.json"))
    var weights: String?

    func validate() throws {
        if weights != nil && output == nil { throw ValidationError("--weights goes into a plan: give -o FILE.plan too") }
        if policy != nil && placement.placer != nil && placement.placer != "policy" {
            throw ValidationError("--policy places with a trained policy; it cannot be combined with --placer \(placement.placer!)")
        }
    }

    func run() throws {
        let graph = try input.load()
        if emit == .fused || emit == .placed || trace != nil || output != nil || placement.cluster != nil || placement.placer != nil
            || policy != nil {
            return try compileAndPlace(graph)
        }
        if let emit {
            switch emit {
            case .graph: Output.out(GraphText.print(graph))
            case .lowered: Output.out(GraphText.print(try mode.lower(graph, file: input.graph)))
            case .fused, .placed: break
            }
            return
        }
        let stats = ModelStatistics(graph)
        if json {
            Output.out(JSON.encode(stats))
        } else {
            Output.out(Summary.render(stats, graph: graph, path: input.graph))
        }
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
        let text = GraphText.print(try input.load())
        if inPlace {
            do {
                try FileIO.writeAtomically(input.graph, text: text)
            } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        } else {
            Output.out(text)
        }
    }
}

/// The human-readable compile summary.
enum Summary {
    static func render(_ s: ModelStatistics, graph: Graph, path: String) -> String {
        let dims = graph.symbols.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
        var rows: [(String, String)] = [
            ("nodes", "\(s.nodes)"),
            ("edges", "\(s.edges)"),
            ("tokens per step", "\(s.tokens)" + (dims.isEmpty ? "" : "  (\(dims))")),
            ("params (paper)", Quantity.millions(Double(s.paperParameters), 1) + "  excluding embedding and softmax"),
            ("params (total)", Quantity.millions(Double(s.parameters), 1)),
            ("ops/timestep (paper)", Quantity.millions(s.opsPerTimestep, 2) + "  multiply-adds per token excluding embedding and softmax"),
            ("multiply-adds per step", Quantity.count(s.multiplyAdds)),
            ("weights", Quantity.bytes(Double(s.weightBytes))),
            ("activations per step", Quantity.bytes(s.activationBytes)),
        ]
        let ops = s.opCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
        rows.append(("ops", ops.joined(separator: ", ")))
        let width = rows.map(\.0.count).max()! + 2
        return "\(graph.name)  (\(path))\n" + rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n")
    }
}
