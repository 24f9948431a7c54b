import MoegcIR
import MoegcPlacement
import MoegcSim

extension ExecutionPlan {
    /// What the runtime runs for a placed problem: each fused task's nodes (in graph order) where
    /// the task's device runs them, the tasks in the device's scheduled order; one fusion group per
    /// task. The graph loses its `device`, `order` and `group` annotations (the plan holds them).
    /// Throws when the schedule is not executable (a compiler bug, never the user's input).
    public init(_ problem: PlacementProblem, placement: Placement) throws(PlanError) {
        let tasks = problem.tasks, schedule = placement.schedule
        let nodeTask = tasks.nodeTask.map(Int.init)
        let device = nodeTask.map { Int(placement.taskDevice[$0]) }
        var order = [[Int]](repeating: [], count: schedule.deviceCount)
        for d in 0..<schedule.deviceCount {
            for i in Int(schedule.orderStart[d])..<Int(schedule.orderStart[d + 1]) {
                order[d] += tasks.members(of: Int(schedule.order[i])).map(Int.init)
            }
        }
        var clean = problem.graph
        for i in clean.nodes.indices { for a in ["device", "order", "group"] { clean.nodes[i].attributes[a] = nil } }
        self.init(graph: clean, deviceCount: schedule.deviceCount, device: device, order: order, group: nodeTask)
        if let problem = problems().first {
            throw PlanError(.invalidPlan, "internal error: the placed schedule is not executable: \(problem)")
        }
    }

    /// Every value a node reads from another device, once per destination.
    public var transfers: [CompiledPlan.Transfer] {
        var seen = Set<[Int]>(), out: [CompiledPlan.Transfer] = []
        for (i, node) in graph.nodes.enumerated() {
            for v in node.operands {
                guard let p = graph.values[v.index].producer, device[p.index] != device[i],
                      seen.insert([v.index, device[i]]).inserted else { continue }
                out.append(.init(value: v.index, source: device[p.index], destination: device[i],
                                 bytes: Int(graph.type(of: v).expectedBytes.rounded())))
            }
        }
        return out
    }
}

extension CompiledPlan {
    /// The plan of a placed, simulated problem: its execution, the cluster, the transfers, the
    /// simulated peak memory and step time, and where it came from.
    public init(_ placed: PlacedProblem, placer: String, source: String, seed: UInt64, training: Bool,
                weights: [String: WeightData] = [:]) throws(PlanError) {
        let execution = try ExecutionPlan(placed.problem, placement: placed.evaluation.placement)
        let report = placed.evaluation.report
        self.init(execution: execution, clusterText: placed.problem.cluster.printed(), transfers: execution.transfers,
                  peakMemory: report.peakMemory.map { Int($0) }, simulatedStepSeconds: report.makespan,
                  seed: seed, training: training, placer: placer, source: source, weights: weights)
    }
}
