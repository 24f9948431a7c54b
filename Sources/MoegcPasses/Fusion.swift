import MoegcIR
import MoegcSupport

/// Groups nodes that run as one kernel and annotates every node with its group (`group = g`);
/// placers place a group as one unit, and the cost model charges it one launch and no memory
/// round trips between its members.
///
///     %h = matmul(%rows, %w_in)                     %h = matmul(%rows, %w_in) {group = 4}
///     %a = relu(%h)                         ──▶      %a = relu(%h) {group = 4}
///     %w_in = param() {init = uniform, …}            %w_in = param() {…, group = 4}
///
/// Algorithm
/// ---------
/// One pass over the nodes in topological order, then one over the weights; a node only ever joins
/// a group of earlier nodes, so groups are built without merging and every group's first node (its
/// *root*) is its earliest. The registry's fusion class of each node decides what it may join
/// (after TVM's op patterns, `relay/transforms/fuse_ops.cc`):
///
///        producer group's anchor →   elementwise  injective  reduction  outputFusable
///     consumer ↓
///     elementwise                        yes         yes        yes         yes     (epilogues)
///     injective                          yes         yes        yes          —
///     reduction                          yes         yes         —           —      (becomes anchor)
///     outputFusable, opaque, source      never joins a producer
///
/// A group's anchor is its strongest member (elementwise < injective < reduction < outputFusable).
/// For each node, the groups of its operands' producers are tried, the one feeding the most bytes
/// first; the node joins the first that passes every check:
///
///   1. the table above allows it;
///   2. neither the node nor the group is a *barrier*: an opaque op, or a data-dependent op — one
///      whose result has a data-dependent extent none of its operands has (`moe_dispatch`, `moe_route`,
///      `moe_segment`): its size is known only when it has run, so nothing fuses across it;
///   3. `device` annotations, and the device kinds of `devices` annotations, where both sides
///      have one, agree;
///   4. no cycle: every *other* producer q of the node must not be reachable from the group, else
///      the fused group would both feed q and wait for it:
///
///            ┌──────── G ────────┐
///            │  a ─────────▶ n?  │      a → q → n: putting n in G makes G → q → G, a cycle;
///            └──┬────────────▲───┘      checked by a backward search from q over nodes no
///               └──▶ q ──────┘          earlier than G's root, with a fixed budget (an
///                                       exhausted budget counts as reachable: never unsafe).
///
/// Weights last: a zero-cost source (`param`) joins the group of its consumers when they all sit in
/// one group (it has no inputs, so this cannot make a cycle); a weight read by several groups stays
/// alone. Groups are numbered 0, 1, … in the order of their roots. Work is linear in the graph
/// (times the search budget), so MoE-131072-h's 790k nodes fuse in a fraction of a second.
public let fusion = GraphPass(name: "fuse") { graph, _ throws(DiagnosticList) in
    FusionPlan(graph).annotate(&graph)
}

/// Which group each node belongs to: the fusion pass's decision, or one read back from `group`
/// annotations.
public struct FusionPlan: Hashable, Sendable {
    /// The group of each node, `0..<groupCount`, numbered in the order of each group's first node.
    public let group: [Int32]
    public let groupCount: Int

    /// Fuses `graph` (shape inference must have run).
    public init(_ graph: Graph) {
        var fuser = Fuser(graph)
        fuser.run()
        self.init(renumbering: fuser.root)
    }

    /// A plan from any labelling of the nodes (labels need not be dense or ordered).
    public init(renumbering labels: [Int32]) {
        var map = [Int32: Int32]()
        var group = [Int32](repeating: 0, count: labels.count)
        for (i, l) in labels.enumerated() {
            if let g = map[l] { group[i] = g } else {
                let g = Int32(map.count)
                map[l] = g
                group[i] = g
            }
        }
        self.group = group
        self.groupCount = map.count
    }

    /// The plan written in the graph's `group` annotations, or nil when some node has none.
    public static func annotated(_ graph: Graph) -> FusionPlan? {
        var labels = [Int32]()
        labels.reserveCapacity(graph.nodes.count)
        for node in graph.nodes {
            guard let g = node.attributes["group"]?.intValue else { return nil }
            labels.append(Int32(truncatingIfNeeded: g))
        }
        return FusionPlan(renumbering: labels)
    }

    /// Every node in a group of its own.
    public static func singletons(_ graph: Graph) -> FusionPlan {
        FusionPlan(renumbering: (0..<graph.nodes.count).map { Int32($0) })
    }

    /// Writes `group = g` on every node; returns whether any annotation changed.
    @discardableResult
    public func annotate(_ graph: inout Graph) -> Bool {
        var changed = false
        for i in graph.nodes.indices {
            let value = AttributeValue.int(Int(group[i]))
            if graph.nodes[i].attributes["group"] == value { continue }
            changed = true
            let schema = graph.nodes[i].op.schema
            graph.nodes[i].attributes.set("group", value, rank: schema.attributeRank)
        }
        return changed
    }
}

/// The fusion pass's working state: flat arrays indexed by node.
private struct Fuser {
    let graph: Graph
    /// Root (first node) of each node's group.
    var root: [Int32]
    /// Per group root: its anchor rank (see `rank`), placement key (`placementKey`; -1: none), barrier flag.
    var anchor: [Int8]
    var device: [Int]
    var barrier: [Bool]
    /// Search scratch: the check number that last visited each node.
    var visited: [Int32]
    var check: Int32 = 0
    static let searchBudget = 256

    init(_ graph: Graph) {
        self.graph = graph
        let n = graph.nodes.count
        root = (0..<n).map { Int32($0) }
        anchor = [Int8](repeating: 0, count: n)
        device = [Int](repeating: -1, count: n)
        barrier = [Bool](repeating: false, count: n)
        visited = [Int32](repeating: -1, count: n)
    }

