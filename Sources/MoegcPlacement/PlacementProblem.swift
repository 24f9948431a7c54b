import MoegcIR
import MoegcPasses
import MoegcSim

/// Everything a placer sees: the fused IR, its task graph, the cluster and its cost model, the lower
/// bounds, and the MoE structure of the tasks (which expert and which hierarchical group each belongs
/// to, and the co-location units built from those annotations).
public struct PlacementProblem: Sendable {
    public let graph: Graph
    public let tasks: TaskGraph
    public let cluster: Cluster
    public let costs: CostModel
    public let bounds: LowerBounds
    /// The `expert` / `moe_group` annotation of each task (of its first annotated member), or −1.
    public let taskExpert: [Int32]
    public let taskMoEGroup: [Int32]
    /// Co-location unit of each task, `0..<unitCount` (see `init`): what local search moves and the
    /// policy decides as one; the units that are constraints (`PlacementConstraints.binding`) share
    /// a device whatever the placer (`enforce`).
    public let unit: [Int32]
    public let unitCount: Int
    /// Which devices each task may use, and the pins a placement file set (``PlacementConstraints``).
    public internal(set) var constraints: PlacementConstraints
    /// The reserve the command line set for every device (`--memory-reserve`), over the cluster's.
    public let reserveOverride: MemoryReserve?
    /// Bytes of each device memory-aware placers keep free of weights, for the values live during
    /// the step: `reserveOverride`, else the cluster's `reserve=` for the device, else the default
    /// — the activations the hungriest task holds at once (`activationHeadroom`), at most
    /// `defaultReservePercent` of the device — which `place` raises on a device whose simulated
    /// peak ran over.
    public internal(set) var reserve: [Int]
    /// Whether each device's reserve is the default one (`place` may raise those).
    public let reserveIsDefault: [Bool]
    /// The most bytes of values (inputs and outputs, not weights) one task holds at once.
    public let activationHeadroom: Int

    public var costGraph: CostGraph { tasks.costGraph }
    /// Weights each task keeps on its device (`TaskGraph.weightBytes`): what memory budgets count.
    public var weights: ContiguousArray<Int> { tasks.weightBytes }
    public var deviceCount: Int { cluster.deviceCount }
    public var taskCount: Int { tasks.taskCount }

    /// Builds the problem of placing `graph` (lowered, shapes inferred; fused or not) on `cluster`.
    ///
    /// Co-location units: tasks joined by an IR edge whose two ends carry the same `expert` and the same
    /// `moe_group` annotation (an expert's dispatch, FFN and weights; a hierarchical group's gate,
    /// routing and combine) form one unit, and so do all the tasks whose nodes carry the same
    /// `colocate` name; every other task is a unit of its own. For `expert`, edges, not annotation
    /// values alone, decide, so expert 3 of one MoE layer and expert 3 of the next stay apart.
    ///
    /// A unit with a `colocate` name, and an `expert` / `moe_group` unit that selects no rows by
    /// data (a group written by hand, not a lowered expert), binds every placer. A lowered expert's
    /// unit does not: the paper's layout keeps its `moe_dispatch` by the gate so only the selected
    /// rows travel (made binding, expert-parallel on MoE-256-h with 16 K40s went from 22.8 to 74.9
    /// ms), so it stays a unit for local search and the policy only.
    ///
    /// A node's `devices` annotation (device kind names of the cluster) restricts its task, and its
    /// unit, to the devices of those kinds: a kind the cluster lacks, or a unit whose restrictions
    /// leave no device, is an error naming the node.
    /// The most of a device the default reserve keeps (the fixed 10% reserve of earlier versions).
    public static let defaultReservePercent = 10.0

