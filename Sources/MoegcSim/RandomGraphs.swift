import Foundation
import MoegcSupport

/// Seeded random cost graphs for property tests and benchmarks.
public enum RandomGraphs {
    /// A layered DAG of `tasks` tasks in layers of `width`: every task outside the first layer reads
    /// 1…`maxFanIn` values of the previous two layers; every task produces one value; the last
    /// layer's values are graph outputs. Costs are drawn log-uniformly: 10⁶–10⁹ flops, 10³–10⁷ bytes
    /// accessed, values 10²–10⁶ bytes; one task in eight holds 10⁵–10⁷ bytes of weights.
    public static func layered(tasks: Int, width: Int, maxFanIn: Int = 3, seed: UInt64) -> CostGraph {
        var rng = SeededGenerator(seed: seed)
        func logUniform(_ lo: Double, _ hi: Double) -> Double {
            lo * pow(10, log10(hi / lo) * rng.nextDouble())
        }
        let width = max(1, width)
        var taskList: [CostGraph.Task] = []
        taskList.reserveCapacity(tasks)
        var consumerLists = [[Int]](repeating: [], count: tasks)
        for t in 0..<tasks {
            let resident = rng.nextInt(below: 8) == 0 ? Int(logUniform(1e5, 1e7)) : 0
            taskList.append(CostGraph.Task(flops: logUniform(1e6, 1e9), bytesAccessed: logUniform(1e3, 1e7),
                                           launches: 1, residentBytes: resident))
            let layer = t / width
            guard layer > 0 else { continue }
            let lo = max(0, (layer - 2) * width), hi = layer * width // previous two layers
            let fanIn = 1 + rng.nextInt(below: max(1, maxFanIn))
            for _ in 0..<fanIn { consumerLists[lo + rng.nextInt(below: hi - lo)].append(t) }
        }
        let lastLayer = (tasks - 1) / width
        let values = (0..<tasks).map { t in
            CostGraph.Value(producer: t, bytes: Int(logUniform(1e2, 1e6)), consumers: consumerLists[t],
                            isOutput: t / width == lastLayer)
        }
        // Consumers always come from later layers, so the graph is acyclic by construction.
        return try! CostGraph(tasks: taskList, values: values)
    }

    /// A random placement over `deviceCount` devices.
    public static func placement(tasks: Int, deviceCount: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return (0..<tasks).map { _ in rng.nextInt(below: deviceCount) }
    }

    /// Random priorities in [0, 1): with `ListScheduler`, a random valid order.
    public static func priorities(tasks: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<tasks).map { _ in rng.nextDouble() }
    }
}
