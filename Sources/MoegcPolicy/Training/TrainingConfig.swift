import MoegcNN
import MoegcPlacement

/// How advantages are measured.
public enum AdvantageBaseline: String, Sendable, Hashable, Codable {
    /// Reward minus the mean reward of the iteration's samples (HDP's and GO's choice for one graph).
    case sampleMean
    /// Reward minus the value head's prediction for the graph (needed when graphs mix in a batch).
    case valueHead
}

/// Every PPO and training hyperparameter, with documented defaults (CleanRL's list, GO's values
/// where the paper or its reproductions give them). Saved in checkpoints as JSON.
public struct TrainingConfig: Sendable, Hashable, Codable {
    /// PPO iterations of a training run (default 200); the entropy bonus decays over them.
    public var iterations: Int = 200
    /// Placements sampled and simulated per iteration (default 16).
    public var samplesPerIteration: Int = 16
    /// Optimisation epochs over each batch (default 4).
    public var epochs: Int = 4
    /// PPO ratio clip ε (default 0.2).
    public var clip: Float = 0.2
    /// Adam step size (default 3e-4; GO used 1e-4 with far larger batches; 1e-3 diverged on
    /// MoE-256-h: one update already exceeded the KL target).
    public var learningRate: Float = 3e-4
    /// Global gradient-norm bound (default 1).
    public var maxGradientNorm: Float = 1
    /// Entropy bonus at iteration 0 (default 0.001) …  GO's 0.01 swamped the per-unit policy
    /// gradient on a 2000-task graph (whose average over 16 samples is mostly noise), so entropy
    /// rose towards uniform and rewards fell.
    public var entropyStart: Float = 0.001
    /// … decaying linearly to this at the last iteration (default 0.0001).
    public var entropyEnd: Float = 0.0001
    /// Weight of the value head's squared error (default 0.5).
    public var valueCoefficient: Float = 0.5
    /// Baseline for the advantages (default sample mean).
    public var baseline: AdvantageBaseline = .sampleMean
    /// Divide advantages by the batch's standard deviation (default true).
    public var normalizeAdvantages: Bool = true
    /// Reward of a placement that runs out of memory (default −3, i.e. as bad as 9× the reference).
    public var outOfMemoryReward: Double = -3
    /// Stop an epoch loop early when the approximate KL exceeds this (default 0.03; 0 disables).
    public var targetKL: Float = 0.03
    /// Behaviour-cloning steps towards the best reference placement before PPO (default 300; 0 = off).
    public var cloningSteps: Int = 300
    /// Step size of behaviour cloning (default 3e-3).
    public var cloningLearningRate: Float = 3e-3
    /// Stop cloning early once this fraction of units is placed (greedily) as the reference does …
    /// (default 0.98) …
    public var cloningTargetAccuracy: Float = 0.98
    /// … and the mean negative log-likelihood of the reference is at most this (default 0.1, a
    /// geometric-mean probability of 0.9): agreement of the argmax alone can come with a nearly
    /// flat distribution, whose samples are far worse than the reference (seen on 16 devices).
    public var cloningTargetLoss: Float = 0.1
    /// Write a checkpoint every this many iterations (default 10).
    public var checkpointEvery: Int = 10
    /// Seed of sampling (default 1). The initial weights use `PolicyConfig.initSeed`.
    public var seed: UInt64 = 1
    /// Exploration by temperature: when set, every iteration samples the device distributions at
    /// the temperature τ at which one sample is expected to place this many units away from the
    /// greedy decision (τ found by bisection in [0.05, 100]; PPO's ratios use the same τ), and
    /// best-of-N placing samples the same way. nil (the default) samples the policy as it is (τ = 1).
    /// A cloned policy is so sharp that its samples mostly equal the greedy decision (then no update
    /// happens), or, on other graphs, so flat that every sample moves dozens of units: a fixed
    /// expected number of moves keeps samples near the greedy decision on every graph, like a
    /// local search whose moves the policy proposes, with sharp credit for each move.
    public var explorationMoves: Double? = nil
    /// The heuristics whose best placement is the hint, the reward's reference and the cloning
    /// target; a trained policy is applied with the same set. nil (the default, and files that
    /// predate the field) means `.all`; training over many graphs uses `.fast`.
    public var referenceHeuristics: HeuristicSet? = nil
    /// Whether the hint input follows the best placement known on each problem: the best
    /// heuristic's until a placement found beats it, then that one (from the next iteration on). The policy learned to
    /// place relative to its hint, so its greedy decision and its samples move to the new best at
    /// once: PPO then explores around the best placement known, a local search whose moves the
    /// policy proposes. nil/false (the default, and files that predate the field): the hint stays;
    /// fine-tuning turns it on.
    public var hintTracksBest: Bool? = nil
    /// Problems an iteration samples and updates on together, over many problems: each PPO epoch
    /// then steps along the mean of their gradients (advantages still normalised per problem).
    /// nil (the default, and files that predate the field) or 1: one problem an iteration.
    public var problemsPerIteration: Int? = nil

