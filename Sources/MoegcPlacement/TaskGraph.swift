import MoegcIR
import MoegcPasses
import MoegcSim
import MoegcSupport

/// The simulator's view of an IR graph: one task per fusion group, one cost-graph value per IR value
/// that crosses groups, with the maps between them.
///
///     IR nodes ──(fusion plan: group of each node)──▶ tasks      nodeTask[n], members(of: t)
///     IR values ──(crossing a group boundary?)─────▶ values     costValue[v] (−1: internal)
///
/// **Costs.** A task's flops and bytes are the sums of its members' registry costs (`Graph.cost`,
/// data-dependent dimensions at their expected size), less the memory round trips fusion removes: a
/// member reading a value another member produced reads it from registers (its read is not charged),
/// and a value no other task reads and that is no graph output is never written. Launches: one per
/// task that does any work; a task of zero-cost members (a lone weight, a reshape view) launches none.
///
/// **Weights are folded into their consumers.** A zero-cost source (`param`) is weights, held on its
/// device for the whole run: its bytes are *resident bytes* of the task it belongs to. The fusion pass
/// already puts a weight in its consumers' group; without fusion (`FusionPlan.singletons`) the adaptor
/// still folds each weight into its consumer's task when all its consumers share one, because a
/// weight is placed with the op that reads it, never shipped each step. A weight read by several tasks
/// stays a task of its own (no work, resident bytes) whose value is sent to the readers on other
/// devices. Layer ops not yet lowered (`lstm`, `attention`, …) are single tasks holding the parameters
/// their registry entry declares; `opaque` ops hold their `weights` attribute.
///
/// **Graph inputs** (token ids) are fed to every device that reads them before the step starts: they
/// are neither tasks nor values, and reading them is part of the consumers' bytes.
///
/// Built from flat arrays in one pass over nodes and values; no per-node dictionaries.
public struct TaskGraph: Sendable {
    public let costGraph: CostGraph
    /// The task of each IR node.
    public let nodeTask: ContiguousArray<Int32>
    /// Members of task t: `taskNodes[taskNodeStart[t] ..< taskNodeStart[t + 1]]`, in node order.
    public let taskNodeStart: ContiguousArray<Int32>
    public let taskNodes: ContiguousArray<Int32>
    /// The cost-graph value of each IR value, or −1 (graph input, or internal to one task).
    public let costValue: ContiguousArray<Int32>
    /// Weights each task keeps on its device: its resident bytes, plus, for a weight shared by several
    /// tasks, that weight (held as a never-freed value).
    public let weightBytes: ContiguousArray<Int>

    public var taskCount: Int { costGraph.taskCount }

    /// The IR nodes of task `t`.
    public func members(of t: Int) -> ArraySlice<Int32> { taskNodes[Int(taskNodeStart[t])..<Int(taskNodeStart[t + 1])] }

