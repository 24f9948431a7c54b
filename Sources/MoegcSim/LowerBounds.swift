/// A lower bound on the step time with a name for reports, e.g. ("critical-path", 1.2e-3).
public struct NamedBound: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var seconds: Double

    public init(_ name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }

    public var description: String { "\(name) \(seconds)s" }
}

/// Bounds no placement and order of `graph` on `cluster` can beat, for judging a schedule.
///
/// Time bounds (each ≤ the makespan of every schedule the simulator can run):
/// - **critical-path**: the longest path, each task at its fastest device, transfers free. Any
///   schedule runs a path's tasks one after another, each at least as slow as on its fastest device.
/// - **work**: Σ over tasks of the fastest time ÷ Σ over devices of their relative speed. Device d's
///   relative speed r_d = max over tasks of fastest(t) / time(t, d) (1 for a device that is the
///   fastest for some task; a tenth for one ten times slower at everything). A task on d takes at
///   least fastest(t) / r_d, so in time M device d gets through tasks whose fastest times sum to at
///   most r_d · M: Σ fastest ≤ M · Σ r_d. On identical devices Σ r_d is the device count.
/// - **flops**: Σ flops ÷ Σ device peak. In time M device d does at most M · peak_d flops.
/// - any **extra** bounds the caller supplies (e.g. an MoE all-to-all bound from the adaptor).
///
/// Memory feasibility (not a time; a placement that breaks it cannot exist):
/// - Σ resident bytes ≤ Σ capacity (weights are never freed);
/// - every task's working set (weights + inputs + outputs, all live while it runs) ≤ the largest capacity.
public struct LowerBounds: Sendable {
    public var criticalPath: Double
    public var work: Double
    public var flops: Double
    public var extra: [NamedBound]
    public var memory: MemoryFeasibility

    public init(graph: CostGraph, cluster: Cluster, extra: [NamedBound] = []) {
        let costs = CostModel(cluster)
        let t = graph.taskCount
        let d = cluster.deviceCount
        var fastest = [Double](repeating: 0, count: t)
        var speed = [Double](repeating: 0, count: d)
        var times = [Double](repeating: 0, count: d)
        var totalFastest = 0.0, totalFlops = 0.0
        for i in 0..<t {
            var best = Double.infinity
            for k in 0..<d {
                times[k] = costs.time(of: i, in: graph, on: k)
                best = min(best, times[k])
            }
            for k in 0..<d where times[k] > 0 { speed[k] = max(speed[k], best / times[k]) }
            fastest[i] = best
            totalFastest += best
            totalFlops += graph.flops[i]
        }
        // Longest path in topological order: finish[i] = fastest[i] + max finish of its producers.
        var finish = [Double](repeating: 0, count: t)
        var longest = 0.0
        for ti in graph.topologicalOrder {
            let i = Int(ti)
            var ready = 0.0
            for k in Int(graph.inputStart[i])..<Int(graph.inputStart[i + 1]) {
                ready = max(ready, finish[Int(graph.valueProducer[Int(graph.edgeValue[Int(graph.inputEdges[k])])])])
            }
            finish[i] = ready + fastest[i]
            longest = max(longest, finish[i])
        }
        let totalPeak = cluster.devices.indices.reduce(0.0) { $0 + cluster.peakFlops($1) }
        criticalPath = longest
        let totalSpeed = speed.reduce(0, +)
        work = d == 0 ? .infinity : totalSpeed > 0 ? totalFastest / totalSpeed : 0
        flops = totalPeak > 0 ? totalFlops / totalPeak : .infinity
        self.extra = extra
        memory = MemoryFeasibility(graph: graph, cluster: cluster)
    }

    /// Every time bound, named.
    public var all: [NamedBound] {
        [NamedBound("critical-path", seconds: criticalPath), NamedBound("work", seconds: work),
         NamedBound("flops", seconds: flops)] + extra
    }

    /// The tightest (largest) bound.
    public var best: NamedBound { all.max { $0.seconds < $1.seconds }! }

    /// `makespan / max(bounds)`: 1 is optimal; how far a schedule is from what is provably possible.
    public func ratio(makespan: Double) -> Double {
        best.seconds > 0 ? makespan / best.seconds : (makespan > 0 ? .infinity : 1)
    }
}

/// Whether the graph's memory can fit the cluster at all.
public struct MemoryFeasibility: Hashable, Sendable {
    public var totalResident: Int
    public var totalCapacity: Int
    public var largestCapacity: Int
    /// The task with the largest working set, and that working set in bytes.
    public var largestWorkingSetTask: Int?
    public var largestWorkingSet: Int
    /// Why no placement fits, one line each; empty when memory does not rule every placement out.
    public var problems: [String]

    public var isFeasible: Bool { problems.isEmpty }

    public init(graph: CostGraph, cluster: Cluster) {
        totalResident = graph.residentBytes.reduce(0, +)
        totalCapacity = cluster.devices.indices.reduce(0) { $0 + cluster.memoryCapacity($1) }
        largestCapacity = cluster.devices.indices.map { cluster.memoryCapacity($0) }.max() ?? 0
        largestWorkingSetTask = nil
        largestWorkingSet = 0
        for t in 0..<graph.taskCount {
            let w = graph.workingSet(of: t) + (graph.graphInputBytesPerTask.isEmpty ? 0 : graph.graphInputBytesPerTask[t])
            if w > largestWorkingSet || largestWorkingSetTask == nil {
                largestWorkingSet = w
                largestWorkingSetTask = t
            }
        }
        problems = []
        if totalResident > totalCapacity {
            problems.append("the weights need \(totalResident) bytes; all devices together hold \(totalCapacity)")
        }
        if let t = largestWorkingSetTask, largestWorkingSet > largestCapacity {
            problems.append("task \(t) needs \(largestWorkingSet) bytes live at once; the largest device holds \(largestCapacity)")
        }
    }
}
