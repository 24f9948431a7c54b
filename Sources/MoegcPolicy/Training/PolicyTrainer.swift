import Foundation
import MoegcKernels
import MoegcNN
import MoegcSupport

/// Trains a ``PlacementPolicy`` on one ``PolicyProblem`` with PPO, after an optional
/// behaviour-cloning warm start towards the best reference placement.
///
/// Algorithm
/// ---------
///
///     warm start (cloningSteps):  minimise −mean_u log π(ref_u) over units until the greedy
///                                 agreement ≥ target and the loss ≤ target
///     each iteration i:
///       one forward pass → per-unit device distributions (and per-task priority Gaussians)
///       sample K whole-graph decisions; list-schedule and simulate each (one reused Simulator),
///       and the greedy decision too (it only competes for the best placement found)
///       R_k = −√(step_k / reference)   or   outOfMemoryReward if a device overflows
///       A_k = R_k − mean(R)  (or − V(g)),  divided by std(R) if normalising
///       E epochs: PPO loss (see PPOLoss) → backward → Adam (global-norm clipping);
///                 stop early when approx-KL > targetKL; none when all K rewards are equal
///       entropy coefficient decays linearly from entropyStart to entropyEnd
///
/// Deterministic: every random draw comes from one SeededGenerator whose state is checkpointed,
/// every reduction runs in a fixed order, and OpenBLAS runs single-threaded, so a run resumed from a
/// checkpoint ends with the same bytes as one that never stopped.
public struct PolicyTrainer {
    public let problem: PolicyProblem
    public let policy: PlacementPolicy
    public private(set) var config: TrainingConfig
    public private(set) var parameters: ParameterStore
    private var adam: Adam
    private var rng: SeededGenerator
    /// Completed PPO iterations and cloning steps.
    public private(set) var iteration = 0
    public private(set) var cloningSteps = 0
    private var cloningConverged = false
    public private(set) var history: [IterationRecord] = []
    /// The best feasible placement so far: sampled, or the greedy decision of some iteration.
    public private(set) var best: ReferencePlacement?
    public private(set) var bestPriorityOffsets: [Float] = []
    public private(set) var samples = 0
    /// Wall time by phase, since this trainer was made (not checkpointed).
    public private(set) var timing = TimeBreakdown()
    private var environment: PlacementEnvironment
    private let prepared: PreparedInput

    /// A fresh trainer. Sets OpenBLAS to one thread (determinism and speed on small matrices).
    public init(problem: PolicyProblem, policyConfig: PolicyConfig = PolicyConfig(),
                config: TrainingConfig = TrainingConfig()) throws(PolicyError) {
        if let p = policyConfig.problem { throw PolicyError(.invalidConfiguration, "policy: \(p)") }
        if let p = config.problem { throw PolicyError(.invalidConfiguration, "training: \(p)") }
        BLAS.setSingleThreaded()
        self.problem = problem
        var store = ParameterStore()
        policy = PlacementPolicy(config: policyConfig, parameters: &store)
        parameters = store
        self.config = config
        adam = Adam(config.adam)
        rng = SeededGenerator(seed: config.seed)
        do { environment = try PlacementEnvironment(problem) } catch {
            throw PolicyError(.invalidConfiguration, "cannot simulate this problem: \(error)")
        }
        prepared = policy.prepare(Featurizer.input(for: problem))
    }

    /// A trainer continuing from `checkpoint`, which must have been trained on `problem`
    /// (same graph name, task and device counts). `iterations` may raise the run's length.
    public init(problem: PolicyProblem, resuming checkpoint: PolicyCheckpoint) throws(PolicyError) {
        guard checkpoint.taskCount == problem.taskCount, checkpoint.deviceCount == problem.deviceCount,
              checkpoint.graphName == problem.name else {
            throw PolicyError(.problemMismatch, "the checkpoint was trained on '\(checkpoint.graphName)' "
                + "(\(checkpoint.taskCount) tasks, \(checkpoint.deviceCount) devices), not '\(problem.name)' "
                + "(\(problem.taskCount) tasks, \(problem.deviceCount) devices)")
        }
        try self.init(problem: problem, policyConfig: checkpoint.policyConfig, config: checkpoint.trainingConfig)
        do { try parameters.load(checkpoint.parameters) } catch {
            throw PolicyError(.invalidContents, "the stored weights do not fit the network: \(error.message)")
        }
        adam = try checkpoint.optimizer()
        guard let restored = SeededGenerator(state: checkpoint.rngState) else {
            throw PolicyError(.invalidContents, "the stored generator state is invalid")
        }
        rng = restored
        iteration = checkpoint.iteration
        cloningSteps = checkpoint.cloningSteps
        cloningConverged = checkpoint.iteration > 0 || checkpoint.cloningSteps >= config.cloningSteps
        history = checkpoint.history
        best = checkpoint.best
        bestPriorityOffsets = checkpoint.bestPriorityOffsets
        samples = checkpoint.samples
    }

