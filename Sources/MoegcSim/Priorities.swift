/// How task and transfer costs are estimated when computing list-scheduling priorities.
public enum CostEstimate: Sendable {
    /// Task: mean time over devices; edge: mean uncontended transfer time over device pairs (HEFT's w̄, c̄).
    case average
    /// Task: time on its fastest device; edge: free (as if producer and consumer shared that device).
    case fastest
    /// Task: time on the device it is placed on; edge: uncontended transfer time between the two
    /// placed devices (0 when they are the same).
    case placed([Int])
}

/// List-scheduling priorities: one number per task, larger = schedule earlier.
public enum Priorities {
    /// b-level (HEFT's upward rank): the longest path from the task to an exit, the task included,
    /// edges costed by the estimate. Tasks on the critical path get the highest values.
    public static func bLevel(graph: CostGraph, costs: CostModel, estimate: CostEstimate = .average) -> [Double] {
        let w = taskCosts(graph, costs, estimate)
        var level = [Double](repeating: 0, count: graph.taskCount)
        for ti in graph.topologicalOrder.reversed() {
            let t = Int(ti)
            var tail = 0.0
            for o in Int(graph.outputStart[t])..<Int(graph.outputStart[t + 1]) {
                let v = Int(graph.outputValues[o])
                for c in graph.consumers(of: v) {
                    tail = max(tail, edgeCost(graph, costs, estimate, value: v, to: Int(c)) + level[Int(c)])
                }
            }
            level[t] = w[t] + tail
        }
        return level
    }

    /// t-level: the longest path from an entry to the task, the task excluded (its earliest start
    /// with unbounded devices). Larger means later, so use `-tLevel` (or `bLevel + tLevel`) as a priority.
    public static func tLevel(graph: CostGraph, costs: CostModel, estimate: CostEstimate = .average) -> [Double] {
        let w = taskCosts(graph, costs, estimate)
        var level = [Double](repeating: 0, count: graph.taskCount)
        for ti in graph.topologicalOrder {
            let t = Int(ti)
            var start = 0.0
            for k in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
                let v = Int(graph.edgeValue[Int(graph.inputEdges[k])])
                let p = Int(graph.valueProducer[v])
                start = max(start, level[p] + w[p] + edgeCost(graph, costs, estimate, value: v, to: t))
            }
            level[t] = start
        }
        return level
    }

    static func taskCosts(_ graph: CostGraph, _ costs: CostModel, _ estimate: CostEstimate) -> [Double] {
        (0..<graph.taskCount).map { t in
            switch estimate {
            case .average: costs.averageTime(of: t, in: graph)
            case .fastest: costs.fastestTime(of: t, in: graph)
            case .placed(let p): costs.time(of: t, in: graph, on: p[t])
            }
        }
    }

    @inline(__always)
    static func edgeCost(_ graph: CostGraph, _ costs: CostModel, _ estimate: CostEstimate, value v: Int, to c: Int) -> Double {
        let bytes = Double(graph.valueBytes[v])
        switch estimate {
        case .average: return costs.averageTransferTime(bytes: bytes)
        case .fastest: return 0
        case .placed(let p): return costs.transferTime(bytes: bytes, from: p[Int(graph.valueProducer[v])], to: p[c])
        }
    }
}