    public init(graph: Graph, cluster: Cluster, plan: FusionPlan? = nil, reserve reserveOverride: MemoryReserve? = nil) throws(PlacementError) {
        do { try cluster.validate() } catch { throw .invalidCluster(error.description) }
        let tasks: TaskGraph
        do { tasks = try TaskGraph(graph, plan: plan) } catch { throw .invalidGraph(error.description) }
        self.graph = graph
        self.tasks = tasks
        self.cluster = cluster
        self.costs = CostModel(cluster)
        self.reserveOverride = reserveOverride
        let headroom = Self.activationHeadroom(tasks.costGraph)
        activationHeadroom = headroom
        var reserve = [Int](), isDefault = [Bool]()
        for d in 0..<cluster.deviceCount {
            let capacity = cluster.memoryCapacity(d)
            if let given = reserveOverride ?? cluster.memoryReserve(d) {
                reserve.append(given.bytes(ofCapacity: capacity))
                isDefault.append(false)
            } else {
                reserve.append(min(headroom, MemoryReserve.percent(Self.defaultReservePercent).bytes(ofCapacity: capacity)))
                isDefault.append(true)
            }
        }
        self.reserve = reserve
        reserveIsDefault = isDefault
        let t = tasks.taskCount
        var expert = [Int32](repeating: -1, count: t), group = [Int32](repeating: -1, count: t)
        var nodeExpert = [Int32](repeating: -1, count: graph.nodes.count)
        var nodeGroup = [Int32](repeating: -1, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() {
            let k = Int(tasks.nodeTask[i])
            if let e = node.attributes["expert"]?.intValue {
                nodeExpert[i] = Int32(e)
                if expert[k] < 0 { expert[k] = Int32(e) }
            }
            if let g = node.attributes["moe_group"]?.intValue {
                nodeGroup[i] = Int32(g)
                if group[k] < 0 { group[k] = Int32(g) }
            }
        }
        var sets = DisjointSets(t)
        var colocated: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            guard let name = node.attributes["colocate"]?.stringValue, !name.isEmpty else { continue }
            let task = Int(tasks.nodeTask[i])
            if let first = colocated[name] { sets.union(first, task) } else { colocated[name] = task }
        }
        for (c, node) in graph.nodes.enumerated() where nodeExpert[c] >= 0 || nodeGroup[c] >= 0 {
            for v in node.operands {
                guard let p = graph.values[v.index].producer?.index else { continue }
                if nodeExpert[p] == nodeExpert[c] && nodeGroup[p] == nodeGroup[c] {
                    sets.union(Int(tasks.nodeTask[p]), Int(tasks.nodeTask[c]))
                }
            }
        }
        (unit, unitCount) = sets.labels()
        var named = [Bool](repeating: false, count: unitCount), annotated = named, selects = named
        for (i, node) in graph.nodes.enumerated() {
            let u = Int(unit[Int(tasks.nodeTask[i])])
            if let name = node.attributes["colocate"]?.stringValue, !name.isEmpty { named[u] = true }
            if nodeExpert[i] >= 0 || nodeGroup[i] >= 0 {
                annotated[u] = true
                if graph.isDataDependent(node) { selects[u] = true }
            }
        }
        let binding = (0..<unitCount).map { named[$0] || (annotated[$0] && !selects[$0]) }
        constraints = try PlacementConstraints(graph: graph, tasks: tasks, cluster: cluster, unit: unit, unitCount: unitCount,
                                               binding: binding)
        taskExpert = expert
        taskMoEGroup = group
        bounds = LowerBounds(graph: tasks.costGraph, cluster: cluster,
                             extra: MoEAllToAllBound.bounds(graph: graph, tasks: tasks, costs: costs))
    }

    /// Bytes of weights device `d` can take: its capacity less its `reserve`.
    public func weightBudget(_ d: Int) -> Int {
        max(0, cluster.memoryCapacity(d) - reserve[d])
    }

    /// Where device `d`'s reserve comes from, for messages.
    public func reserveSource(_ d: Int) -> String {
        if let r = reserveOverride { return "--memory-reserve \(r)" }
        if let r = cluster.memoryReserve(d) { return "reserve=\(r) in cluster '\(cluster.name)'" }
        return "the default: the activations one task holds at once, at most \(Int(Self.defaultReservePercent))% of the device; "
            + "--memory-reserve or a cluster's reserve= sets it"
    }

    /// The most bytes of values one task reads and writes, graph inputs included (weights aside):
    /// what a device must keep free beside its weights to run it.
    static func activationHeadroom(_ g: CostGraph) -> Int {
        var most = 0
        for t in 0..<g.taskCount {
            var bytes = 0
            for e in Int(g.inputStart[t])..<Int(g.inputStart[t + 1]) { bytes &+= g.valueBytes[Int(g.edgeValue[Int(g.inputEdges[e])])] }
            for o in Int(g.outputStart[t])..<Int(g.outputStart[t + 1]) { bytes &+= g.valueBytes[Int(g.outputValues[o])] }
            if !g.graphInputBytesPerTask.isEmpty { bytes &+= g.graphInputBytesPerTask[t] }
            most = max(most, bytes)
        }
        return most
    }

    /// The tasks of each unit, in task order.
    public func unitMembers() -> [[Int]] {
        var members = [[Int]](repeating: [], count: unitCount)
        for t in 0..<taskCount { members[Int(unit[t])].append(t) }
        return members
    }
}

/// Union–find over `0..<n` with path halving and union by size (co-location units here; the
/// policy's merged fusion groups).
public struct DisjointSets: Sendable {
    private var parent: [Int32]
    private var size: [Int32]

    public init(_ n: Int) {
        parent = (0..<n).map { Int32($0) }
        size = [Int32](repeating: 1, count: n)
    }

    public mutating func find(_ x: Int) -> Int {
        var x = x
        while Int(parent[x]) != x {
            parent[x] = parent[Int(parent[x])]
            x = Int(parent[x])
        }
        return x
    }

    public mutating func union(_ a: Int, _ b: Int) {
        var ra = find(a), rb = find(b)
        guard ra != rb else { return }
        if size[ra] < size[rb] { swap(&ra, &rb) }
        parent[rb] = Int32(ra)
        size[ra] += size[rb]
    }

    /// Dense labels `0..<count`, numbered by first element.
    public mutating func labels() -> ([Int32], Int) {
        var label = [Int32](repeating: -1, count: parent.count)
        var out = [Int32](repeating: 0, count: parent.count)
        var count: Int32 = 0
        for x in 0..<parent.count {
            let r = find(x)
            if label[r] < 0 {
                label[r] = count
                count += 1
            }
            out[x] = label[r]
        }
        return (out, Int(count))
    }
}
