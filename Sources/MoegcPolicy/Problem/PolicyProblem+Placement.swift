import MoegcPlacement

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

    /// The policy's view of `problem` with every heuristic placer that fits as a reference
    /// (`Placers.names`; local search starts from the best of the others). Throws when none fits.
    public static func withHeuristics(_ problem: PlacementProblem, seed: UInt64 = 0,
                                      budget: Int? = nil) throws(PlacementError) -> PolicyProblem {
        var references: [ReferencePlacement] = []
        func run(_ placer: any Placer) {
            guard let (devices, priority) = try? placer.placeAndOrder(problem),
                  let evaluation = try? Evaluation.run(problem, devices: devices, priority: priority) else { return }
            references.append(ReferencePlacement(name: placer.name, placement: devices.map { Int($0) },
                                                 stepTime: evaluation.report.makespan))
        }
        for name in Placers.names where name != "local-search" {
            if let placer = try? Placers.make(name, seed: seed) { run(placer) }
        }
        guard let best = references.min(by: { $0.stepTime < $1.stepTime }) else {
            throw .infeasible("no heuristic placer fits \(problem.graph.name) on \(problem.cluster.name)")
        }
        if let search = try? Placers.make("local-search", start: best.name, seed: seed, budget: budget) { run(search) }
        return PolicyProblem(problem, references: references)
    }
}