    /// What the node's annotations say about where it may run — its `device`, and the device kinds
    /// of `devices` — as a number (-1: nothing): two nodes with different ones never fuse.
    static func placementKey(_ node: Node, _ keys: inout [String: Int]) -> Int {
        let device = node.attributes["device"]?.intValue, kinds = node.attributes["devices"]?.nameListValue
        if kinds == nil { return device ?? -1 }
        let key = "\(device ?? -1)|" + kinds!.joined(separator: ",")
        if let k = keys[key] { return k }
        // Above every device index, so a kind list never equals a plain `device` annotation.
        let k = Int(Int32.max) + keys.count
        keys[key] = k
        return k
    }

    /// Rank of a fusion class as a group anchor; -1 for classes that never fuse with a producer.
    static func rank(_ c: FusionClass) -> Int8 {
        switch c {
        case .elementwise: 0
        case .injective: 1
        case .reduction: 2
        case .outputFusable: 3
        case .opaque, .source: -1
        }
    }

    /// Whether a consumer of class `c` may join a group anchored at rank `a`.
    static func allowed(_ c: FusionClass, into a: Int8) -> Bool {
        switch c {
        case .elementwise: a >= 0
        case .injective: a >= 0 && a <= 2
        case .reduction: a >= 0 && a <= 1
        case .outputFusable, .opaque, .source: false
        }
    }

    /// A zero-cost source: a weight, held on its device rather than computed.
    func isWeight(_ i: Int) -> Bool { graph.nodes[i].op.schema.isWeight }

    /// An op whose result has a data-dependent extent that none of its operands has.
    func isDataDependent(_ node: Node) -> Bool { graph.isDataDependent(node) }

    mutating func run() {
        var weights: [Int] = []
        var placements: [String: Int] = [:]
        for i in graph.nodes.indices {
            let node = graph.nodes[i]
            let cls = node.op.schema.fusion
            device[i] = Fuser.placementKey(node, &placements)
            anchor[i] = Fuser.rank(cls)
            if cls == .source && isWeight(i) {
                weights.append(i)
                continue
            }
            barrier[i] = cls == .opaque || node.op.schema.level != .primitive || isDataDependent(node)
            if barrier[i] || Fuser.rank(cls) < 0 { continue }
            if let g = chooseGroup(for: i) { join(i, g) }
        }
        placeWeights(weights)
    }

    mutating func join(_ i: Int, _ g: Int) {
        root[i] = Int32(g)
        anchor[g] = max(anchor[g], anchor[i])
        if device[g] < 0 { device[g] = device[i] }
    }

    /// The group node `i` should join, or nil to start its own.
    mutating func chooseGroup(for i: Int) -> Int? {
        let node = graph.nodes[i]
        let cls = node.op.schema.fusion
        // Candidate groups with the bytes they feed the node, largest first (ties: operand order).
        var candidates: [(group: Int, bytes: Double, position: Int)] = []
        for (k, v) in node.operands.enumerated() {
            guard let p = graph.values[v.index].producer else { continue }
            let g = Int(root[p.index])
            let bytes = graph.type(of: v).expectedBytes
            if let j = candidates.firstIndex(where: { $0.group == g }) {
                candidates[j].bytes += bytes
            } else {
                candidates.append((g, bytes, k))
            }
        }
        candidates.sort { ($0.bytes, -$0.position) > ($1.bytes, -$1.position) }
        for c in candidates {
            let g = c.group
            guard !barrier[g], Fuser.allowed(cls, into: anchor[g]) else { continue }
            if device[i] >= 0 && device[g] >= 0 && device[i] != device[g] { continue }
            if createsCycle(joining: i, into: g) { continue }
            return g
        }
        return nil
    }

    /// Whether some producer of node `i` outside group `g` is reachable from `g`.
    mutating func createsCycle(joining i: Int, into g: Int) -> Bool {
        for v in graph.nodes[i].operands {
            guard let p = graph.values[v.index].producer?.index, Int(root[p]) != g else { continue }
            if p < g { continue } // earlier than the group's root: cannot depend on it
            if reachable(from: g, to: p) { return true }
        }
        return false
    }

    /// Backward search from `q` for a member of group `g`, over nodes no earlier than `g`'s root.
    mutating func reachable(from g: Int, to q: Int) -> Bool {
        check += 1
        var stack = [q]
        var budget = Fuser.searchBudget
        visited[q] = check
        while let u = stack.popLast() {
            if Int(root[u]) == g { return true }
            budget -= 1
            if budget < 0 { return true }
            for v in graph.nodes[u].operands {
                guard let p = graph.values[v.index].producer?.index, p >= g, visited[p] != check else { continue }
                visited[p] = check
                stack.append(p)
            }
        }
        return false
    }

    /// Puts each weight in the group of its consumers when they all share one (and devices agree).
    mutating func placeWeights(_ weights: [Int]) {
        // consumerGroup[w]: -1 unseen, -2 several groups, else the one group.
        var consumerGroup = [Int](repeating: -1, count: graph.nodes.count)
        var isWeight = [Bool](repeating: false, count: graph.nodes.count)
        for w in weights { isWeight[w] = true }
        for (c, node) in graph.nodes.enumerated() {
            for v in node.operands {
                guard let w = graph.values[v.index].producer?.index, isWeight[w] else { continue }
                let g = Int(root[c])
                if consumerGroup[w] == -1 { consumerGroup[w] = g } else if consumerGroup[w] != g { consumerGroup[w] = -2 }
            }
        }
        for w in weights {
            let g = consumerGroup[w]
            guard g >= 0, !(device[w] >= 0 && device[g] >= 0 && device[w] != device[g]) else { continue }
            join(w, g)
        }
    }
}
