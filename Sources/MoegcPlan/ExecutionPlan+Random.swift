import MoegcIR
import MoegcSupport

extension ExecutionPlan {
    /// A random valid plan, for tests and calibration: every node on a random device, the devices'
    /// orders cut from one random topological order of the graph, and runs of consecutive nodes on
    /// a device joined into fusion groups with probability `fusion` per node.
    public static func random(_ graph: Graph, devices: Int, fusion: Double, generator g: inout SeededGenerator) -> ExecutionPlan {
        let n = graph.nodes.count
        var pending = [Int](repeating: 0, count: n), consumers = [[Int]](repeating: [], count: n)
        for (i, node) in graph.nodes.enumerated() {
            for p in Set(node.operands.compactMap { graph.values[$0.index].producer?.index }) {
                pending[i] += 1
                consumers[p].append(i)
            }
        }
        var ready = (0..<n).filter { pending[$0] == 0 }
        var device = [Int](repeating: 0, count: n), order = [[Int]](repeating: [], count: devices)
        var group = [Int](repeating: 0, count: n), lastOn = [Int?](repeating: nil, count: devices)
        while !ready.isEmpty {
            let i = ready.remove(at: g.nextInt(below: ready.count))
            let d = g.nextInt(below: devices)
            device[i] = d
            if let prev = lastOn[d], g.nextDouble() < fusion { group[i] = group[prev] } else { group[i] = i }
            order[d].append(i)
            lastOn[d] = i
            for c in consumers[i] {
                pending[c] -= 1
                if pending[c] == 0 { ready.append(c) }
            }
        }
        return ExecutionPlan(graph: graph, deviceCount: devices, device: device, order: order, group: group)
    }
}
