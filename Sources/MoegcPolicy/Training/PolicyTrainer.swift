import Foundation
import MoegcKernels
import MoegcNN
import MoegcSim
import MoegcSupport

/// Trains one ``PlacementPolicy`` with PPO on one ``PolicyProblem`` or on many at once (GO's
/// pre-training over a set of graphs and clusters), after an optional behaviour-cloning warm start
/// towards each problem's best reference placement; or fine-tunes a trained policy on one problem.
///
/// Algorithm
/// ---------
///
///     problems p = 0..<P, each with its own simulator, features and reference step
///     warm start (cloningSteps):  step s on problem clone(s) (ProblemSchedule, rounds over all P):
///                                 minimise −mean_u log π(ref_u) until, on every problem, the greedy
///                                 agreement ≥ target and the loss ≤ target
///     each iteration i on problem p = ppo(i) (another ProblemSchedule: every problem once a round):
///       one forward pass → per-unit device distributions (and per-task priority Gaussians)
///       sample K whole-graph decisions; list-schedule and simulate each (one reused Simulator),
///       and the greedy decision too (it only competes for the best placement found)
///       R_k = −√(step_k / reference_p)   or   outOfMemoryReward if a device overflows
///       A_k = R_k − mean(R)  (or − V(g)),  divided by std(R) if normalising
///       E epochs: PPO loss (see PPOLoss) → backward → Adam (global-norm clipping);
///                 stop early when approx-KL > targetKL; none when all K rewards are equal
///       entropy coefficient decays linearly from entropyStart to entropyEnd
///     problemsPerIteration > 1: the next P problems of the schedule each sample as above; every
///       epoch steps along the mean of their gradients (stopping on their mean approx-KL)
///     hintTracksBest (fine-tuning): each problem's hint input shows its best placement known
///
/// Dividing by each problem's own reference (its best heuristic) puts graphs whose step times
/// differ by orders of magnitude on one reward scale, and since an iteration's K samples all come
/// from one problem, the sample-mean baseline is that problem's own.
///
/// Deterministic: every random draw comes from one SeededGenerator whose state is checkpointed,
/// the problem schedule is a function of the seed and the step, every reduction runs in a fixed
/// order, and OpenBLAS runs single-threaded, so a run resumed from a checkpoint ends with the same
/// bytes as one that never stopped.
public struct PolicyTrainer {
    /// The training problems (one for a single graph).
    public let problems: [PolicyProblem]
    public let policy: PlacementPolicy
    public internal(set) var config: TrainingConfig
    public internal(set) var parameters: ParameterStore
    var adam: Adam
    var rng: SeededGenerator
    /// Completed PPO iterations and cloning steps.
    public internal(set) var iteration = 0
    public internal(set) var cloningSteps = 0
    var cloningConverged = false
    /// Per problem: whether its last cloning step met both targets.
    var cloningAgrees: [Bool]
    public internal(set) var history: [IterationRecord] = []
    /// The best feasible placement so far on each problem (sampled, or the greedy decision of some
    /// iteration), with its priority offsets. Only the step times survive a checkpoint of a run over
    /// several problems; a single problem's placement is kept too.
    public internal(set) var bests: [ReferencePlacement?]
    var bestOffsets: [[Float]]
    /// The merge decisions of each problem's best placement (empty without a fusion head).
    var bestMerges: [[Bool]]
    public internal(set) var samples = 0
    /// Wall time by phase, since this trainer was made (not checkpointed).
    public internal(set) var timing = TimeBreakdown()
    var environments: [PlacementEnvironment]
    /// Each problem's network input; its hint is replaced by the best placement found when
    /// `config.hintTracksBest` is set (see ``PolicyTrainer/iterate()``).
    var prepared: [PreparedInput]
    /// The placement each problem's hint input shows now.
    var hinted: [[Int]]
    let cloningSchedule: ProblemSchedule
    let iterationSchedule: ProblemSchedule

