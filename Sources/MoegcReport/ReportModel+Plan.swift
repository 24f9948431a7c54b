import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcSim

extension ReportModel {
    /// The report of a compiled plan: its graph, fusion groups, devices and orders rebuilt as a
    /// placement problem on the plan's cluster (one task per fusion group, a device's tasks in the
    /// order its nodes run) and simulated again — the plan's own step, so the step time matches the
    /// one `compile` stored (a test checks it).
    public init(plan: CompiledPlan, file: String, measured: MeasuredTrace? = nil) throws(ReportError) {
        guard let cluster = plan.cluster else {
            throw ReportError("\(file): error: the plan's cluster does not parse; it cannot be simulated")
        }
        let e = plan.execution
        let fusion = FusionPlan(renumbering: (e.group ?? Array(e.graph.nodes.indices)).map { Int32(truncatingIfNeeded: $0) })
        let problem: PlacementProblem
        do { problem = try PlacementProblem(graph: e.graph, cluster: cluster, plan: fusion) } catch {
            throw ReportError("\(file): error: \(error.description)")
        }
        guard cluster.deviceCount == e.deviceCount else {
            throw ReportError("\(file): error: the plan has \(e.deviceCount) devices, its cluster '\(cluster.name)' \(cluster.deviceCount)")
        }
        let tasks = problem.tasks
        var device = [Int](repeating: -1, count: tasks.taskCount)
        var orders = [[Int]](repeating: [], count: e.deviceCount)
        var seen = [Bool](repeating: false, count: tasks.taskCount)
        for d in 0..<e.deviceCount {
            for n in e.order[d] {
                let t = Int(tasks.nodeTask[n])
                if device[t] >= 0 && device[t] != d {
                    throw ReportError("\(file): error: fusion group of node \(n) runs on devices \(device[t]) and \(d)")
                }
                device[t] = d
                if !seen[t] {
                    seen[t] = true
                    orders[d].append(t)
                }
            }
        }
        if let t = device.firstIndex(of: -1) {
            throw ReportError("\(file): error: task \(t) (\(tasks.name(of: t, in: e.graph))) is in no device's order")
        }
        let placement = Placement(taskDevice: device.map { Int32($0) }, schedule: Schedule(placement: device, orders: orders))
        try self.init(problem: problem, placement: placement,
                      origin: Origin(source: plan.source, placer: plan.placer, training: plan.training, seed: plan.seed),
                      measured: measured)
    }
}
