import MoegcSim

/// What simulating one placement gave.
public struct PlacementOutcome: Sendable, Hashable {
    /// Simulated step time, seconds (also reported for out-of-memory runs, which complete).
    public var stepTime: Double
    /// Whether some device exceeded its memory.
    public var outOfMemory: Bool
}

/// Schedules and simulates placements of one problem, reusing one `Simulator` (its buffers are
/// kept between runs, so a run allocates almost nothing).
///
/// Device orders come from the list scheduler with b-level priorities computed on the placed
/// devices (transfers included); a policy with a priority head adds its per-task offsets to the
/// b-level, normalised by the critical path, so a zero offset reproduces the plain b-level order.
public struct PlacementEnvironment: Sendable {
    public let problem: PolicyProblem
    private var simulator: Simulator

    /// An environment for `problem`. Fails only for a cluster the simulator rejects.
    public init(_ problem: PolicyProblem) throws(SimulationError) {
        self.problem = problem
        self.simulator = try Simulator(graph: problem.graph, cluster: problem.cluster)
    }

    public var costs: CostModel { simulator.costs }

    /// The device orders for `placement`, optionally shifted by per-task priority offsets.
    public func schedule(_ placement: [Int], priorityOffsets: [Float]? = nil) -> Schedule {
        let graph = problem.graph
        var priority = Priorities.bLevel(graph: graph, costs: simulator.costs, estimate: .placed(placement))
        if let offsets = priorityOffsets {
            precondition(offsets.count == graph.taskCount, "one priority offset per task")
            let scale = max(priority.max() ?? 0, 1e-12)
            for t in priority.indices { priority[t] = priority[t] / scale + Double(offsets[t]) }
        }
        return ListScheduler.schedule(graph: graph, placement: placement, deviceCount: problem.deviceCount,
                                      priority: priority)
    }

    /// Schedules and simulates `placement`. The list schedule is topological, so the run cannot
    /// deadlock; a malformed placement is a programming error.
    public mutating func evaluate(_ placement: [Int], priorityOffsets: [Float]? = nil) -> PlacementOutcome {
        let schedule = schedule(placement, priorityOffsets: priorityOffsets)
        do {
            let report = try simulator.run(schedule)
            return PlacementOutcome(stepTime: report.makespan, outOfMemory: !report.isFeasible)
        } catch {
            preconditionFailure("PlacementEnvironment: the simulator rejected a list schedule: \(error)")
        }
    }
}