    /// Whether every planned cloning step and iteration has run.
    public var isFinished: Bool { isCloningFinished && iteration >= config.iterations }
    public var isCloningFinished: Bool { cloningConverged || cloningSteps >= config.cloningSteps }

    /// Changes the planned number of iterations (e.g. `--iterations` on resume).
    public mutating func setIterations(_ n: Int) { config.iterations = max(0, n) }

    /// The trainer's whole state.
    public var checkpoint: PolicyCheckpoint {
        let state = adam.state
        return PolicyCheckpoint(
            policyConfig: policy.config, trainingConfig: config, iteration: iteration, cloningSteps: cloningSteps,
            parameters: parameters, optimizerStep: adam.stepCount,
            optimizerMoments: state.tensors.map { NamedTensor(name: String($0.name.dropFirst("adam.".count)), tensor: $0.tensor) },
            rngState: rng.state, history: history, best: best, bestPriorityOffsets: bestPriorityOffsets,
            graphName: problem.name, clusterName: problem.cluster.name, taskCount: problem.taskCount,
            deviceCount: problem.deviceCount, referenceName: problem.reference.name,
            referenceStep: problem.reference.stepTime, samples: samples)
    }

    /// One behaviour-cloning step towards the best reference placement (each unit towards the device
    /// most of its tasks use there); returns the loss and the fraction of units the policy (greedily)
    /// placed as the reference did before the step.
    @discardableResult
    public mutating func cloneStep() -> (loss: Double, accuracy: Double) {
        let target = problem.unitDevices(of: problem.reference.placement)
        let clock = ContinuousClock()
        var t0 = clock.now
        let tape = Tape(parameters: parameters)
        let output = policy(prepared, tape: tape)
        let loss = -output.logProbabilities.pick(target.map { Int32($0) }).mean()
        timing.forward += seconds(since: t0, clock)
        let greedy = Sampler.greedy(output.logProbabilities.value)
        let accuracy = Double(zip(greedy, target).filter { $0 == $1 }.count) / Double(max(target.count, 1))
        t0 = clock.now
        let gradients = tape.backward(loss).parameters
        timing.backward += seconds(since: t0, clock)
        t0 = clock.now
        adam.config.learningRate = config.cloningLearningRate
        adam.step(&parameters, gradients: gradients)
        adam.config.learningRate = config.learningRate
        timing.optimizer += seconds(since: t0, clock)
        cloningSteps += 1
        if accuracy >= Double(config.cloningTargetAccuracy) && loss.value.scalar <= config.cloningTargetLoss {
            cloningConverged = true
        }
        return (Double(loss.value.scalar), accuracy)
    }

    /// The reward of one simulated outcome.
    public func reward(_ outcome: PlacementOutcome) -> Double {
        outcome.outOfMemory ? config.outOfMemoryReward : -(outcome.stepTime / problem.reference.stepTime).squareRoot()
    }