    /// Builds the task graph of `graph` (shape inference must have run) for a fusion plan: the one in
    /// its `group` annotations by default, or every node alone when it has none.
    public init(_ graph: Graph, plan: FusionPlan? = nil) throws(CostGraphError) {
        let plan = plan ?? FusionPlan.annotated(graph) ?? FusionPlan.singletons(graph)
        let n = graph.nodes.count
        guard plan.group.count == n else {
            throw CostGraphError(problems: ["the fusion plan has \(plan.group.count) entries for \(n) nodes"])
        }
        var costs = [OpCost]()
        costs.reserveCapacity(n)
        for i in 0..<n { costs.append(graph.cost(NodeID(i))) }

        // Weights: zero-cost sources. Fold each into its consumers' group when they share one.
        var isWeight = [Bool](repeating: false, count: n)
        for i in 0..<n where graph.nodes[i].op.schema.fusion == .source && graph.nodes[i].operands.isEmpty
            && costs[i].flops == 0 && costs[i].bytes == 0 { isWeight[i] = true }
        var group = plan.group.map(Int.init)
        var consumerGroup = [Int](repeating: -1, count: n) // -1 unseen, -2 several
        for (c, node) in graph.nodes.enumerated() {
            for v in node.operands {
                guard let w = graph.values[v.index].producer?.index, isWeight[w] else { continue }
                let g = group[c]
                if consumerGroup[w] == -1 { consumerGroup[w] = g } else if consumerGroup[w] != g { consumerGroup[w] = -2 }
            }
        }
        for w in 0..<n where isWeight[w] && consumerGroup[w] >= 0 { group[w] = consumerGroup[w] }

        // Tasks numbered by first member.
        var taskOfGroup = [Int32](repeating: -1, count: max(plan.groupCount, (group.max() ?? -1) + 1))
        var nodeTask = ContiguousArray<Int32>(repeating: 0, count: n)
        var taskCount: Int32 = 0
        for i in 0..<n {
            if taskOfGroup[group[i]] < 0 {
                taskOfGroup[group[i]] = taskCount
                taskCount += 1
            }
            nodeTask[i] = taskOfGroup[group[i]]
        }
        let t = Int(taskCount)
        var start = ContiguousArray<Int32>(repeating: 0, count: t + 1)
        for i in 0..<n { start[Int(nodeTask[i]) + 1] += 1 }
        for k in 0..<t { start[k + 1] += start[k] }
        var fill = start
        var members = ContiguousArray<Int32>(repeating: 0, count: n)
        for i in 0..<n {
            let k = Int(nodeTask[i])
            members[Int(fill[k])] = Int32(i)
            fill[k] += 1
        }

        var flops = ContiguousArray<Double>(repeating: 0, count: t)
        var bytes = ContiguousArray<Double>(repeating: 0, count: t)
        var working = ContiguousArray<Int32>(repeating: 0, count: t)
        var resident = ContiguousArray<Int>(repeating: 0, count: t)
        for i in 0..<n {
            let k = Int(nodeTask[i])
            flops[k] += costs[i].flops
            bytes[k] += costs[i].bytes
            if costs[i].flops > 0 || costs[i].bytes > 0 { working[k] = 1 }
            resident[k] = Sizes.saturatingSum(resident[k], TaskGraph.weightBytes(graph, NodeID(i), isWeight: isWeight[i]))
        }

        // Values: those crossing tasks (or graph outputs) become cost-graph values.
        var isOutput = [Bool](repeating: false, count: graph.values.count)
        for v in graph.outputs { isOutput[v.index] = true }
        var consumerStart = ContiguousArray<Int32>()
        var consumers = ContiguousArray<Int32>()
        var valueProducer = ContiguousArray<Int32>()
        var valueBytes = ContiguousArray<Int>()
        var valueIsOutput = ContiguousArray<Bool>()
        var costValue = ContiguousArray<Int32>(repeating: -1, count: graph.values.count)
        consumerStart.append(0)
        // Consumers of each IR value, as CSR over node operands.
        var useStart = [Int32](repeating: 0, count: graph.values.count + 1)
        for node in graph.nodes { for v in node.operands { useStart[v.index + 1] += 1 } }
        for v in 0..<graph.values.count { useStart[v + 1] += useStart[v] }
        var useFill = useStart
        var uses = [Int32](repeating: 0, count: Int(useStart[graph.values.count]))
        for (c, node) in graph.nodes.enumerated() {
            for v in node.operands {
                uses[Int(useFill[v.index])] = Int32(c)
                useFill[v.index] += 1
            }
        }
        // Tasks made of weights only (shared weights): their weights live in their values.
        var weightsOnly = [Bool](repeating: true, count: t)
        for i in 0..<n where !isWeight[i] { weightsOnly[Int(nodeTask[i])] = false }
        let weightBytes = resident
        for k in 0..<t where weightsOnly[k] { resident[k] = 0 }
        var lastTask = [Int32](repeating: -1, count: t) // dedup stamp: value index that last listed a task
        for (vi, value) in graph.values.enumerated() {
            guard let p = value.producer?.index else { continue }
            let pt = Int(nodeTask[p])
            let size = graph.type(of: ValueID(vi)).expectedBytes
            let weight = isWeight[p]
            let begin = consumers.count
            for u in Int(useStart[vi])..<Int(useStart[vi + 1]) {
                let c = Int(uses[u])
                let ct = Int(nodeTask[c])
                if ct == pt {
                    // A member reads it from registers (weights are still read from memory).
                    if !weight && costs[c].bytesRead > 0 { bytes[pt] -= size }
                } else if lastTask[ct] != Int32(vi) {
                    lastTask[ct] = Int32(vi)
                    consumers.append(Int32(ct))
                }
            }
            if consumers.count == begin && !isOutput[vi] {
                if !weight && costs[p].bytesWritten > 0 { bytes[pt] -= size } // never written out
                continue
            }
            costValue[vi] = Int32(valueProducer.count)
            valueProducer.append(Int32(pt))
            valueBytes.append(TaskGraph.clampedBytes(size))
            valueIsOutput.append(isOutput[vi] || weightsOnly[pt])
            consumerStart.append(Int32(consumers.count))
        }
        for k in 0..<t { bytes[k] = max(0, bytes[k]) }
        // The simulator adds these up in 64-bit integers: their total must leave room (a device
        // holds each value and weight at most once, so no device's memory can exceed it).
        var total = 0
        for b in weightBytes { total = Sizes.saturatingSum(total, b) }
        for b in valueBytes { total = Sizes.saturatingSum(total, b) }
        guard total <= TaskGraph.maxTotalBytes else {
            throw CostGraphError(problems: ["the model's weights and values add up to more than \(TaskGraph.maxTotalBytes) bytes (2^62), more than moegc can place"])
        }
        costGraph = try CostGraph(flops: flops, bytesAccessed: bytes, launches: working, residentBytes: resident,
                                  valueProducer: valueProducer, valueBytes: valueBytes, valueIsOutput: valueIsOutput,
                                  consumerStart: consumerStart, consumers: consumers)
        self.nodeTask = nodeTask
        self.taskNodeStart = start
        self.taskNodes = members
        self.costValue = costValue
        self.weightBytes = weightBytes
    }

