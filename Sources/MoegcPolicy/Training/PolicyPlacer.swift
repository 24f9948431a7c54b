import MoegcKernels
import MoegcNN
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
                             origin: "best found in training")
        }
        BLAS.setSingleThreaded()
    }

    /// The policy's decision for `problem`. `samples` = 0 is greedy; otherwise the greedy decision
    /// competes with `samples` sampled ones (drawn from `seed`) and the fastest feasible one wins
    /// (if every candidate runs out of memory, the fastest of them is returned, flagged).
    public func place(_ problem: PolicyProblem, samples: Int = 0, seed: UInt64 = 1)
        throws(PolicyError) -> (decision: SampledPlacement, outcome: PlacementOutcome)
    {
        var environment: PlacementEnvironment
        do { environment = try PlacementEnvironment(problem) } catch {
            throw PolicyError(.invalidConfiguration, "cannot simulate this problem: \(error)")
        }
        let tape = Tape(parameters: parameters, recording: false)
        let output = policy(policy.prepare(Featurizer.input(for: problem)), tape: tape)
        let logProbabilities = output.logProbabilities.value
        let mean = output.priorityMean?.value
        var candidates = [SampledPlacement(placement: problem.expand(Sampler.greedy(logProbabilities)), priorityOffsets: mean?.scalars,
                                           origin: "greedy")]
        if let remembered, trainedOn == (problem.name, problem.cluster.name, problem.taskCount, problem.deviceCount) {
            candidates.append(remembered)
        }
        var rng = SeededGenerator(seed: seed)
        let logStd = output.priorityLogStd?.value.scalar ?? 0
        for k in 0..<max(0, samples) {
            let placement = problem.expand(Sampler.sample(logProbabilities, using: &rng))
            let offsets = mean.map { Sampler.priorities(mean: $0, logStd: logStd, using: &rng) }
            candidates.append(SampledPlacement(placement: placement, priorityOffsets: offsets, origin: "sample \(k + 1)"))
        }
        var best: (SampledPlacement, PlacementOutcome)? = nil
        for candidate in candidates {
            let outcome = environment.evaluate(candidate.placement, priorityOffsets: candidate.priorityOffsets)
            guard let current = best else { best = (candidate, outcome); continue }
            let better = current.1.outOfMemory ? !outcome.outOfMemory || outcome.stepTime < current.1.stepTime
                : !outcome.outOfMemory && outcome.stepTime < current.1.stepTime
            if better { best = (candidate, outcome) }
        }
        return (best!.0, best!.1)
    }
}
