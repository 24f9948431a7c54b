import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// `moegc simulate`: one step of a model under a placement made elsewhere, no placer involved.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate one step of a model under a given placement (a placement file that places every node).",
        discussion: """
        Lowers and fuses the graph as `compile` does, puts every node where --placement FILE says \
        and, when the file gives orders (@ N), runs each device's tasks in that order (nodes sharing a \
        device and an order run as one task); without orders, b-level list scheduling orders them. \
        Prints the report `compile` prints: step time, bounds, per-device utilisation and peak memory \
        (or, with --json, schema "moegc.placement/1"). A file that leaves nodes unplaced is an error \
        (`compile --placement FILE` places the rest); so is an order that breaks a dependence, or a \
        device that runs out of memory. `compile --emit placement` writes such a file from any placer.
        """
    )

    @OptionGroup var input: GraphOptions
    @OptionGroup var mode: ModeOptions
    @OptionGroup(title: "Target") var target: TargetOptions

    @Flag(help: "Print the report as JSON (schema \"moegc.placement/1\").")
    var json = false

    @Option(help: ArgumentHelp("Write the simulated step as a Chrome trace (Perfetto opens it).", valueName: "file.json"))
    var trace: String?

    func validate() throws {
        if target.placementFile == nil { throw ValidationError("simulate needs --placement FILE: the device of every node") }
    }

    func run() throws {
        var compilation = try input.load(mode.compilation(file: input.graph, fusion: !target.noFusion))
        let cluster = try target.adapt(&compilation)
        let constraints = compilation.problem!.constraints
        guard constraints.pinsEveryTask else {
            Moegc.fail("\(target.placementFile!): error: it places \(constraints.pinnedCount) of the \(compilation.problem!.taskCount) "
                + "tasks of '\(compilation.source.name)'; simulate needs every node placed (compile --placement FILE places the rest)")
        }
        let placer = PinnedPlacer()
        try orExit("\(target.placementFile!): error: on \(cluster.name): ") { try compilation.place(with: placer) }
        if let trace { try Moegc.writeTrace(compilation, to: trace) }
        Output.out(json ? JSON.encode(PlacementJSON(compilation, placer: placer)) : PlacementReport.render(compilation, placer: placer))
    }
}