    /// The most bytes a cost graph's weights and values may add up to: any device's memory stays
    /// below it, so the simulator's sums cannot overflow.
    public static let maxTotalBytes = 1 << 62

    /// Bytes of weights node `nid` keeps on its device: a weight's result, a layer's declared
    /// parameters, an opaque op's `weights` attribute.
    static func weightBytes(_ graph: Graph, _ nid: NodeID, isWeight: Bool) -> Int {
        let node = graph[nid]
        if isWeight { return node.results.reduce(0) { $0 + (graph.type(of: $1).byteCount ?? 0) } }
        switch node.op.schema.level {
        case .layer:
            return Int(clamping: graph.parameters(nid).reduce(0) {
                Sizes.saturatingSum($0, Sizes.saturatingProduct($1.count, $1.type.byteCount ?? .max))
            })
        case .opaque:
            return TaskGraph.clampedBytes(node.attributes["weights"]?.doubleValue ?? 0)
        case .primitive:
            return 0
        }
    }

    /// A byte count from a cost model's Double: rounded up, 0 for anything not positive, at most 2^62.
    static func clampedBytes(_ x: Double) -> Int {
        guard x.isFinite, x > 0 else { return x == .infinity ? maxTotalBytes : 0 }
        return x < Double(maxTotalBytes) ? Int(x.rounded(.up)) : maxTotalBytes
    }

    /// A readable name for task `t`: its first computing member's first result (`%moe.expert3.hidden`),
    /// with the number of members when fused.
    public func name(of t: Int, in graph: Graph) -> String {
        let m = members(of: t)
        let lead = m.first { graph.nodes[Int($0)].op.schema.fusion != .source } ?? m.first!
        let node = graph.nodes[Int(lead)]
        let base = "\(node.op) %" + (node.results.first.map { graph[$0].name } ?? "?")
        return m.count > 1 ? "\(base) (+\(m.count - 1))" : base
    }
}