    /// A fresh trainer over `problems` (at least one). Sets OpenBLAS to one thread (determinism and
    /// speed on small matrices).
    public init(problems: [PolicyProblem], policyConfig: PolicyConfig = PolicyConfig(),
                config: TrainingConfig = TrainingConfig()) throws(PolicyError) {
        if let p = policyConfig.problem { throw PolicyError(.invalidConfiguration, "policy: \(p)") }
        if let p = config.problem { throw PolicyError(.invalidConfiguration, "training: \(p)") }
        guard !problems.isEmpty else { throw PolicyError(.invalidConfiguration, "training needs at least one problem") }
        BLAS.setSingleThreaded()
        self.problems = problems
        var store = ParameterStore()
        policy = PlacementPolicy(config: policyConfig, parameters: &store)
        parameters = store
        self.config = config
        adam = Adam(config.adam)
        rng = SeededGenerator(seed: config.seed)
        var environments: [PlacementEnvironment] = []
        for problem in problems {
            do { environments.append(try PlacementEnvironment(problem)) } catch {
                throw PolicyError(.invalidConfiguration, "cannot simulate \(problem.name) on \(problem.cluster.name): \(error)")
            }
        }
        self.environments = environments
        prepared = problems.map { [policy] in policy.prepare(Featurizer.input(for: $0, vocabulary: policy.config.vocabulary)) }
        hinted = problems.map(\.reference.placement)
        cloningAgrees = Array(repeating: false, count: problems.count)
        bests = Array(repeating: nil, count: problems.count)
        bestOffsets = Array(repeating: [], count: problems.count)
        bestMerges = Array(repeating: [], count: problems.count)
        cloningSchedule = ProblemSchedule(problemCount: problems.count, seed: config.seed, salt: 0x636C6F6E65)
        iterationSchedule = ProblemSchedule(problemCount: problems.count, seed: config.seed, salt: 0x70706F)
    }

    /// A fresh trainer on one problem.
    public init(problem: PolicyProblem, policyConfig: PolicyConfig = PolicyConfig(),
                config: TrainingConfig = TrainingConfig()) throws(PolicyError) {
        try self.init(problems: [problem], policyConfig: policyConfig, config: config)
    }

    /// A trainer continuing from `checkpoint`, which must have been trained on these problems (for
    /// files that list them, the same keys in the same order; older files: same graph name, task
    /// and device counts). `iterations` may then be raised with ``setIterations(_:)``.
    public init(problems: [PolicyProblem], resuming checkpoint: PolicyCheckpoint) throws(PolicyError) {
        let keys = problems.map(\.key)
        let matches = checkpoint.problems.isEmpty
            ? problems.count == 1 && checkpoint.taskCount == problems[0].taskCount
                && checkpoint.deviceCount == problems[0].deviceCount && checkpoint.graphName == problems[0].name
            : checkpoint.problems == keys
        guard matches else {
            let trained = checkpoint.problems.isEmpty
                ? "'\(checkpoint.graphName)' (\(checkpoint.taskCount) tasks, \(checkpoint.deviceCount) devices)"
                : Self.describe(checkpoint.problems)
            throw PolicyError(.problemMismatch, "the checkpoint was trained on \(trained), not \(Self.describe(keys))")
        }
        try self.init(problems: problems, policyConfig: checkpoint.policyConfig, config: checkpoint.trainingConfig)
        try loadWeights(checkpoint)
        adam = try checkpoint.optimizer()
        guard let restored = SeededGenerator(state: checkpoint.rngState) else {
            throw PolicyError(.invalidContents, "the stored generator state is invalid")
        }
        rng = restored
        iteration = checkpoint.iteration
        cloningSteps = checkpoint.cloningSteps
        cloningConverged = checkpoint.iteration > 0 || checkpoint.cloningSteps >= config.cloningSteps
        history = checkpoint.history
        samples = checkpoint.samples
        for (p, step) in checkpoint.problemBestSteps.enumerated() where p < problems.count && step > 0 {
            bests[p] = ReferencePlacement(name: "policy", placement: [], stepTime: step)
        }
        if problems.count == 1, let best = checkpoint.best {
            bests[0] = best
            bestOffsets[0] = checkpoint.bestPriorityOffsets
            bestMerges[0] = checkpoint.bestMerges
        }
    }

    /// A trainer continuing one problem's run from `checkpoint`.
    public init(problem: PolicyProblem, resuming checkpoint: PolicyCheckpoint) throws(PolicyError) {
        try self.init(problems: [problem], resuming: checkpoint)
    }

