import MoegcKernels
import MoegcNN
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// Places problems with a trained policy: greedily (each task's most likely device, the mean
/// priority offsets), or the best of N sampled decisions by simulated step time. On the very
/// problem it was trained on (same graph name, task and device counts, cluster name), the best
/// placement found in training competes too.
public struct PolicyPlacer {
    public let policy: PlacementPolicy
    public let parameters: ParameterStore
    private let trainedOn: (graph: String, cluster: String, tasks: Int, devices: Int)
    private let remembered: SampledPlacement?
    /// Units a sample is expected to move away from the greedy decision (the training run's
    /// exploration), or nil to sample the policy as it is.
    private let explorationMoves: Double?

    /// The policy stored in `checkpoint` (any graph, any device count).
    public init(_ checkpoint: PolicyCheckpoint) throws(PolicyError) {
        var store = ParameterStore()
        policy = PlacementPolicy(config: checkpoint.policyConfig, parameters: &store)
        do { try store.load(checkpoint.parameters) } catch {
            throw PolicyError(.invalidContents, "the stored weights do not fit the network: \(error.message)")
        }
        parameters = store
        trainedOn = (checkpoint.graphName, checkpoint.clusterName, checkpoint.taskCount, checkpoint.deviceCount)
        remembered = checkpoint.best.map {
            SampledPlacement(placement: $0.placement, priorityOffsets: checkpoint.bestPriorityOffsets.isEmpty ? nil : checkpoint.bestPriorityOffsets,
                             merge: checkpoint.bestMerges.isEmpty ? nil : checkpoint.bestMerges,
                             origin: "best found in training")
        }
        explorationMoves = checkpoint.trainingConfig.explorationMoves
        BLAS.setSingleThreaded()
    }

    /// The policy's decision for `problem`. `samples` = 0 is greedy; otherwise the greedy decision
    /// competes with `samples` sampled ones (drawn from `seed`, at the training run's exploration
    /// temperature if it had one) and the fastest feasible one wins
    /// (if every candidate runs out of memory, the fastest of them is returned, flagged).
    public func place(_ problem: PolicyProblem, samples: Int = 0, seed: UInt64 = 1)
        throws(PolicyError) -> (decision: SampledPlacement, outcome: PlacementOutcome)
    {
        var timing = PlacingTime()
        return try place(problem, samples: samples, seed: seed, timing: &timing)
    }

    /// ``place(_:samples:seed:)``, recording where the wall time went in `timing`.
    public func place(_ problem: PolicyProblem, samples: Int = 0, seed: UInt64 = 1, timing: inout PlacingTime)
        throws(PolicyError) -> (decision: SampledPlacement, outcome: PlacementOutcome)
    {
        let clock = ContinuousClock()
        var t0 = clock.now
        func lap() -> Double {
            let d = t0.duration(to: clock.now)
            t0 = clock.now
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var environment: PlacementEnvironment
        do { environment = try PlacementEnvironment(problem) } catch {
            throw PolicyError(.invalidConfiguration, "cannot simulate this problem: \(error)")
        }
        timing.environment += lap()
        let prepared = policy.prepare(Featurizer.input(for: problem, vocabulary: policy.config.vocabulary))
        timing.features += lap()
        let tape = Tape(parameters: parameters, recording: false, threads: PlacingThreads.forTasks(problem.taskCount))
        let output = policy(prepared, tape: tape)
        _ = output.logProbabilities.value
        timing.forward += lap()
        let temperature = samples > 0 ? explorationMoves.map { Sampler.temperature(forMoves: $0, logits: output.logits.value) } ?? 1 : 1
        let logProbabilities = output.tempered(temperature).logProbabilities.value
        let mean = output.priorityMean?.value
        let fusion = output.fusionLogProbabilities?.value
        var candidates = [SampledPlacement(placement: problem.expand(Sampler.greedy(logProbabilities)), priorityOffsets: mean?.scalars,
                                           merge: fusion.map(Sampler.greedyMerges), origin: "greedy")]
        if let remembered, trainedOn == (problem.name, problem.cluster.name, problem.taskCount, problem.deviceCount),
           (remembered.merge?.count ?? environment.merging.candidates.count) == environment.merging.candidates.count {
            candidates.append(remembered)
        }
        var rng = SeededGenerator(seed: seed)
        let logStd = output.priorityLogStd?.value.scalar ?? 0
        for k in 0..<max(0, samples) {
            let placement = problem.expand(Sampler.sample(logProbabilities, using: &rng))
            let offsets = mean.map { Sampler.priorities(mean: $0, logStd: logStd, using: &rng) }
            let merge = fusion.map { Sampler.merges($0, using: &rng).merge }
            candidates.append(SampledPlacement(placement: placement, priorityOffsets: offsets, merge: merge, origin: "sample \(k + 1)"))
        }
        timing.decide += lap()
        var best: (SampledPlacement, PlacementOutcome)? = nil
        defer { timing.simulate += lap() }
        for candidate in candidates {
            let outcome = environment.evaluate(candidate.placement, priorityOffsets: candidate.priorityOffsets, merge: candidate.merge)
            guard let current = best else { best = (candidate, outcome); continue }
            let better = current.1.outOfMemory ? !outcome.outOfMemory || outcome.stepTime < current.1.stepTime
                : !outcome.outOfMemory && outcome.stepTime < current.1.stepTime
            if better { best = (candidate, outcome) }
        }
        var (decision, outcome) = best!
        decision.schedulePriorities = environment.priorities(decision.placement, priorityOffsets: decision.priorityOffsets)
        return (decision, outcome)
    }
}

/// Where `PolicyPlacer.place` spent its wall time, seconds.
public struct PlacingTime: Sendable, Hashable {
    /// The simulator for the problem (and, when the best heuristic has its own order, one simulation
    /// of it in each order to choose the base priorities).
    public var environment = 0.0
    /// Features, edge lists, topological order and position codes.
    public var features = 0.0
    /// The network's forward pass (no tape recorded).
    public var forward = 0.0
    /// Greedy decisions, sampling, expanding units to tasks.
    public var decide = 0.0
    /// Scheduling and simulating the candidates.
    public var simulate = 0.0

    public init() {}

    public var total: Double { environment + features + forward + decide + simulate }
}
