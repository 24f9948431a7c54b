import Foundation
import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// How a trained policy does on one graph against every heuristic: the numbers of one row of
/// `moegc place --evaluate`. Step times in seconds; every ratio is over `bestHeuristicStep`.
public struct EvaluationRow: Sendable, Hashable, Codable {
    /// A heuristic's simulated step time (nil: it does not fit).
    public struct Heuristic: Sendable, Hashable, Codable {
        public var name: String
        public var step: Double?
    }

    /// One way of placing with the policy: its simulated step time, whether it ran out of memory,
    /// and how many placements were simulated to find it.
    public struct Policy: Sendable, Hashable, Codable {
        public var step: Double
        public var outOfMemory: Bool
        public var simulations: Int
    }

    public var graph: String
    public var cluster: String
    public var tasks: Int
    public var units: Int
    /// Every heuristic placer, in `Placers.names` order (local search from the best of the others).
    public var heuristics: [Heuristic]
    public var bestHeuristic: String
    public var bestHeuristicStep: Double
    /// The heuristic whose placement the policy was given as its hint (best of its reference set).
    public var hint: String
    /// Zero-shot: the policy's most likely decision, and the best of it and 15 sampled ones.
    public var greedy: Policy
    public var bestOf16: Policy
    /// After fine-tuning on this graph: the best placement simulated during fine-tuning or the
    /// fine-tuned policy's greedy decision.
    public var fineTuned: Policy
    public var lowerBound: Double
    /// Wall time of the zero-shot placements (features, forward pass, 16 simulations) and of fine-tuning.
    public var zeroShotSeconds: Double
    public var fineTuneSeconds: Double

    public func ratio(_ step: Double) -> Double { step / bestHeuristicStep }
}

/// Evaluates a trained policy on held-out graphs: every heuristic, the policy zero-shot (greedy
/// and best of 16), the policy fine-tuned with a small fixed budget of simulations, and the lower
/// bound. Deterministic for a seed (the heuristics, sampling and fine-tuning all draw from it).
public enum PolicyEvaluation {
    /// Zero-shot candidates: the greedy decision and this many samples (best of 16 in all).
    public static let zeroShotSamples = 15
    /// Fine-tuning iterations by default: 29 × (16 samples + greedy) + 2 final = 495 ≤ 500 simulations.
    public static let defaultFineTuneIterations = 29

    /// The row of `placement` (a lowered, fused problem) for the policy in `checkpoint`.
    public static func evaluate(_ placement: PlacementProblem, checkpoint: PolicyCheckpoint, seed: UInt64,
                                budget: Int? = nil, fineTuneIterations: Int = defaultFineTuneIterations)
        throws(PolicyError) -> EvaluationRow
    {
        let all = PolicyProblem.heuristics(placement, seed: seed, budget: budget, set: .all)
        guard let best = all.min(by: { $0.stepTime < $1.stepTime }) else {
            throw PolicyError(.invalidConfiguration, "no heuristic placer fits \(placement.graph.name) on \(placement.cluster.name)")
        }
        let set = checkpoint.trainingConfig.referenceHeuristics ?? .all
        let references = set == .all ? all : all.filter { $0.name != "local-search" }
        let problem = PolicyProblem(placement, references: references)
        let clock = ContinuousClock()

        var start = clock.now
        let placer = try PolicyPlacer(checkpoint)
        let greedy = try placer.place(problem, samples: 0, seed: seed)
        let sampled = try placer.place(problem, samples: zeroShotSamples, seed: seed)
        let zeroShotSeconds = seconds(start.duration(to: clock.now))

        start = clock.now
        var trainer = try PolicyTrainer(fineTuning: checkpoint, on: problem, iterations: fineTuneIterations, seed: seed)
        while !trainer.isFinished { trainer.iterate() }
        let tuned = try PolicyPlacer(trainer.checkpoint).place(problem, samples: 0, seed: seed)
        let fineTuneSeconds = seconds(start.duration(to: clock.now))
        let perIteration = trainer.config.samplesPerIteration + 1

        let heuristics = Placers.names.map { name in
            EvaluationRow.Heuristic(name: name, step: all.first { $0.name == name }?.stepTime)
        }
        func policy(_ r: (decision: SampledPlacement, outcome: PlacementOutcome), _ simulations: Int) -> EvaluationRow.Policy {
            EvaluationRow.Policy(step: r.outcome.stepTime, outOfMemory: r.outcome.outOfMemory, simulations: simulations)
        }
        return EvaluationRow(
            graph: problem.name, cluster: problem.cluster.name, tasks: problem.taskCount, units: problem.unitCount,
            heuristics: heuristics, bestHeuristic: best.name, bestHeuristicStep: best.stepTime, hint: problem.reference.name,
            greedy: policy(greedy, 1), bestOf16: policy(sampled, 1 + zeroShotSamples),
            fineTuned: policy(tuned, fineTuneIterations * perIteration + 2), lowerBound: problem.lowerBound,
            zeroShotSeconds: zeroShotSeconds, fineTuneSeconds: fineTuneSeconds)
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// The geometric means of an evaluation's ratios (to each graph's best heuristic).
public struct EvaluationSummary: Sendable, Hashable, Codable {
    /// Per heuristic: the geometric mean over the graphs it fits, and on how many it fits.
    public struct Heuristic: Sendable, Hashable, Codable {
        public var name: String
        public var geometricMean: Double
        public var graphs: Int
    }

    public var graphs: Int
    public var heuristics: [Heuristic]
    public var greedy: Double
    public var bestOf16: Double
    public var fineTuned: Double
    public var lowerBound: Double
    /// Placements of the policy that ran out of memory (counted in the means at their simulated time).
    public var outOfMemory: Int

    public init(_ rows: [EvaluationRow]) {
        let g = Statistics.geometricMean
        graphs = rows.count
        heuristics = Placers.names.map { name in
            let ratios = rows.compactMap { row in row.heuristics.first { $0.name == name }?.step.map(row.ratio) }
            return Heuristic(name: name, geometricMean: g(ratios), graphs: ratios.count)
        }
        greedy = g(rows.map { $0.ratio($0.greedy.step) })
        bestOf16 = g(rows.map { $0.ratio($0.bestOf16.step) })
        fineTuned = g(rows.map { $0.ratio($0.fineTuned.step) })
        lowerBound = g(rows.map { $0.ratio($0.lowerBound) })
        outOfMemory = rows.map { [$0.greedy, $0.bestOf16, $0.fineTuned].filter(\.outOfMemory).count }.reduce(0, +)
    }
}
