import MoegcPlacement
import MoegcSupport

/// A trained policy as a `MoegcPlacement` placer: what `moegc compile` places with when no
/// heuristic is named.
///
/// Placing runs the heuristics of the policy's reference set (their best placement is the policy's
/// hint), then one forward pass, and takes the greedy decision with the device orders it was
/// simulated with. If that decision runs out of memory on the simulated devices, or simulates
/// slower than the best heuristic it already ran (a compiler does not pick a plan it knows to be
/// worse), that heuristic's placement is used instead, and ``LearnedDecision/origin`` says so.
///
/// A policy with a fusion head also decides which tasks merge into their producer's group: its
/// ``decide(_:)`` returns them as the decision's regrouping, which `CompilePipeline.place` applies
/// (so `compile` and `place` build the plan from the merged groups).
public struct LearnedPlacer: Placer {
    public let name = "policy"
    public let summary: String
    public let checkpoint: PolicyCheckpoint
    /// Seeds the randomised heuristics (METIS, local search) and sampling.
    public let seed: UInt64
    /// Local search's simulation budget (when the policy's set includes it).
    public let budget: Int?
    /// Sampled placements competing with the greedy one (0: greedy only).
    public let samples: Int

    /// The placer for the policy in `checkpoint`; `source` names it in reports (e.g. its path).
    public init(_ checkpoint: PolicyCheckpoint, source: String, seed: UInt64 = 0, budget: Int? = nil, samples: Int = 0) {
        self.checkpoint = checkpoint
        self.seed = seed
        self.budget = budget
        self.samples = samples
        let how = samples > 0 ? "best of greedy and \(samples) samples" : "greedy"
        summary = "learned policy \(source) (\(how); hint: best of \((checkpoint.trainingConfig.referenceHeuristics ?? .all) == .fast ? "the heuristics but local search" : "every heuristic"))"
    }

    /// The decision `CompilePipeline.place` applies: the policy's devices and orders, its merges
    /// as the regrouping, and a report note saying where the decision came from and where the time
    /// went (and, when the hint heuristic replaced the policy's placement, why).
    public func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision {
        let d = try decision(for: problem)
        let t = d.timing
        let rejected = d.rejectedStep.map { ", its own \(Quantity.seconds($0))" } ?? ""
        let note = "\(d.origin)\(rejected); hint heuristics \(Quantity.seconds(d.hintSeconds)), "
            + "features \(Quantity.seconds(t.features)), forward \(Quantity.seconds(t.forward)), "
            + "decide \(Quantity.seconds(t.decide)), simulate \(Quantity.seconds(t.environment + t.simulate))"
        return PlacementDecision(devices: d.devices, priority: d.priority, regrouping: d.mergedGroups,
                                 notes: [(label: "policy", text: note)])
    }

    /// The policy's decision for `problem`, with where it came from and where the time went.
    public func decision(for problem: PlacementProblem) throws(PlacementError) -> LearnedDecision {
        let clock = ContinuousClock()
        let start = clock.now
        let set = checkpoint.trainingConfig.referenceHeuristics ?? .all
        let policyProblem = try PolicyProblem.withHeuristics(problem, seed: seed, budget: budget, set: set)
        let hintSeconds = WallClock.seconds(start.duration(to: clock.now))
        var timing = PlacingTime()
        let result: (decision: SampledPlacement, outcome: PlacementOutcome)
        do {
            result = try PolicyPlacer(checkpoint).place(policyProblem, samples: samples, seed: seed, timing: &timing)
        } catch {
            throw .invalidPlacement("the policy cannot place this graph: \(error.message)")
        }
        let reference = policyProblem.reference
        let why: String? = result.outcome.outOfMemory ? "the policy's placement runs out of memory"
            : result.outcome.stepTime > reference.stepTime ? "the policy's placement simulated slower" : nil
        if let why {
            let rule: PriorityRule = reference.priority.map { .given($0) } ?? .bLevel
            return LearnedDecision(devices: reference.placement.map { Int32($0) }, priority: rule,
                                   origin: "\(reference.name) (\(why))", hintSeconds: hintSeconds, timing: timing,
                                   rejectedStep: result.outcome.stepTime)
        }
        let merged = result.decision.merge.flatMap {
            policyProblem.merging.groups(merge: $0, placement: result.decision.placement)?.groups
        }
        return LearnedDecision(devices: result.decision.placement.map { Int32($0) },
                               priority: result.decision.schedulePriorities.map { .given($0) } ?? .bLevel,
                               origin: result.decision.origin, hintSeconds: hintSeconds, timing: timing,
                               mergedGroups: merged)
    }

    /// The devices of the policy's decision on the problem's own tasks (merges not applied).
    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try decision(for: problem).devices }

    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        let decision = try decision(for: problem)
        return (decision.devices, decision.priority)
    }
}

/// What ``LearnedPlacer`` decided.
public struct LearnedDecision: Sendable {
    public var devices: [Int32]
    public var priority: PriorityRule
    /// "greedy", "sample N", or the heuristic used when the policy's placement did not fit.
    public var origin: String
    /// Seconds spent running the hint heuristics, and in the policy itself.
    public var hintSeconds: Double
    public var timing: PlacingTime
    /// When the best heuristic's placement replaced the policy's: the policy's own simulated step
    /// (seconds; out-of-memory runs included), for the report.
    public var rejectedStep: Double? = nil
    /// With a fusion head: the merged group of each task (nil when nothing merges).
    public var mergedGroups: [Int]? = nil
}
