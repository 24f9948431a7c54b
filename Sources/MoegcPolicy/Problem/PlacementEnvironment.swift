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
/// Device orders come from the list scheduler under a base priority per task, normalised to
/// [0, 1], plus the policy's per-task offsets (a zero offset reproduces the base order). The base is
///
/// - the b-level on the placed devices (transfers included), normalised by its largest value; or
/// - the best reference's own priorities (m-ETF's and HEFT's planned start times, earliest first),
///   rescaled to [0, 1] — when that reference has them and its placement runs faster in its own
///   order than in b-level order. The policy then starts exactly where the heuristic is, instead
///   of at the heuristic's placement in a worse order (on some graphs 1.4× slower).
///
/// The choice is made once per problem, from the reference alone, so it is the same in training,
/// fine-tuning and placing.
public struct PlacementEnvironment: Sendable {
    public let problem: PolicyProblem
    private var simulator: Simulator
    /// The reference's priorities rescaled to [0, 1], when they are the base; nil for b-level.
    public private(set) var referenceOrder: [Double]?
    /// The fusion head's candidate merges (tasks with a sole producer task).
    public var merging: TaskMerging { problem.merging }

    /// An environment for `problem`. Fails only for a cluster the simulator rejects.
    public init(_ problem: PolicyProblem) throws(SimulationError) {
        self.problem = problem
        self.simulator = try Simulator(graph: problem.graph, cluster: problem.cluster)
        let reference = problem.reference
        guard let given = reference.priority, let lo = given.min(), let hi = given.max() else { return }
        let span = max(hi - lo, 1e-300)
        let byBLevel = evaluate(reference.placement)
        referenceOrder = given.map { ($0 - lo) / span }
        let byOwnOrder = evaluate(reference.placement)
        if byOwnOrder.outOfMemory || (!byBLevel.outOfMemory && byOwnOrder.stepTime >= byBLevel.stepTime) {
            referenceOrder = nil
        }
    }

    public var costs: CostModel { simulator.costs }

    /// The list-scheduling priority of every task for `placement` (larger first): the base
    /// priority in [0, 1] plus the offsets, if any.
    public func priorities(_ placement: [Int], priorityOffsets: [Float]? = nil) -> [Double] {
        let graph = problem.graph
        var priority: [Double]
        if let referenceOrder {
            priority = referenceOrder
        } else {
            priority = Priorities.bLevel(graph: graph, costs: simulator.costs, estimate: .placed(placement))
            let scale = max(priority.max() ?? 0, 1e-12)
            for t in priority.indices { priority[t] /= scale }
        }
        if let offsets = priorityOffsets {
            precondition(offsets.count == graph.taskCount, "one priority offset per task")
            for t in priority.indices { priority[t] += Double(offsets[t]) }
        }
        return priority
    }

    /// The device orders for `placement`, optionally shifted by per-task priority offsets.
    public func schedule(_ placement: [Int], priorityOffsets: [Float]? = nil) -> Schedule {
        ListScheduler.schedule(graph: problem.graph, placement: placement, deviceCount: problem.deviceCount,
                               priority: priorities(placement, priorityOffsets: priorityOffsets))
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

    /// Schedules and simulates `placement` with the fusion head's `merge` decisions (one per
    /// ``TaskMerging/candidates`` entry; nil or no effective merge: as ``evaluate(_:priorityOffsets:)``).
    /// Merged tasks become one task of a fused cost graph, simulated on a simulator of its own; a
    /// group's priority is its highest member's.
    public mutating func evaluate(_ placement: [Int], priorityOffsets: [Float]?, merge: [Bool]?) -> PlacementOutcome {
        guard let merge, let (groups, count) = merging.groups(merge: merge, placement: placement) else {
            return evaluate(placement, priorityOffsets: priorityOffsets)
        }
        let priority = priorities(placement, priorityOffsets: priorityOffsets)
        var groupDevice = [Int](repeating: 0, count: count)
        var groupPriority = [Double](repeating: -.infinity, count: count)
        for t in groups.indices {
            groupDevice[groups[t]] = placement[t]
            groupPriority[groups[t]] = max(groupPriority[groups[t]], priority[t])
        }
        do {
            let fused = try problem.graph.fused(groups: groups).graph
            var merged = try Simulator(graph: fused, cluster: problem.cluster)
            let schedule = ListScheduler.schedule(graph: fused, placement: groupDevice, deviceCount: problem.deviceCount,
                                                  priority: groupPriority)
            let report = try merged.run(schedule)
            return PlacementOutcome(stepTime: report.makespan, outOfMemory: !report.isFeasible)
        } catch {
            preconditionFailure("PlacementEnvironment: merging sole-producer tasks failed: \(error)")
        }
    }
}
