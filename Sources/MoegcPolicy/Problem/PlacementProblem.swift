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

    public init(name: String, placement: [Int], stepTime: Double) {
        self.name = name
        self.placement = placement
        self.stepTime = stepTime
    }
}

/// What the policy places: a cost graph whose tasks are the units of placement (fused groups), the
/// cluster, what each task is made of, and the heuristics it is measured against.
///
/// The policy never looks at the IR: a front end (the placement adaptor of `MoegcPlacement`, or a
/// test) builds this from a lowered, fused graph. `taskOps[t]` lists the registry op of every IR
/// node fused into task `t` (with repetition); the featurizer turns it into an op-class profile.
/// `references` are feasible heuristic placements; the best of them sets the reward scale
/// (`−√(step / reference)`) and can seed behaviour cloning.
public struct PlacementProblem: Sendable {
    /// A name for logs and checkpoints (the graph's name).
    public var name: String
    public var graph: CostGraph
    public var cluster: Cluster
    /// The ops fused into each task; one entry per task (may be empty for synthetic graphs).
    public var taskOps: [[OpCode]]
    /// Heuristic placements with their simulated step times (at least one).
    public var references: [ReferencePlacement]
    /// The tightest lower bound on the step time (for reports).
    public var lowerBound: Double

    /// A problem; `references` must be non-empty and each placement must have one device per task.
    public init(name: String, graph: CostGraph, cluster: Cluster, taskOps: [[OpCode]],
                references: [ReferencePlacement], lowerBound: Double? = nil) {
        precondition(taskOps.count == graph.taskCount, "PlacementProblem: \(taskOps.count) op lists for \(graph.taskCount) tasks")
        precondition(!references.isEmpty, "PlacementProblem: needs at least one reference placement")
        for r in references {
            precondition(r.placement.count == graph.taskCount, "PlacementProblem: reference '\(r.name)' places \(r.placement.count) of \(graph.taskCount) tasks")
            precondition(r.placement.allSatisfy { (0..<cluster.deviceCount).contains($0) },
                         "PlacementProblem: reference '\(r.name)' names a device outside 0..<\(cluster.deviceCount)")
            precondition(r.stepTime.isFinite && r.stepTime > 0, "PlacementProblem: reference '\(r.name)' has step time \(r.stepTime)")
        }
        self.name = name
        self.graph = graph
        self.cluster = cluster
        self.taskOps = taskOps
        self.references = references
        self.lowerBound = lowerBound ?? LowerBounds(graph: graph, cluster: cluster).best.seconds
    }

    /// The best (fastest) reference: the reward's yardstick.
    public var reference: ReferencePlacement { references.min { $0.stepTime < $1.stepTime }! }

    public var taskCount: Int { graph.taskCount }
    public var deviceCount: Int { cluster.deviceCount }
}
