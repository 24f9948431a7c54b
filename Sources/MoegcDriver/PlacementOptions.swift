import ArgumentParser
import MoegcCompiler
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// What a model is placed on and what is fixed before any placer runs: the cluster, the memory
/// kept for activations, fusion, and a placement file's pins (`compile`, `place`, `simulate`).
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The simulated cluster: a preset (\(Cluster.presetNames.joined(separator: ", "))) or a cluster file.",
                               valueName: "name|file"))
    var cluster: String?

    @Option(name: .customLong("placement"),
            help: ArgumentHelp("A placement to keep: a file of 'SELECTOR -> DEVICE [@ ORDER]' lines (SELECTOR: %name — that node and every node under it —, expert E or colocate NAME; DEVICE: the cluster's device name or index), or the placed IR of --emit placed. A file that places some nodes pins them and the placer places the rest; one that places every node is the placement (--emit placement writes one).",
                               valueName: "file"))
    var placementFile: String?

    @Option(name: .customLong("memory-reserve"), parsing: .unconditional,
            help: ArgumentHelp("Percent of each device's memory the placers keep free of weights, for the values live during the step (0–90), over the cluster file's reserve=. Default: what the hungriest task holds at once, at most 10%, raised on a device whose simulated peak runs over. The simulator checks every device's peak against its whole capacity.",
                               valueName: "percent"))
    var memoryReserve: Double?

    @Flag(name: .customLong("no-fusion"), help: "Place every node as its own task (weights still go with their consumer).")
    var noFusion = false

    func validate() throws {
        if let memoryReserve, !(0...90).contains(memoryReserve) {
            throw ValidationError("--memory-reserve must be a percent in 0...90 (of each device's memory kept free of weights), got \(memoryReserve)")
        }
    }

    /// The cluster named by --cluster (k40x16 when not given), or the diagnostics and exit 1.
    func loadCluster() throws -> Cluster {
        try orExit { try Cluster.load(cluster ?? "k40x16") }
    }

    /// Fuses `compilation`, adapts it to the cluster named by --cluster and pins what --placement
    /// gives; prints the diagnostics or the placement error and exits 1 when any fails. Returns the
    /// cluster.
    func adapt(_ compilation: inout Compilation, progress: StageProgress? = nil) throws -> Cluster {
        try orExit {
            do {
                progress?.begin("lowering")
                if compilation.stage < .lowered { try compilation.lower() }
                progress?.begin("fusing")
                try compilation.fuse()
            } catch {
                progress?.end()   // the error starts on a clean line
                throw error
            }
        }
        progress?.begin("building the placement problem")
        let cluster = try loadCluster()
        try orExit("error: ") { try compilation.adapt(to: cluster, reserve: memoryReserve.map { .percent($0) }) }
        if let placementFile {
            try orExit { try compilation.pin(try PlacementFile.read(placementFile)) }
        }
        return cluster
    }
}

/// Options of the stages after the front end: the target, and the placer.
struct PlacementOptions: ParsableArguments {
    @OptionGroup var target: TargetOptions

    @Option(help: ArgumentHelp("The placer: \(Placers.names.joined(separator: ", ")), or policy (compile: the trained policy, its default; place: m-etf by default).", valueName: "placer"))
    var placer: String?

    @Option(help: ArgumentHelp("The placer local-search starts from.", valueName: "placer"))
    var start: String = "expert-parallel"

    @Option(parsing: .unconditional, help: ArgumentHelp("Simulations local-search may run (default: 3·10⁶ / tasks, clamped to 8…300).", valueName: "n"))
    var budget: Int?

    var cluster: String? { target.cluster }
    var noFusion: Bool { target.noFusion }

    func validate() throws {
        if let budget, !(1...10_000_000).contains(budget) {
            throw ValidationError("--budget must be in 1...10000000 (simulations local-search may run), got \(budget)")
        }
        if let placer, !PlacerChoice.names.contains(placer) {
            throw ValidationError("unknown placer '\(placer)'; placers: \(PlacerChoice.names.joined(separator: ", "))")
        }
        if !Placers.startingNames.contains(start) {
            throw ValidationError("--start must be one of \(Placers.startingNames.joined(separator: ", ")), got '\(start)'")
        }
    }

    func adapt(_ compilation: inout Compilation, progress: StageProgress? = nil) throws -> Cluster {
        try target.adapt(&compilation, progress: progress)
    }

    /// The placer these options name (with `policyFile`, a policy file), or `fallback` when they
    /// name none (`PlacerChoice.make`: a placement file that places every node is its own placer);
    /// a warning is printed when the default policy could not be used.
    func makePlacer(for problem: PlacementProblem?, seed: UInt64, policyFile: String? = nil,
                    default fallback: PlacerChoice.Default) throws -> any Placer {
        let choice = PlacerChoice(name: placer, policyFile: policyFile, start: start, seed: seed, budget: budget)
        let (made, warning) = try orExit { try choice.make(default: fallback, for: problem) }
        if let warning { Output.err(warning) }
        return made
    }
}