    public init() {}

    /// The entropy coefficient at `iteration` of `total`.
    public func entropyCoefficient(iteration: Int, of total: Int) -> Float {
        let progress = total > 1 ? min(1, Float(iteration) / Float(total - 1)) : 1
        return entropyStart + (entropyEnd - entropyStart) * progress
    }

    /// Why this configuration cannot train, or nil.
    /// Counts a configuration may take: beyond them a run would only allocate or loop without end.
    public static let iterationCounts = 0...10_000_000
    public static let sampleCounts = 2...1024
    public static let epochCounts = 1...1000
    public static let problemCounts = 1...1024

    public var problem: String? {
        func range(_ r: ClosedRange<Int>) -> String { "\(r.lowerBound)...\(r.upperBound)" }
        if !Self.iterationCounts.contains(iterations) { return "iterations must be in \(range(Self.iterationCounts)), got \(iterations)" }
        if !Self.sampleCounts.contains(samplesPerIteration) {
            return "samplesPerIteration must be in \(range(Self.sampleCounts)), got \(samplesPerIteration)"
        }
        if !Self.epochCounts.contains(epochs) { return "epochs must be in \(range(Self.epochCounts)), got \(epochs)" }
        if !(clip > 0 && clip < 1) { return "clip must be in (0, 1), got \(clip)" }
        if !(learningRate > 0 && learningRate.isFinite) || !(cloningLearningRate > 0 && cloningLearningRate.isFinite) {
            return "learning rates must be positive and finite, got \(learningRate) and \(cloningLearningRate)"
        }
        if !(maxGradientNorm > 0 && maxGradientNorm.isFinite) { return "maxGradientNorm must be positive and finite, got \(maxGradientNorm)" }
        if !Self.iterationCounts.contains(cloningSteps) { return "cloningSteps must be in \(range(Self.iterationCounts)), got \(cloningSteps)" }
        if checkpointEvery < 1 { return "checkpointEvery must be ≥ 1, got \(checkpointEvery)" }
        if !outOfMemoryReward.isFinite { return "outOfMemoryReward must be finite" }
        for (name, x) in [("entropyStart", entropyStart), ("entropyEnd", entropyEnd), ("valueCoefficient", valueCoefficient),
                          ("targetKL", targetKL), ("cloningTargetAccuracy", cloningTargetAccuracy), ("cloningTargetLoss", cloningTargetLoss)]
            where !x.isFinite { return "\(name) must be finite, got \(x)" }
        if let m = explorationMoves, !(m > 0 && m.isFinite) { return "explorationMoves must be positive and finite, got \(m)" }
        if let p = problemsPerIteration, !Self.problemCounts.contains(p) {
            return "problemsPerIteration must be in \(range(Self.problemCounts)), got \(p)"
        }
        return nil
    }

    var adam: AdamConfig { AdamConfig(learningRate: learningRate, maxGradientNorm: maxGradientNorm) }
}
