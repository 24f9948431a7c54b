import MoegcIR
import MoegcSim

/// A heuristic's (or the policy's) placement of a problem, with its simulated step time.
public struct ReferencePlacement: Sendable, Hashable {
    /// The placer's name (`heft`, `expert-parallel`, …).
    public var name: String
    /// The device of each task.
    public var placement: [Int]
    /// Simulated step time, seconds.
    public var stepTime: Double
    /// The per-task list-scheduling priorities the placer ordered its devices by (larger first; the
    /// negated start times m-ETF and HEFT planned), or nil for b-level order on the placed devices.
    public var priority: [Double]?

    public init(name: String, placement: [Int], stepTime: Double, priority: [Double]? = nil) {
        self.name = name
        self.placement = placement
        self.stepTime = stepTime
        self.priority = priority
    }
}

/// The policy's view of a placement problem: a cost graph whose tasks are the units of placement
/// (fused groups), the cluster, what each task is made of, and the heuristics it is measured against.
///
/// The policy never looks at the IR: a front end (the driver, from `MoegcPlacement`'s adaptor and
/// heuristic placers, or a test) builds this from a lowered, fused graph. `taskOps[t]` lists the registry op of every IR
/// node fused into task `t` (with repetition); the featurizer turns it into an op-class profile.
/// `references` are feasible heuristic placements; the best of them sets the reward scale
/// (`−√(step / reference)`) and can seed behaviour cloning.
public struct PolicyProblem: Sendable {
    /// A name for logs and checkpoints (the graph's name).
    public var name: String
    public let graph: CostGraph
    public var cluster: Cluster
    /// The ops fused into each task; one entry per task (may be empty for synthetic graphs).
    public var taskOps: [[OpCode]]
    /// Heuristic placements with their simulated step times (at least one).
    public var references: [ReferencePlacement]
    /// The tightest lower bound on the step time (for reports).
    public var lowerBound: Double
    /// The co-location unit of each task, `0..<unitCount`: the policy decides one device per unit
    /// (an expert's dispatch, FFN and weights; a hierarchical group's gate and routing), which
    /// shrinks the decision and sharpens credit assignment. Default: every task its own unit. The
    /// given units are split where the best reference splits them (so it stays expressible), and
    /// relabelled in order of first appearance.
    public var units: [Int32]
    public var unitCount: Int
    /// The fusion head's candidates on this graph (tasks with a sole producer task), found once for
    /// the featurizer, the environment and the placer.
    public let merging: TaskMerging

    /// A problem; `references` must be non-empty and each placement must have one device per task;
    /// `units`, if given, labels every task with a unit in `0..<U`, each label used.
    public init(name: String, graph: CostGraph, cluster: Cluster, taskOps: [[OpCode]],
                references: [ReferencePlacement], lowerBound: Double? = nil, units: [Int32]? = nil) {
        precondition(taskOps.count == graph.taskCount, "PolicyProblem: \(taskOps.count) op lists for \(graph.taskCount) tasks")
        precondition(!references.isEmpty, "PolicyProblem: needs at least one reference placement")
        for r in references {
            precondition(r.placement.count == graph.taskCount, "PolicyProblem: reference '\(r.name)' places \(r.placement.count) of \(graph.taskCount) tasks")
            precondition(r.placement.allSatisfy { (0..<cluster.deviceCount).contains($0) },
                         "PolicyProblem: reference '\(r.name)' names a device outside 0..<\(cluster.deviceCount)")
            precondition(r.stepTime.isFinite && r.stepTime > 0, "PolicyProblem: reference '\(r.name)' has step time \(r.stepTime)")
            precondition(r.priority.map { $0.count == graph.taskCount } ?? true, "PolicyProblem: reference '\(r.name)' has a priority per task or none")
        }
        self.name = name
        self.graph = graph
        self.cluster = cluster
        self.taskOps = taskOps
        self.references = references
        self.lowerBound = lowerBound ?? LowerBounds(graph: graph, cluster: cluster).best.seconds
        var units = units ?? (0..<graph.taskCount).map { Int32($0) }
        precondition(units.count == graph.taskCount, "PolicyProblem: \(units.count) unit labels for \(graph.taskCount) tasks")
        // Split every unit the best reference splits, so its placement stays expressible (a unit
        // placed by majority would differ from it, and the policy could not even start from it).
        let best = references.min { $0.stepTime < $1.stepTime }!.placement
        var refined: [Int64: Int32] = [:]
        for t in units.indices {
            let key = Int64(units[t]) << 20 | Int64(best[t])
            if let label = refined[key] { units[t] = label } else {
                let label = Int32(refined.count)
                refined[key] = label
                units[t] = label
            }
        }
        let count = Int(units.max() ?? -1) + 1
        var used = [Bool](repeating: false, count: count)
        for u in units {
            precondition(u >= 0, "PolicyProblem: negative unit label")
            used[Int(u)] = true
        }
        precondition(used.allSatisfy { $0 }, "PolicyProblem: unit labels must be 0..<U with none unused")
        self.units = units
        self.unitCount = count
        self.merging = TaskMerging(graph)
    }

    /// Task devices from unit devices.
    public func expand(_ unitDevices: [Int]) -> [Int] { units.map { unitDevices[Int($0)] } }

    /// Each unit's device in `placement`: the device most of its tasks use (ties: the lower index).
    public func unitDevices(of placement: [Int]) -> [Int] {
        var votes = [[Int]](repeating: [Int](repeating: 0, count: deviceCount), count: unitCount)
        for (t, u) in units.enumerated() { votes[Int(u)][placement[t]] += 1 }
        return votes.map { v in v.indices.max { v[$0] < v[$1] || (v[$0] == v[$1] && $0 > $1) }! }
    }

    /// The best (fastest) reference: the reward's yardstick.
    public var reference: ReferencePlacement { references.min { $0.stepTime < $1.stepTime }! }

    public var taskCount: Int { graph.taskCount }
    public var deviceCount: Int { cluster.deviceCount }
}
