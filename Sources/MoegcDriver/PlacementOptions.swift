import ArgumentParser
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPolicy
import MoegcSim

/// Options of the stages after the front end: lowering mode, fusion, cluster, placer.
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

    @Flag(name: .customLong("no-fusion"), help: "Place every node as its own task (weights still go with their consumer).")
    var noFusion = false

    func validate() throws {
        if let budget, !(1...10_000_000).contains(budget) {
            throw ValidationError("--budget must be in 1...10000000 (simulations local-search may run), got \(budget)")
        }
        if let placer, !Placers.names.contains(placer) && placer != "policy" {
            throw ValidationError("unknown placer '\(placer)'; placers: \(Placers.names.joined(separator: ", ")), policy")
        }
        if !Placers.names.contains(start) || start == "local-search" {
            throw ValidationError("--start must be one of \(Placers.names.dropLast().joined(separator: ", ")), got '\(start)'")
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

    /// The named placer (or the default, m-etf), randomised placers drawing from `seed`.
    func makePlacer(_ name: String? = nil, seed: UInt64) throws -> any Placer {
        if (name ?? placer) == "policy" {
            do {
                let (path, checkpoint) = try DefaultPolicy.load()
                return LearnedPlacer(checkpoint, source: path, seed: seed, budget: budget)
            } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        }
        do {
            return try Placers.make(name ?? placer ?? "m-etf", start: start, seed: seed, budget: budget)
        } catch {
            Output.err("error: \(error.description)")
            throw ExitCode(1)
        }
    }

    /// Lowers (and, unless --no-fusion, fuses) `graph` in place; returns the seconds each took.
    func lowerAndFuse(_ graph: inout Graph, mode: ModeOptions, file: String) throws -> (lower: Double, fuse: Double) {
        var g = graph
        let lowerTime: Double
        do {
            (_, lowerTime) = try CompilePipeline.timed { () throws(DiagnosticList) in
                try CompilePipeline.lower(&g, training: !mode.evaluation, file: file, seed: mode.seed)
            }
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        var fuseTime = 0.0
        if !noFusion { (_, fuseTime) = CompilePipeline.timed { CompilePipeline.fuse(&g) } }
        graph = g
        return (lowerTime, fuseTime)
    }

    /// The placement problem, or the error and exit 1.
    func problem(_ graph: Graph, cluster: Cluster) throws -> PlacementProblem {
        do {
            return try PlacementProblem(graph: graph, cluster: cluster, plan: noFusion ? FusionPlan.singletons(graph) : nil)
        } catch {
            Output.err("error: \(error.description)")
            throw ExitCode(1)
        }
    }
}
