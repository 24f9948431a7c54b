import ArgumentParser
import Foundation
import MoegcPolicy
import MoegcSupport

/// The learned-placement options of `moegc place`: training a policy on one graph or on a folder
/// of graphs, placing a graph with a trained one (optionally fine-tuning it first), evaluating a
/// trained one over a folder. The command's `--seed` seeds the policy's sampling.
struct PolicyOptions: ParsableArguments {
    @Flag(name: .customLong("train-policy"), help: "Train a placement policy with PPO, on the graph or on every graph of --graphs (see --iterations, --out, --resume).")
    var train = false

    @Option(help: ArgumentHelp("Place with this trained policy file (with --fine-tune: after fine-tuning it; with --evaluate: evaluate it).", valueName: "file"))
    var policy: String?

    @Option(help: ArgumentHelp("With --train-policy or --evaluate: every .graph file in this folder instead of one graph.", valueName: "dir"))
    var graphs: String?

    @Option(help: ArgumentHelp("With --train-policy --graphs: the clusters to train on, comma-separated (default: k40x4,k40x8,k40x16).", valueName: "a,b,…"))
    var clusters: String?

    @Option(name: .customLong("fine-tune"), parsing: .unconditional, help: ArgumentHelp("With --policy: first continue training on this graph for K PPO iterations (fresh optimiser state); with --evaluate: the fine-tuning iterations per graph (default 29: 29 × 17 simulations + 2 ≤ 500).", valueName: "K"))
    var fineTune: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --policy: fine-tune on the graph and train from scratch, N iterations each, and compare how many simulated placements each needs (curves at --out.svg/.csv).", valueName: "N"))
    var convergence: Int?

    @Flag(help: "With --policy and --graphs: evaluate the policy on every graph (heuristics, zero-shot greedy and best of 16, fine-tuned, lower bound).")
    var evaluate = false

    @Flag(help: "Print as JSON: the placement report (schema \"moegc.placement/1\"), the --compare table (\"moegc.compare/1\") or the --evaluate table.")
    var json = false

    @Option(parsing: .unconditional, help: "PPO iterations to train (default: 200 on one graph, 2000 over --graphs — the shipped policy's; a 24000-iteration run collapsed, see policies/README.md — or the resumed run's own).")
    var iterations: Int?

    @Option(help: ArgumentHelp("Where the trained policy is written (checkpoints go there too; default policies/policy.policy). With --fine-tune, the fine-tuned policy is written only if given.", valueName: "file"))
    var out: String?

    @Flag(help: "Continue the training run whose checkpoint is at --out.")
    var resume = false

    @Option(parsing: .unconditional, help: "With --policy: also sample this many placements and keep the fastest (0: greedy only).")
    var samples: Int = 0

    @Option(name: .customLong("samples-per-iteration"), parsing: .unconditional, help: "Placements sampled per PPO iteration (default 16).")
    var samplesPerIteration: Int?

    @Option(name: .customLong("cloning-steps"), parsing: .unconditional, help: "At most this many behaviour-cloning steps towards the best heuristic before PPO (default 300, or 3 per problem over --graphs, at least 300; stops once it agrees).")
    var cloningSteps: Int?

    @Option(name: .customLong("exploration-moves"), parsing: .unconditional, help: ArgumentHelp("Sample at the temperature at which a sample moves M units from the greedy decision on average (default: off on one graph, 2 over --graphs).", valueName: "M"))
    var explorationMoves: Double?

    @Option(name: .customLong("problems-per-iteration"), parsing: .unconditional, help: ArgumentHelp("With --train-policy --graphs: sample N problems an iteration and take each PPO step along the mean of their gradients (default 1).", valueName: "N"))
    var problemsPerIteration: Int?

    @Flag(name: .customLong("no-priority-head"), help: "Train without the scheduling-priority head (orders from b-level only).")
    var noPriorityHead = false

    @Option(name: .customLong("score-clip"), parsing: .unconditional, help: ArgumentHelp("Train a network whose task·device scores are bounded to ±C (C·tanh(s/C)); default unbounded.", valueName: "C"))
    var scoreClip: Float?

    @Flag(name: .customLong("fusion-head"), help: "Train with a fusion head too: the policy also decides which tasks merge into their sole producer's fusion group when both share a device (GO's joint fusion and placement).")
    var fusionHead = false

    func validate() throws {
        if train && policy != nil { throw ValidationError("--train-policy and --policy cannot be combined") }
        if resume && !train { throw ValidationError("--resume continues a --train-policy run") }
        if evaluate && (policy == nil || graphs == nil) { throw ValidationError("--evaluate needs --policy FILE and --graphs DIR") }
        if graphs != nil && !train && !evaluate { throw ValidationError("--graphs goes with --train-policy or --evaluate") }
        if clusters != nil && (graphs == nil || !train) { throw ValidationError("--clusters goes with --train-policy --graphs (elsewhere use --cluster)") }
        if fineTune != nil && policy == nil { throw ValidationError("--fine-tune continues a trained --policy") }
        if convergence != nil && (policy == nil || graphs != nil) { throw ValidationError("--convergence needs --policy FILE and one graph") }
        func check(_ flag: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
            if let value, !range.contains(value) {
                throw ValidationError("--\(flag) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
            }
        }
        try check("convergence", convergence, 1...TrainingConfig.iterationCounts.upperBound)
        if json && isActive && !evaluate {
            throw ValidationError("--json goes with a placement, --compare or --evaluate, not with training or placing with a policy")
        }
        try check("iterations", iterations, 1...TrainingConfig.iterationCounts.upperBound)
        try check("fine-tune", fineTune, 0...TrainingConfig.iterationCounts.upperBound)
        try check("samples", samples, 0...1_000_000)
        try check("samples-per-iteration", samplesPerIteration, TrainingConfig.sampleCounts)
        if let m = explorationMoves, !(m > 0 && m.isFinite) { throw ValidationError("--exploration-moves must be a positive number, got \(m)") }
        try check("cloning-steps", cloningSteps, TrainingConfig.iterationCounts)
        try check("problems-per-iteration", problemsPerIteration, TrainingConfig.problemCounts)
        if problemsPerIteration != nil && (graphs == nil || !train || resume) {
            throw ValidationError("--problems-per-iteration goes with --train-policy --graphs, without --resume")
        }
        if let c = scoreClip, !(c > 0 && c.isFinite) { throw ValidationError("--score-clip must be a positive number, got \(c)") }
        for (flag, given) in [("score-clip", scoreClip != nil), ("fusion-head", fusionHead), ("no-priority-head", noPriorityHead)]
        where given && (!train || resume) {
            throw ValidationError("--\(flag) shapes a new network: it goes with --train-policy, without --resume (a policy file keeps its own shape)")
        }
    }

    /// Whether any policy action was asked for.
    var isActive: Bool { train || policy != nil }

    /// Where training writes the policy.
    var outPath: String { out ?? "policies/policy.policy" }

    /// The training clusters of a run over --graphs.
    var clusterNames: [String] {
        (clusters ?? "k40x4,k40x8,k40x16").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
