import ArgumentParser
import MoegcCompiler
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// Options of the stages after the front end: fusion, cluster, placer.
struct PlacementOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The simulated cluster: a preset (\(Cluster.presetNames.joined(separator: ", "))) or a cluster file.",
                               valueName: "name|file"))
    var cluster: String?

    @Option(help: ArgumentHelp("The placer: \(Placers.names.joined(separator: ", ")), or policy (compile: the trained policy, its default; place: m-etf by default).", valueName: "placer"))
    var placer: String?

    @Option(help: ArgumentHelp("The placer local-search starts from.", valueName: "placer"))
    var start: String = "expert-parallel"

    @Option(parsing: .unconditional, help: ArgumentHelp("Simulations local-search may run (default: 3·10⁶ / tasks, clamped to 8…300).", valueName: "n"))
    var budget: Int?

    @Option(name: .customLong("memory-reserve"), parsing: .unconditional,
            help: ArgumentHelp("Percent of each device's memory the placers keep free of weights, for the activations live during the step (0–90; default 10). The simulator still checks every device's peak against its whole capacity.",
                               valueName: "percent"))
    var memoryReserve: Double?

    @Flag(name: .customLong("no-fusion"), help: "Place every node as its own task (weights still go with their consumer).")
    var noFusion = false

    func validate() throws {
        if let budget, !(1...10_000_000).contains(budget) {
            throw ValidationError("--budget must be in 1...10000000 (simulations local-search may run), got \(budget)")
        }
        if let placer, !PlacerChoice.names.contains(placer) {
            throw ValidationError("unknown placer '\(placer)'; placers: \(PlacerChoice.names.joined(separator: ", "))")
        }
        if let memoryReserve, !(0...90).contains(memoryReserve) {
            throw ValidationError("--memory-reserve must be a percent in 0...90 (of each device's memory kept free of weights), got \(memoryReserve)")
        }
        if !Placers.startingNames.contains(start) {
            throw ValidationError("--start must be one of \(Placers.startingNames.joined(separator: ", ")), got '\(start)'")
        }
    }

    /// The cluster named by --cluster (k40x16 when not given), or the diagnostics and exit 1.
    func loadCluster() throws -> Cluster {
        do {
            return try Cluster.load(cluster ?? "k40x16")
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    /// Fuses `compilation` and adapts it to the cluster named by --cluster; prints the diagnostics
    /// or the placement error and exits 1 when either fails. Returns the cluster.
    func adapt(_ compilation: inout Compilation) throws -> Cluster {
        do { try compilation.fuse() } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        let cluster = try loadCluster()
        do { try compilation.adapt(to: cluster, weightFraction: memoryReserve.map { 1 - $0 / 100 } ?? PlacementProblem.defaultWeightFraction) } catch {
            Output.err("error: \(error.description)")
            throw ExitCode(1)
        }
        return cluster
    }

    /// The placer these options name (with `policyFile`, a policy file), or `fallback` when they
    /// name none; a warning is printed when the default policy could not be used.
    func makePlacer(seed: UInt64, policyFile: String? = nil, default fallback: PlacerChoice.Default) throws -> any Placer {
        let choice = PlacerChoice(name: placer, policyFile: policyFile, start: start, seed: seed, budget: budget)
        do {
            let (made, warning) = try choice.make(default: fallback)
            if let warning { Output.err(warning) }
            return made
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }
}