    /// Fine-tuning: the trained policy in `checkpoint` (any graphs, any cluster) continues with PPO
    /// on `problem` for `iterations` iterations. Its network and training hyperparameters are the
    /// checkpoint's; the optimiser starts fresh (Adam's moments of the pre-training run describe
    /// other graphs' gradients), there is no behaviour cloning, sampling draws from `seed`, and the
    /// hint input follows the best placement found (`hintTracksBest`, unless `tracksBest` is false).
    public init(fineTuning checkpoint: PolicyCheckpoint, on problem: PolicyProblem, iterations: Int,
                seed: UInt64, tracksBest: Bool = true) throws(PolicyError) {
        var config = checkpoint.trainingConfig
        config.iterations = iterations
        config.cloningSteps = 0
        config.seed = seed
        config.hintTracksBest = tracksBest
        try self.init(problems: [problem], policyConfig: checkpoint.policyConfig, config: config)
        try loadWeights(checkpoint)
        cloningConverged = true
    }

    private mutating func loadWeights(_ checkpoint: PolicyCheckpoint) throws(PolicyError) {
        do { try parameters.load(checkpoint.parameters) } catch {
            throw PolicyError(.invalidContents, "the stored weights do not fit the network: \(error.message)")
        }
    }

    private static func describe(_ keys: [String]) -> String {
        keys.count == 1 ? keys[0] : "\(keys.count) problems (\(keys.prefix(3).joined(separator: ", "))\(keys.count > 3 ? ", …" : ""))"
    }

    /// The single problem of a one-problem trainer (the first of several otherwise).
    public var problem: PolicyProblem { problems[0] }

    /// The best feasible placement found on the first (for a single-graph run: the) problem.
    public var best: ReferencePlacement? { bests[0] }
    public var bestPriorityOffsets: [Float] { bestOffsets[0] }
    public var bestMergeDecisions: [Bool] { bestMerges[0] }

    /// Whether every planned cloning step and iteration has run.
    public var isFinished: Bool { isCloningFinished && iteration >= config.iterations }
    public var isCloningFinished: Bool { cloningConverged || cloningSteps >= config.cloningSteps }

    /// Changes the planned number of iterations (e.g. `--iterations` on resume).
    public mutating func setIterations(_ n: Int) { config.iterations = max(0, n) }

    /// The problem the next PPO iteration trains on.
    public var nextProblem: Int { iterationSchedule.problem(at: iteration * problemsPerIteration) }

    /// The trainer's whole state.
    public var checkpoint: PolicyCheckpoint {
        let state = adam.state
        let single = problems.count == 1
        let first = problems[0]
        var checkpoint = PolicyCheckpoint(
            policyConfig: policy.config, trainingConfig: config, iteration: iteration, cloningSteps: cloningSteps,
            parameters: parameters, optimizerStep: adam.stepCount,
            optimizerMoments: state.tensors.map { NamedTensor(name: String($0.name.dropFirst("adam.".count)), tensor: $0.tensor) },
            rngState: rng.state, history: history, best: single ? bests[0] : nil,
            bestPriorityOffsets: single ? bestOffsets[0] : [],
            graphName: single ? first.name : "\(problems.count) problems",
            clusterName: single ? first.cluster.name : Self.clusterNames(problems),
            taskCount: single ? first.taskCount : 0, deviceCount: single ? first.deviceCount : 0,
            referenceName: single ? first.reference.name : "", referenceStep: single ? first.reference.stepTime : 0,
            samples: samples, problems: problems.map(\.key), problemBestSteps: bests.map { $0?.stepTime ?? 0 })
        if single { checkpoint.bestMerges = bestMerges[0] }
        return checkpoint
    }

    private static func clusterNames(_ problems: [PolicyProblem]) -> String {
        var seen: [String] = []
        for p in problems where !seen.contains(p.cluster.name) { seen.append(p.cluster.name) }
        return seen.joined(separator: ",")
    }

    /// The reward of one simulated outcome on problem `p`.
    public func reward(_ outcome: PlacementOutcome, problem p: Int = 0) -> Double {
        outcome.outOfMemory ? config.outOfMemoryReward : -(outcome.stepTime / problems[p].reference.stepTime).squareRoot()
    }

    func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let d = start.duration(to: clock.now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

extension PolicyProblem {
    /// Identifies a training problem in checkpoints: `graph@cluster:tasks×devices`.
    public var key: String { "\(name)@\(cluster.name):\(taskCount)×\(deviceCount)" }
}
