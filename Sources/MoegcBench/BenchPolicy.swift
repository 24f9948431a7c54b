import ArgumentParser
import Foundation
import MoegcCompiler
import MoegcIR
import MoegcPlacement
import MoegcPolicy
import MoegcSim
import MoegcSupport

/// The learned placer's wall time by stage on graphs of growing size: lowering, fusion and the
/// adaptor (the compiler's stages, measured separately), the heuristics that give the policy its
/// hint, then the policy itself — features, one forward pass, the greedy decision, one simulation.
struct BenchPolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Wall time of placing graphs with the policy, stage by stage, and the process's peak memory.",
        discussion: "Each graph is lowered (training mode), fused and adapted, its hint heuristics are run (the policy's reference set), and the policy places it greedily. Peak memory is the process's maximum resident set so far (run the largest graph alone to attribute it)."
    )

    @Argument(help: "Model graphs (.graph), measured in the order given.")
    var graphs: [String]

    @Option(help: ArgumentHelp("The policy file (default: the shipped policy).", valueName: "file"))
    var policy: String?

    @Option(help: ArgumentHelp("The simulated cluster.", valueName: "name|file"))
    var cluster = "a100x2x8"

    func run() throws {
        let checkpoint: PolicyCheckpoint, cluster: Cluster
        do {
            checkpoint = try DefaultPolicy.load(policy).checkpoint
            cluster = try TrainingSet.clusters([self.cluster])[0]
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        let set = checkpoint.trainingConfig.referenceHeuristics ?? .all
        Output.out("| graph | nodes | tasks | units | lower | fuse | adapt | hint heuristics | simulator setup | features | forward | decide | simulate | policy (features + forward + decide) | peak RSS |")
        Output.out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for path in graphs {
            do {
                var compilation = try Compilation.load(path: path)
                try compilation.fuse()
                try compilation.adapt(to: cluster)
                let graph = compilation.graph, problem = compilation.problem!
                let (lower, fuse, adapt) = (compilation.timings.lower, compilation.timings.fuse, compilation.timings.adapt)
                let (policyProblem, heuristics) = try WallClock.timed { () throws(PlacementError) in
                    try PolicyProblem.withHeuristics(problem, set: set)
                }
                var timing = PlacingTime()
                _ = try PolicyPlacer(checkpoint).place(policyProblem, timing: &timing)
                func s(_ x: Double) -> String { Quantity.seconds(x) }
                Output.out("| \((path as NSString).lastPathComponent) | \(graph.nodes.count) | \(problem.taskCount) | \(policyProblem.unitCount) | "
                           + "\(s(lower)) | \(s(fuse)) | \(s(adapt)) | \(s(heuristics)) | \(s(timing.environment)) | \(s(timing.features)) | "
                           + "\(s(timing.forward)) | \(s(timing.decide)) | \(s(timing.simulate)) | "
                           + "**\(s(timing.features + timing.forward + timing.decide))** | \(Quantity.bytes(Self.peakResidentBytes())) |")
            } catch let error as CustomStringConvertible {
                Output.err("\(path): \(error.description)")
                throw ExitCode(1)
            }
        }
    }

    /// The process's peak resident set, bytes (Linux reports kilobytes).
    static func peakResidentBytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024
    }
}
