import MoegcIR
import MoegcPasses
import MoegcSim
import MoegcSupport

/// The simulator's view of an IR graph: one task per fusion group, one cost-graph value per IR value
/// that crosses groups, with the maps between them.
///
///     IR nodes ──(one task each, FusionAccounting)──▶ node graph ──fused(groups)──▶ tasks
///     IR values ──(crossing a group boundary?)──────────────────────────────────▶ values
///
/// **Costs** come from one rule, `CostGraph.fused(groups:)`: the graph of one task per IR node
/// (each its registry cost, `Graph.cost`, data-dependent dimensions at their expected size) fused
/// by the fusion groups. A member reading a value another member produced reads it from registers
/// (its read is not charged, unless it is a weight or the reader reads nothing from memory, a view),
/// and a value no other task reads and that is no graph output is never written. Launches: one per
/// task that does any work; a task of zero-cost members (a lone weight, a reshape view) launches none.
/// A later regrouping of the tasks (the policy's merges) fuses this graph again by the same rule.
///
/// **Weights are folded into their consumers.** A weight (the registry's `isWeight` ops) is held on
/// its device for the whole run: its bytes are *resident bytes* of the task it belongs to. The fusion
/// pass already puts a weight in its consumers' group; without fusion (`FusionPlan.singletons`) the
/// adaptor still folds each weight into its consumer's task when all its consumers share one,
/// because a weight is placed with the op that reads it, never shipped each step. A weight read by
/// several tasks stays a task of its own (no work) whose value holds it, sent to the readers on
/// other devices. Layer ops not yet lowered (`lstm`, `attention`, …) are single tasks holding the
/// parameters their registry entry declares; `opaque` ops hold their `weights` attribute.
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
    public var weightBytes: ContiguousArray<Int> { costGraph.accounting!.weightBytes }

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
        let nodes = try TaskGraph.nodeGraph(graph)

        // Weights: fold each into its consumers' group when they share one.
        let isWeight = graph.nodes.map(\.op.schema.isWeight)
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

        let fused = try nodes.graph.fused(groups: nodeTask.map(Int.init))
        var costValue = ContiguousArray<Int32>(repeating: -1, count: graph.values.count)
        for (nodeValue, irValue) in nodes.irValue.enumerated() {
            if let v = fused.valueMap[nodeValue] { costValue[Int(irValue)] = Int32(v) }
        }
        costGraph = fused.graph
        self.nodeTask = nodeTask
        self.taskNodeStart = start
        self.taskNodes = members
        self.costValue = costValue
    }

    /// The graph of one task per IR node, with its fusion accounting, and the IR value of each of its
    /// values (every value with a producer, in IR order).
    static func nodeGraph(_ graph: Graph) throws(CostGraphError) -> (graph: CostGraph, irValue: ContiguousArray<Int32>) {
        let n = graph.nodes.count
        var costs = [OpCost]()
        costs.reserveCapacity(n)
        for i in 0..<n { costs.append(graph.cost(NodeID(i))) }
        let isWeight = graph.nodes.map(\.op.schema.isWeight)
        var flops = ContiguousArray<Double>(), bytes = ContiguousArray<Double>(), launches = ContiguousArray<Int32>()
        var weights = ContiguousArray<Int>()
        flops.reserveCapacity(n); bytes.reserveCapacity(n); launches.reserveCapacity(n); weights.reserveCapacity(n)
        for i in 0..<n {
            flops.append(costs[i].flops)
            bytes.append(costs[i].bytes)
            launches.append(costs[i].flops > 0 || costs[i].bytes > 0 ? 1 : 0)
            weights.append(TaskGraph.weightBytes(graph, NodeID(i), isWeight: isWeight[i]))
        }
        var isOutput = [Bool](repeating: false, count: graph.values.count)
        for v in graph.outputs { isOutput[v.index] = true }
        // Consumers of each IR value, as CSR over node operands (a node reading a value twice reads
        // it twice: its edge's read counts both).
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
        var producer = ContiguousArray<Int32>(), valueBytes = ContiguousArray<Int>(), irValue = ContiguousArray<Int32>()
        var graphOutput = ContiguousArray<Bool>(), writes = ContiguousArray<Double>(), reads = ContiguousArray<Double>()
        var consumerStart = ContiguousArray<Int32>([0]), consumers = ContiguousArray<Int32>()
        for (vi, value) in graph.values.enumerated() {
            guard let p = value.producer?.index else { continue }
            let size = graph.type(of: ValueID(vi)).expectedBytes
            for u in Int(useStart[vi])..<Int(useStart[vi + 1]) {
                let c = Int(uses[u])
                consumers.append(Int32(c))
                reads.append(!isWeight[p] && costs[c].bytesRead > 0 ? size : 0)
            }
            irValue.append(Int32(vi))
            producer.append(Int32(p))
            valueBytes.append(TaskGraph.clampedBytes(size))
            graphOutput.append(isOutput[vi])
            writes.append(!isWeight[p] && costs[p].bytesWritten > 0 ? size : 0)
            consumerStart.append(Int32(consumers.count))
        }
        // The simulator adds these up in 64-bit integers: their total must leave room (a device
        // holds each value and weight at most once, so no device's memory, and no fused task's
        // sum, can exceed it).
        var total = 0
        for b in weights { total = Sizes.saturatingSum(total, b) }
        for b in valueBytes { total = Sizes.saturatingSum(total, b) }
        guard total <= TaskGraph.maxTotalBytes else {
            throw CostGraphError(problems: ["the model's weights and values add up to more than \(TaskGraph.maxTotalBytes) bytes (2^62), more than moegc can place"])
        }
        let weightsOnly = ContiguousArray(isWeight)
        let resident = ContiguousArray((0..<n).map { weightsOnly[$0] ? 0 : weights[$0] })
        let accounting = FusionAccounting(edgeReadBytes: reads, valueWriteBytes: writes, valueIsGraphOutput: graphOutput,
                                          weightBytes: weights, weightsOnly: weightsOnly)
        // The graph's inputs, with the nodes that read them (the simulator holds each on every
        // device that runs a reader).
        var inputBytes: [Int] = [], inputReaders: [[Int]] = []
        for (vi, value) in graph.values.enumerated() where value.producer == nil && useStart[vi] < useStart[vi + 1] {
            inputBytes.append(TaskGraph.clampedBytes(graph.type(of: ValueID(vi)).expectedBytes))
            inputReaders.append((Int(useStart[vi])..<Int(useStart[vi + 1])).map { Int(uses[$0]) })
        }
        for b in inputBytes { total = Sizes.saturatingSum(total, b) }
        guard total <= TaskGraph.maxTotalBytes else {
            throw CostGraphError(problems: ["the model's inputs, weights and values add up to more than \(TaskGraph.maxTotalBytes) bytes (2^62), more than moegc can place"])
        }
        let g = try CostGraph(flops: flops, bytesAccessed: bytes, launches: launches, residentBytes: resident,
                              valueProducer: producer, valueBytes: valueBytes,
                              valueIsOutput: ContiguousArray(zip(graphOutput, producer).map { $0 || weightsOnly[Int($1)] }),
                              consumerStart: consumerStart, consumers: consumers, accounting: accounting)
        return (inputBytes.isEmpty ? g : try g.withGraphInputs(bytes: inputBytes, readers: inputReaders), irValue)
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
