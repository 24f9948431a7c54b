import MoegcSim

/// HEFT (Topcuoglu et al. 2002) with memory, standing in for Baechi's m-SCT: tasks in decreasing
/// upward rank (b-level with mean task and transfer costs, ties in topological order, so every
/// task comes after its producers), each put on the device with room for its weights where it
/// *finishes* earliest (transfers and link contention estimated by `IncrementalScheduler`), and
/// appended to that device's order (no insertion into idle gaps).
///
/// m-SCT differs in choosing each task's "favourite child" from a linear-programming relaxation and
/// keeping it on its parent's device when it is ready in time; HEFT's earliest-finish rule makes the
/// same trade (a child stays with its parent when the transfer would cost more than waiting) without
/// the LP, and is the usual stand-in.
public struct HEFTPlacer: Placer {
    public let name = "heft"
    public let summary = "HEFT with memory (m-SCT stand-in): by upward rank, each task where it finishes first"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try placeAndOrder(problem).0 }

    /// The devices, and each device ordered by the start times the schedule planned.
    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        let g = problem.costGraph, count = problem.deviceCount
        let rank = Priorities.bLevel(graph: g, costs: problem.costs, estimate: .average)
        var position = [Int](repeating: 0, count: problem.taskCount)
        for (i, t) in g.topologicalOrder.enumerated() { position[Int(t)] = i }
        let order = (0..<problem.taskCount).sorted { (-rank[$0], position[$0]) < (-rank[$1], position[$1]) }
        var scheduler = IncrementalScheduler(graph: g, cluster: problem.cluster)
        var ledger = WeightLedger(problem)
        let weights = problem.weights, constraints = problem.constraints
        for t in order {
            let bytes = weights[t]
            var best: (finish: Double, device: Int)?
            for d in 0..<count where ledger.fits(bytes, on: d) && constraints.mayRun(t, on: d) {
                let f = scheduler.earliestFinish(of: t, on: d)
                if best == nil || f < best!.finish { best = (f, d) }
            }
            guard let b = best else { throw WeightLedger.noRoom(problem, task: t, ledger: ledger) }
            ledger.add(bytes, on: b.device)
            scheduler.place(t, on: b.device)
        }
        return (scheduler.placement.map { Int32($0) }, .given(scheduler.start.map { -$0 }))
    }
}
