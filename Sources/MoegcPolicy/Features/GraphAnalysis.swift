import MoegcSim

/// Structural and timing facts about a cost graph that the featurizer reads.
struct GraphAnalysis {
    var inDegree: [Int]
    var outDegree: [Int]
    var bytesIn: [Double]
    var bytesOut: [Double]
    /// Longest path in edges from a source task.
    var depth: [Int]
    var maxDepth: Int
    /// HEFT-style levels with average task and transfer costs (see `Priorities`).
    var tLevel: [Double]
    var bLevel: [Double]
    /// The longest average-cost path (max over tasks of t-level + b-level).
    var criticalPath: Double

    init(graph: CostGraph, costs: CostModel) {
        let n = graph.taskCount
        inDegree = [Int](repeating: 0, count: n)
        outDegree = [Int](repeating: 0, count: n)
        bytesIn = [Double](repeating: 0, count: n)
        bytesOut = [Double](repeating: 0, count: n)
        for v in 0..<graph.valueCount {
            let p = Int(graph.valueProducer[v])
            let size = Double(graph.valueBytes[v])
            bytesOut[p] += size
            for c in graph.consumers(of: v) {
                outDegree[p] += 1
                inDegree[Int(c)] += 1
                bytesIn[Int(c)] += size
            }
        }
        depth = [Int](repeating: 0, count: n)
        for ti in graph.topologicalOrder {
            let t = Int(ti)
            for k in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
                let p = Int(graph.valueProducer[Int(graph.edgeValue[Int(graph.inputEdges[k])])])
                depth[t] = max(depth[t], depth[p] + 1)
            }
        }
        maxDepth = depth.max() ?? 0
        tLevel = Priorities.tLevel(graph: graph, costs: costs, estimate: .average)
        bLevel = Priorities.bLevel(graph: graph, costs: costs, estimate: .average)
        var cp = 0.0
        for t in 0..<n { cp = max(cp, tLevel[t] + bLevel[t]) }
        criticalPath = cp
    }
}
