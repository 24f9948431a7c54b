import Dispatch
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim

extension PolicyProblem {
    /// The policy's view of a `MoegcPlacement` problem: its fused cost graph, cluster and lower
    /// bound, the ops fused into each task, its co-location units (an expert's dispatch, FFN and
    /// weights; a hierarchical group's gate and routing), and the given heuristic placements.
    public init(_ problem: PlacementProblem, references: [ReferencePlacement]) {
        let graph = problem.graph
        let taskOps = (0..<problem.taskCount).map { t in problem.tasks.members(of: t).map { graph.nodes[Int($0)].op } }
        self.init(name: graph.name, graph: problem.costGraph, cluster: problem.cluster, taskOps: taskOps,
                  references: references, lowerBound: problem.bounds.best.seconds, units: problem.unit)
    }

    /// The policy's view of `problem` with the heuristic placers of `set` that fit as references.
    /// Throws when none fits.
    public static func withHeuristics(_ problem: PlacementProblem, seed: UInt64 = 0, budget: Int? = nil,
                                      set: HeuristicSet = .all) throws(PlacementError) -> PolicyProblem {
        let references = heuristics(problem, seed: seed, budget: budget, set: set)
        guard !references.isEmpty else {
            throw .infeasible("no heuristic placer fits \(problem.graph.name) on \(problem.cluster.name)")
        }
        return PolicyProblem(problem, references: references)
    }

    /// Every heuristic placer of `set` that fits `problem`, with its simulated step time, in
    /// `HeuristicSweep`'s order (local search, if in the set, last, starting from the best of the
    /// others). The best of them is the policy's hint input, its reward's yardstick and its cloning
    /// target, so a policy must be applied with the set it was trained with
    /// (``TrainingConfig/referenceHeuristics``).
    public static func heuristics(_ problem: PlacementProblem, seed: UInt64 = 0, budget: Int? = nil,
                                  set: HeuristicSet = .all, parallel: Bool? = nil) -> [ReferencePlacement] {
        HeuristicSweep.run(problem, set: set, seed: seed, budget: budget, parallel: parallel).compactMap { row in
            guard let placed = row.placed else { return nil }
            var order: [Double]? = nil
            if case .given(let p) = placed.priority { order = p }
            return ReferencePlacement(name: row.placer, placement: placed.evaluation.placement.taskDevice.map { Int($0) },
                                      stepTime: placed.evaluation.report.makespan, priority: order)
        }
    }

    /// Local search from `hint` (a starting heuristic's placement), when the reference `set` leaves
    /// local search out (`.fast`): the step it reaches, named by where it started — for reports
    /// beside the references, never a reference (a policy is applied with the set it was trained
    /// with). Nil when the set has it already or it finds no feasible placement.
    public static func localSearchBeyond(_ hint: ReferencePlacement, of problem: PlacementProblem, set: HeuristicSet,
                                         seed: UInt64, budget: Int?) -> (name: String, stepTime: Double)? {
        guard set == .fast, Placers.startingNames.contains(hint.name),
              let search = try? Placers.make(Placers.localSearch, start: hint.name, seed: seed, budget: budget),
              let placed = try? problem.place(with: search) else { return nil }
        return (hint.name, placed.evaluation.report.makespan)
    }
}
