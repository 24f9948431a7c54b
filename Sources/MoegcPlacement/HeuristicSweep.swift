import Dispatch
import MoegcIR
import MoegcSim
import MoegcSupport

/// Which heuristic placers a sweep runs.
public enum HeuristicSet: String, Sendable, Hashable, Codable {
    /// Every placer in `Placers.names`, local search starting from the best of the others.
    case all
    /// Every placer but local search: the same best placement for a fraction of the cost on most
    /// graphs (local search runs up to 300 simulations), and on the 137B model the difference
    /// between seconds and many seconds.
    case fast
}

/// The heuristic placers of one problem side by side: each starting placer alone (in
/// `Placers.startingNames` order), then, for `.all`, local search started from the fastest of them.
/// The one place this rule lives: `place --compare`, the learned policy's references and hint, and
/// the best-heuristic placer all run it.
///
/// On problems `PlacingThreads.forTasks` gives two threads, m-ETF (the slowest by far: 3.4 of 5.6 s
/// on the 137B model) runs on a second thread while the others run in turn on this one. Each placer
/// is a pure function of the problem and the seed, and METIS (the one with process-wide state)
/// still runs alone on this thread, so the rows are the same either way; `parallel` overrides the
/// size rule (tests compare both ways).
public enum HeuristicSweep {
    public struct Row: Sendable {
        /// The placer's name (`heft`, `local-search`).
        public var placer: String
        /// For the report: local search says where it started ("local-search ← m-etf").
        public var label: String
        public var outcome: Result<PlacedProblem, PlacementError>

        /// The placement, if the placer found a feasible one.
        public var placed: PlacedProblem? { try? outcome.get() }
    }

    public static func run(_ problem: PlacementProblem, set: HeuristicSet = .all, seed: UInt64 = 0, budget: Int? = nil,
                           parallel: Bool? = nil) -> [Row] {
        @Sendable func row(_ name: String) -> Row {
            let outcome = Result { () throws(PlacementError) in try problem.place(with: try Placers.make(name, seed: seed)) }
            return Row(placer: name, label: name, outcome: outcome)
        }
        let names = Placers.startingNames
        let aside = parallel ?? (PlacingThreads.forTasks(problem.taskCount) > 1) ? names.firstIndex(of: "m-etf") : nil
        var rows = [Row?](repeating: nil, count: names.count)
        rows.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: aside == nil ? 1 : 2) { lane in
                for (i, name) in names.enumerated() where (i == aside) == (lane == 1) { slots[i] = row(name) }
            }
        }
        var out = rows.compactMap { $0 }
        guard set == .all, let best = fastest(out) else { return out }
        // From the best row's own problem: the reserves its placement needed (`place`) come along,
        // so local search starts from that very placement.
        let start = best.placed.map { $0.problem.taskCount == problem.taskCount ? $0.problem : problem } ?? problem
        let outcome = Result { () throws(PlacementError) in
            try start.place(with: try Placers.make(Placers.localSearch, start: best.placer, seed: seed, budget: budget))
        }
        out.append(Row(placer: Placers.localSearch, label: "\(Placers.localSearch) ← \(best.placer)", outcome: outcome))
        return out
    }

    /// The row with the shortest simulated step (the first of equals), or nil when none fits.
    public static func fastest(_ rows: [Row]) -> Row? {
        var best: (Row, Double)? = nil
        for row in rows {
            guard let step = row.placed?.evaluation.report.makespan else { continue }
            if best == nil || step < best!.1 { best = (row, step) }
        }
        return best?.0
    }
}

/// The fastest of the heuristic placers of a set, by simulated step time: what `moegc compile`
/// falls back to when the shipped policy cannot be read.
public struct BestHeuristicPlacer: Placer {
    public let name = "best-heuristic"
    public let set: HeuristicSet
    public let seed: UInt64
    public let budget: Int?

    public init(set: HeuristicSet = .fast, seed: UInt64 = 0, budget: Int? = nil) {
        self.set = set
        self.seed = seed
        self.budget = budget
    }

    public var summary: String { "the fastest of " + (set == .fast ? "the heuristics but local search" : "every heuristic") }

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try placeAndOrder(problem).0 }

    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        let rows = HeuristicSweep.run(problem, set: set, seed: seed, budget: budget)
        guard let best = HeuristicSweep.fastest(rows)?.placed else {
            throw .infeasible("no heuristic placer fits \(problem.graph.name) on \(problem.cluster.name)")
        }
        return (best.evaluation.placement.taskDevice, best.priority)
    }
}

/// How many threads placing a problem of `n` tasks uses — the policy's forward pass, featurizer
/// and position codes, and the heuristic sweep (m-ETF beside the others): the one place that
/// decides. Every user splits its work so that its results do not depend on the count.
public enum PlacingThreads {
    /// Tasks from which placing uses both cores; below it, a second thread's start-up costs more
    /// than it saves.
    public static let parallelTasks = 16_384

    public static func forTasks(_ n: Int) -> Int { n >= parallelTasks ? 2 : 1 }
}
