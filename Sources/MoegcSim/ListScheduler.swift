import HeapModule

/// Turns a placement and a priority per task into per-device orders.
///
/// The priorities are pluggable: b-level from `Priorities`, or numbers an RL policy emits.
public enum ListScheduler {
    /// Static list scheduling: repeatedly take, among the ready tasks (every producer already taken),
    /// the one with the highest priority (ties: lower task index); device d's order is the sequence
    /// of its tasks in that global order. The global order is topological, so the result never
    /// deadlocks in the simulator. O((T + E) log T).
    public static func schedule(graph: CostGraph, placement: [Int], deviceCount: Int, priority: [Double]) -> Schedule {
        precondition(placement.count == graph.taskCount && priority.count == graph.taskCount,
                     "one device and one priority per task")
        var pending = (0..<graph.taskCount).map { Int(graph.inputStart[$0 + 1] - graph.inputStart[$0]) }
        var ready = Heap<ReadyTask>()
        for t in 0..<graph.taskCount where pending[t] == 0 { ready.insert(ReadyTask(priority: priority[t], task: t)) }
        var orders = [[Int]](repeating: [], count: deviceCount)
        while let next = ready.popMax() {
            let t = next.task
            orders[placement[t]].append(t)
            for o in Int(graph.outputStart[t])..<Int(graph.outputStart[t + 1]) {
                for c in graph.consumers(of: Int(graph.outputValues[o])) {
                    pending[Int(c)] -= 1
                    if pending[Int(c)] == 0 { ready.insert(ReadyTask(priority: priority[Int(c)], task: Int(c))) }
                }
            }
        }
        return Schedule(placement: placement, orders: orders)
    }

    /// Orders by b-level computed on the placed devices (critical path first, transfers included).
    public static func bLevelSchedule(graph: CostGraph, costs: CostModel, placement: [Int]) -> Schedule {
        let priority = Priorities.bLevel(graph: graph, costs: costs, estimate: .placed(placement))
        return schedule(graph: graph, placement: placement, deviceCount: costs.deviceCount, priority: priority)
    }
}

/// A ready task in the list scheduler's heap: higher priority first, then lower index.
private struct ReadyTask: Comparable {
    var priority: Double
    var task: Int

    static func < (a: ReadyTask, b: ReadyTask) -> Bool {
        // NaN priorities sort as lowest so they cannot break the heap's ordering.
        let pa = a.priority.isNaN ? -Double.infinity : a.priority
        let pb = b.priority.isNaN ? -Double.infinity : b.priority
        return pa < pb || (pa == pb && a.task > b.task)
    }
}