    private func seconds(since start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
        let d = start.duration(to: clock.now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// One PPO iteration: sample, simulate, update. Returns its learning-curve row.
    @discardableResult
    public mutating func iterate() -> IterationRecord {
        let clock = ContinuousClock()
        let n = problem.taskCount, k = config.samplesPerIteration
        var t0 = clock.now
        var tape = Tape(parameters: parameters)
        var output = policy(prepared, tape: tape)
        timing.forward += seconds(since: t0, clock)

        t0 = clock.now
        let logProbabilities = output.logProbabilities.value
        let mean = output.priorityMean?.value
        let logStd = output.priorityLogStd?.value.scalar ?? 0
        let u = problem.unitCount, d = problem.deviceCount
        var batch = PPOBatch(unitCount: u, taskCount: n)
        batch.actions.reserveCapacity(k * u)
        batch.oldPlacementLogProbabilities.reserveCapacity(k * u)
        var decisions: [SampledPlacement] = []
        for _ in 0..<k {
            let unitDevices = Sampler.sample(logProbabilities, using: &rng)
            for (unit, device) in unitDevices.enumerated() {
                batch.actions.append(Int32(device))
                batch.oldPlacementLogProbabilities.append(logProbabilities.scalars[unit * d + device])
            }
            let offsets = mean.map { Sampler.priorities(mean: $0, logStd: logStd, using: &rng) }
            if let offsets, let mean {
                batch.offsets.append(contentsOf: offsets)
                for t in 0..<n {
                    batch.oldPriorityLogDensities.append(PPOLoss.gaussianLogDensity(offsets[t], mean: mean.scalars[t], logStd: logStd))
                }
            }
            decisions.append(SampledPlacement(placement: problem.expand(unitDevices), priorityOffsets: offsets))
        }
        timing.sampling += seconds(since: t0, clock)

        t0 = clock.now
        // The greedy decision competes for the best placement too (it is not part of the batch).
        let greedy = SampledPlacement(placement: problem.expand(Sampler.greedy(logProbabilities)), priorityOffsets: mean?.scalars)
        let greedyOutcome = environment.evaluate(greedy.placement, priorityOffsets: greedy.priorityOffsets)
        if !greedyOutcome.outOfMemory && greedyOutcome.stepTime < (best?.stepTime ?? .infinity) {
            best = ReferencePlacement(name: "policy", placement: greedy.placement, stepTime: greedyOutcome.stepTime)
            bestPriorityOffsets = greedy.priorityOffsets ?? []
        }
        var rewards: [Double] = [], feasibleSteps: [Double] = []
        for decision in decisions {
            let outcome = environment.evaluate(decision.placement, priorityOffsets: decision.priorityOffsets)
            rewards.append(reward(outcome))
            if !outcome.outOfMemory {
                feasibleSteps.append(outcome.stepTime)
                if outcome.stepTime < (best?.stepTime ?? .infinity) {
                    best = ReferencePlacement(name: "policy", placement: decision.placement, stepTime: outcome.stepTime)
                    bestPriorityOffsets = decision.priorityOffsets ?? []
                }
            }
        }
        samples += k
        timing.simulation += seconds(since: t0, clock)

        let meanReward = rewards.reduce(0, +) / Double(k)
        let value = Double(output.value.value.scalars[0])
        let baseline = config.baseline == .sampleMean ? meanReward : value
        let spread = (rewards.map { ($0 - meanReward) * ($0 - meanReward) }.reduce(0, +) / Double(k)).squareRoot()
        let scale = config.normalizeAdvantages && spread > 1e-8 ? spread : 1
        batch.advantages = rewards.map { Float(($0 - baseline) / scale) }
        batch.rewards = rewards.map { Float($0) }
        let residual = rewards.map { $0 - value }
        let residualMean = residual.reduce(0, +) / Double(k)
        let residualVariance = residual.map { ($0 - residualMean) * ($0 - residualMean) }.reduce(0, +) / Double(k)
        let explained = spread > 1e-12 ? 1 - residualVariance / (spread * spread) : 0

        let entropyCoefficient = config.entropyCoefficient(iteration: iteration, of: config.iterations)
        var statistics = PPOStatistics()
        statistics.entropy = Double(output.logits.stopGradient().categoricalEntropy().mean().value.scalar)
        var gradientNorm = 0.0
        // Every sample scored the same: nothing to learn from this batch but the value; skip the
        // update rather than let the optimiser amplify noise.
        let epochs = spread > 1e-12 ? config.epochs : 0
        for epoch in 0..<epochs {
            if epoch > 0 {
                t0 = clock.now
                tape = Tape(parameters: parameters)
                output = policy(prepared, tape: tape)
                timing.forward += seconds(since: t0, clock)
            }
            let (loss, stats) = PPOLoss.loss(output, batch: batch, clip: config.clip, entropyCoefficient: entropyCoefficient,
                                             valueCoefficient: config.valueCoefficient)
            if epoch > 0 && config.targetKL > 0 && stats.approxKL > Double(config.targetKL) { break }
            statistics = stats
            t0 = clock.now
            let gradients = tape.backward(loss).parameters
            timing.backward += seconds(since: t0, clock)
            t0 = clock.now
            gradientNorm = adam.step(&parameters, gradients: gradients).gradientNorm
            timing.optimizer += seconds(since: t0, clock)
        }
        iteration += 1
        let record = IterationRecord(
            iteration: iteration, meanReward: meanReward, bestReward: rewards.max() ?? 0,
            meanStep: feasibleSteps.isEmpty ? 0 : feasibleSteps.reduce(0, +) / Double(feasibleSteps.count),
            bestStep: best?.stepTime ?? 0, entropy: statistics.entropy, approxKL: statistics.approxKL,
            clipFraction: statistics.clipFraction, explainedVariance: explained, valueLoss: statistics.valueLoss,
            gradientNorm: gradientNorm, outOfMemoryFraction: Double(k - feasibleSteps.count) / Double(k), samples: samples)
        history.append(record)
        return record
    }
}
