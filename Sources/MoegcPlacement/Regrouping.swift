import MoegcIR
import MoegcPasses

extension PlacementProblem {
    /// The problem a placer's regrouping makes, and its decision carried over to the new tasks: the
    /// graph's `group` annotations rewritten so each new group is one fusion group, the problem
    /// rebuilt from them; a merged task takes its members' device (which they must share) and, with
    /// given priorities, the highest of theirs (given positions, the first). Without a regrouping, both come back unchanged.
    public func regrouped(by decision: PlacementDecision) throws(PlacementError) -> (problem: PlacementProblem, decision: PlacementDecision) {
        guard let groups = decision.regrouping else { return (self, decision) }
        guard groups.count == taskCount else {
            throw .invalidPlacement("the regrouping names \(groups.count) groups for \(taskCount) tasks")
        }
        var graph = self.graph
        let plan = FusionPlan(renumbering: tasks.nodeTask.map { Int32(truncatingIfNeeded: groups[Int($0)]) })
        plan.annotate(&graph)
        var merged = try PlacementProblem(graph: graph, cluster: cluster, plan: plan, reserve: reserveOverride)
        merged.reserve = reserve
        for (node, task) in tasks.nodeTask.enumerated() where constraints.pin[Int(task)] >= 0 {
            let new = Int(merged.tasks.nodeTask[node])
            merged.constraints.pin[new] = constraints.pin[Int(task)]
        }
        for (node, task) in tasks.nodeTask.enumerated() where constraints.pinnedOrder[Int(task)] >= 0 {
            let new = Int(merged.tasks.nodeTask[node]), o = constraints.pinnedOrder[Int(task)]
            merged.constraints.pinnedOrder[new] = merged.constraints.pinnedOrder[new] < 0 ? o : min(merged.constraints.pinnedOrder[new], o)
        }
        var devices = [Int32](repeating: -1, count: merged.taskCount)
        var highest: [Double]? = nil
        var first: [Int32]? = nil
        if case .given(let old) = decision.priority {
            var h = [Double](repeating: -.infinity, count: merged.taskCount)
            for (node, task) in tasks.nodeTask.enumerated() {
                let new = Int(merged.tasks.nodeTask[node])
                h[new] = max(h[new], old[Int(task)])
            }
            highest = h
        }
        if case .positions(let old) = decision.priority {
            var p = [Int32](repeating: .max, count: merged.taskCount)
            for (node, task) in tasks.nodeTask.enumerated() {
                let new = Int(merged.tasks.nodeTask[node])
                p[new] = min(p[new], old[Int(task)])
            }
            first = p
        }
        for (node, task) in tasks.nodeTask.enumerated() {
            let new = Int(merged.tasks.nodeTask[node]), device = decision.devices[Int(task)]
            guard devices[new] < 0 || devices[new] == device else {
                throw .invalidPlacement("merged task \(new) has members on devices \(devices[new]) and \(device)")
            }
            devices[new] = device
        }
        var out = decision
        out.devices = devices
        out.priority = highest.map { .given($0) } ?? first.map { .positions($0) } ?? .bLevel
        out.regrouping = nil
        return (merged, out)
    }
}
