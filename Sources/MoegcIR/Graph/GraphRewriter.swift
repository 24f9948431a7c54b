import MoegcSupport

/// Builds a new graph from an old one, node by node: passes copy the nodes they keep and emit
/// replacements for the ones they expand, while the rewriter maps old values to new ones and types
/// every emitted node through the op registry as it goes.
///
///     var rw = GraphRewriter(from: graph)
///     for nid in graph.nodeIDs {
///         if graph[nid].op == .dense { … rw.emit(.matmul, [x, w], name: "…") … rw.bind(old, to: new) }
///         else { rw.copy(nid) }
///     }
///     graph = try rw.finish()
public struct GraphRewriter {
    public let old: Graph
    public private(set) var graph: Graph
    private var map: [ValueID?]
    private var usedNames: Set<String>
    /// Values emitted (not copied) and not yet named after an old value.
    private var fresh = Set<ValueID>()
    /// Shape-rule failures of emitted nodes (a lowering bug, or a graph the lowering cannot handle).
    public private(set) var problems: [String] = []

    public init(from old: Graph) {
        self.old = old
        var g = Graph(name: old.name, symbols: old.symbols)
        g.headerComments = old.headerComments
        g.trailingTrivia = old.trailingTrivia
        map = Array(repeating: nil, count: old.values.count)
        for v in old.inputs {
            map[v.index] = g.addInput(name: old.values[v.index].name, type: old.type(of: v))
        }
        graph = g
        var names = Set<String>(minimumCapacity: 4 * old.values.count + 1024)
        for v in old.values { names.insert(v.name) }
        usedNames = names
    }

    /// Makes room for about `count` more value names, so a pass that is about to emit many values
    /// (an MoE lowering: a few per expert) grows the name set once instead of doubling it, and
    /// rehashing every name, a dozen times.
    public mutating func reserveNames(about count: Int) {
        usedNames.reserveCapacity(usedNames.count + count)
        fresh.reserveCapacity(fresh.count + count)
    }

    /// The new value standing for an old one.
    public func value(_ old: ValueID) -> ValueID {
        guard let v = map[old.index] else { preconditionFailure("value %\(self.old[old].name) used before it was rewritten") }
        return v
    }

    public func type(_ v: ValueID) -> TensorType { graph.type(of: v) }

    /// Makes old value `old` stand for new value `new` from here on. A value this rewriter emitted
    /// takes the old value's name, so a lowered layer's result (and every graph output) keeps the
    /// name the source gave it.
    public mutating func bind(_ old: ValueID, to new: ValueID) {
        map[old.index] = new
        if fresh.remove(new) != nil {
            let name = self.old.values[old.index].name
            usedNames.remove(graph.values[new.index].name)
            graph.values[new.index].name = name
        }
    }

    /// Copies an old node unchanged but for its operands, keeping names, attributes and comments.
    public mutating func copy(_ nid: NodeID) {
        let node = old[nid]
        let results = emit(node.op, node.operands.map(value), attributes: node.attributes,
                           names: node.results.map { old[$0].name }, types: node.results.map { old.type(of: $0) },
                           reserveNames: false)
        for (o, n) in zip(node.results, results) { map[o.index] = n }
        let last = graph.nodes.count - 1
        graph.nodes[last].location = node.location
        graph.nodes[last].leadingTrivia = node.leadingTrivia
        graph.nodes[last].trailingComment = node.trailingComment
    }

    /// Gives every node emitted since node index `first` the attributes `names` of `source` that
    /// it lacks.
    public mutating func inherit(_ names: [String], from source: Node, nodesFrom first: Int) {
        let present = names.compactMap { name in source.attributes[name].map { (name, $0) } }
        guard !present.isEmpty else { return }
        for i in first..<graph.nodes.count {
            let rank = graph.nodes[i].op.schema.attributeRank
            for (name, value) in present where graph.nodes[i].attributes[name] == nil {
                graph.nodes[i].attributes.set(name, value, rank: rank)
            }
        }
    }

    /// A fresh value name derived from `base` (`base`, then `base.1`, `base.2`, …).
    public mutating func freshName(_ base: String) -> String {
        if usedNames.insert(base).inserted { return base }
        var i = 1
        while !usedNames.insert("\(base).\(i)").inserted { i += 1 }
        return "\(base).\(i)"
    }

    /// Emits a node and returns its results. Types are inferred from the registry unless given
    /// (sources such as `param` must give them).
    @discardableResult
    public mutating func emit(_ op: OpCode, _ operands: [ValueID], attributes: Attributes = Attributes(),
                              names: [String], types: [TensorType]? = nil, reserveNames: Bool = true) -> [ValueID] {
        let finalNames = reserveNames ? names.map { freshName($0) } : names
        let nid = graph.addNode(op, operands, attributes: attributes, resultNames: finalNames, resultTypes: types)
        if reserveNames { fresh.formUnion(graph.nodes[nid.index].results) }
        if types == nil || op.schema.explicitResultTypes {
            do {
                let inferred = try graph.inferResultTypes(nid)
                for (r, t) in zip(graph.nodes[nid.index].results, inferred) { graph.values[r.index].type = t }
            } catch {
                problems.append("%\(finalNames.first ?? "?") = \(op)(…): \(error.message)")
                for r in graph.nodes[nid.index].results where graph.values[r.index].type == nil {
                    graph.values[r.index].type = TensorType(.f32, [])
                }
            }
        }
        return graph.nodes[nid.index].results
    }

    /// Emits a one-result node.
    @discardableResult
    public mutating func emit1(_ op: OpCode, _ operands: [ValueID], _ attributes: [(String, AttributeValue)] = [],
                               name: String, type: TensorType? = nil) -> ValueID {
        emit(op, operands, attributes: Attributes(attributes), names: [name], types: type.map { [$0] })[0]
    }

    /// Respells the type of a value this rewriter emitted (same extents, e.g. `[batch, seq, 16]`
    /// for `[2, 4, 16]`); other values keep theirs.
    public mutating func respell(_ v: ValueID, as type: TensorType) {
        guard fresh.contains(v), let t = graph.values[v.index].type, t.sameShape(as: type) else { return }
        graph.values[v.index].type = type
    }

    /// Sets an annotation (or any attribute) on the node that defines `v`.
    public mutating func annotate(_ v: ValueID, _ name: String, _ value: AttributeValue) {
        guard let p = graph.values[v.index].producer else { return }
        graph.nodes[p.index].attributes.set(name, value, rank: graph.nodes[p.index].op.schema.attributeRank)
    }

    /// The new graph, with the old outputs mapped; throws the shape problems of emitted nodes.
    public func finish() throws(DiagnosticList) -> Graph {
        guard problems.isEmpty else {
            throw DiagnosticList(problems.map { Diagnostic(.error, "internal error: a rewrite produced an ill-typed node: \($0)") })
        }
        var g = graph
        g.outputs = old.outputs.map { value($0) }
        return g
    }
}
