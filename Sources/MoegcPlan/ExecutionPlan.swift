import MoegcIR

/// What the runtime executes: a lowered graph, the device of every node, each device's order, and
/// the fusion groups. The compiled plan file stores exactly this (plus costs and the cluster).
public struct ExecutionPlan: Sendable, Equatable {
    public var graph: Graph
    public var deviceCount: Int
    /// The device of every node, by node index.
    public var device: [Int]
    /// Each device's node indices in execution order.
    public var order: [[Int]]
    /// The fusion group of every node (nodes of one group sit on one device and run back to back;
    /// elementwise chains inside a group run as one pass over memory). nil: no fusion.
    public var group: [Int]?

    public init(graph: Graph, deviceCount: Int, device: [Int], order: [[Int]], group: [Int]? = nil) {
        self.graph = graph
        self.deviceCount = deviceCount
        self.device = device
        self.order = order
        self.group = group
    }

    /// Everything on device 0, in the graph's order.
    public static func singleDevice(_ graph: Graph) -> ExecutionPlan {
        ExecutionPlan(graph: graph, deviceCount: 1, device: Array(repeating: 0, count: graph.nodes.count),
                      order: [Array(graph.nodes.indices)])
    }

    /// Checks the plan before anything runs: devices in range, every node in exactly its device's
    /// order once, fusion groups on one device, and — by replaying the orders against the data
    /// dependencies — that every device can run its order to the end. A plan that passes cannot
    /// deadlock in the runtime (senders never block). Returns the problems found (empty: valid).
    public func problems() -> [String] {
        let n = graph.nodes.count
        guard deviceCount >= 1 else { return ["a plan needs at least one device"] }
        guard device.count == n else { return ["the plan places \(device.count) nodes, the graph has \(n)"] }
        guard order.count == deviceCount else { return ["the plan has \(order.count) device orders for \(deviceCount) devices"] }
        var seen = [Bool](repeating: false, count: n)
        for (i, d) in device.enumerated() where d < 0 || d >= deviceCount {
            return ["node \(name(i)) is placed on device \(d), outside 0..<\(deviceCount)"]
        }
        for (d, list) in order.enumerated() {
            for i in list {
                guard i >= 0 && i < n else { return ["device \(d)'s order names node \(i), which does not exist"] }
                guard !seen[i] else { return ["node \(name(i)) appears twice in the orders"] }
                seen[i] = true
                guard device[i] == d else { return ["node \(name(i)) is in device \(d)'s order but placed on device \(device[i])"] }
            }
        }
        if let missing = seen.firstIndex(of: false) { return ["node \(name(missing)) is in no device's order"] }
        if let group {
            guard group.count == n else { return ["the plan groups \(group.count) nodes, the graph has \(n)"] }
            var groupDevice: [Int: Int] = [:]
            for i in 0..<n {
                if let d = groupDevice[group[i]], d != device[i] {
                    return ["fusion group \(group[i]) spans devices \(d) and \(device[i])"]
                }
                groupDevice[group[i]] = device[i]
            }
        }
        return deadlock()
    }

    /// Replays the orders: a node runs once all its operands exist. Reports the stuck devices.
    private func deadlock() -> [String] {
        var produced = [Bool](repeating: false, count: graph.values.count)
        for v in graph.inputs { produced[v.index] = true }
        var next = [Int](repeating: 0, count: deviceCount)
        var remaining = graph.nodes.count
        var progress = true
        while progress && remaining > 0 {
            progress = false
            for d in 0..<deviceCount {
                while next[d] < order[d].count {
                    let node = graph.nodes[order[d][next[d]]]
                    guard node.operands.allSatisfy({ produced[$0.index] }) else { break }
                    for r in node.results { produced[r.index] = true }
                    next[d] += 1
                    remaining -= 1
                    progress = true
                }
            }
        }
        guard remaining > 0 else { return [] }
        return (0..<deviceCount).compactMap { d -> String? in
            guard next[d] < order[d].count else { return nil }
            let i = order[d][next[d]]
            let waiting = graph.nodes[i].operands.filter { !produced[$0.index] }.map { "%" + graph.values[$0.index].name }
            return "device \(d) cannot run \(name(i)): it waits for \(waiting.joined(separator: ", ")), which no device can produce first (the orders contradict the data dependencies)"
        }
    }

    func name(_ i: Int) -> String { "%" + graph.values[graph.nodes[i].results[0].index].name }
}
