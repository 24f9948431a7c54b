import ArgumentParser

/// The learned-placement options of `moegc place`: training a policy on the graph, or placing it
/// with a trained one. The command's `--seed` seeds the policy's sampling (training and --samples).
struct PolicyOptions: ParsableArguments {
    @Flag(name: .customLong("train-policy"), help: "Train a placement policy on this graph with PPO (see --iterations, --out, --resume).")
    var train = false

    @Option(help: ArgumentHelp("Place with this trained policy file.", valueName: "file"))
    var policy: String?

    @Option(help: "PPO iterations to train (default: 200, or the resumed run's own).")
    var iterations: Int?

    @Option(help: ArgumentHelp("Where the trained policy is written (checkpoints go there too).", valueName: "file"))
    var out: String = "policies/policy.policy"

    @Flag(help: "Continue the training run whose checkpoint is at --out.")
    var resume = false

    @Option(help: "With --policy: also sample this many placements and keep the fastest (0: greedy only).")
    var samples: Int = 0

    @Option(name: .customLong("samples-per-iteration"), help: "Placements sampled per PPO iteration (default 16).")
    var samplesPerIteration: Int?

    @Option(name: .customLong("cloning-steps"), help: "At most this many behaviour-cloning steps towards the best heuristic before PPO (default 300; stops once it agrees).")
    var cloningSteps: Int?

    @Flag(name: .customLong("no-priority-head"), help: "Train without the scheduling-priority head (orders from b-level only).")
    var noPriorityHead = false

    func validate() throws {
        if train && policy != nil { throw ValidationError("--train-policy and --policy cannot be combined") }
        if resume && !train { throw ValidationError("--resume continues a --train-policy run") }
        if let iterations, iterations < 0 { throw ValidationError("--iterations must be ≥ 0") }
        if samples < 0 { throw ValidationError("--samples must be ≥ 0") }
        if let s = samplesPerIteration, s < 2 { throw ValidationError("--samples-per-iteration must be ≥ 2") }
        if let c = cloningSteps, c < 0 { throw ValidationError("--cloning-steps must be ≥ 0") }
    }

    /// Whether any policy action was asked for.
    var isActive: Bool { train || policy != nil }
}
