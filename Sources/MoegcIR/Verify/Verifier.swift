import MoegcSupport

/// One problem the verifier found, tied to what it is about so a front end can point at the exact
/// attribute or operand it wrote.
public struct VerificationIssue: Hashable, Sendable {
    public var node: NodeID?
    public var attribute: String?
    public var operand: Int?
    public var message: String

    public init(node: NodeID?, attribute: String? = nil, operand: Int? = nil, _ message: String) {
        self.node = node
        self.attribute = attribute
        self.operand = operand
        self.message = message
    }
}

/// Checks a graph's invariants against the op registry:
/// - structure: operands defined earlier (topological order, so no cycles), unique value names,
///   producers consistent, outputs defined, arity of operands and results, attributes known,
///   well-kinded and complete, result types written for ops that need them;
/// - types (once every value is typed): each node's written result types equal what its shape rule
///   infers, and the rule's cross-attribute checks hold.
/// Passes run it after themselves in tests; the front end runs it on every parsed file.
public enum Verifier {
    public static func structuralIssues(_ g: Graph) -> [VerificationIssue] {
        var issues: [VerificationIssue] = []
        var names = Set<String>()
        for (i, v) in g.values.enumerated() {
            if !names.insert(v.name).inserted { issues.append(.init(node: v.producer, "value '%\(v.name)' is defined twice")) }
            if let p = v.producer {
                if p.index >= g.nodes.count || !g.nodes[p.index].results.contains(ValueID(i)) {
                    issues.append(.init(node: nil, "value '%\(v.name)' names a producer that does not define it"))
                }
            } else if !g.inputs.contains(ValueID(i)) {
                issues.append(.init(node: nil, "value '%\(v.name)' has no producer and is not a graph input"))
            }
        }
        for o in g.outputs where o.index >= g.values.count {
            issues.append(.init(node: nil, "graph output \(o) does not exist"))
        }
        var available = [Bool](repeating: false, count: g.values.count)
        for v in g.inputs where v.index < available.count { available[v.index] = true }
        for (i, node) in g.nodes.enumerated() {
            let nid = NodeID(i)
            for (j, v) in node.operands.enumerated() where v.index >= available.count || !available[v.index] {
                let what = v.index < g.values.count ? "'%\(g.values[v.index].name)'" : "\(v)"
                issues.append(.init(node: nid, operand: j, "operand \(what) is not defined before its use (or the graph has a cycle)"))
            }
            for r in node.results where r.index < available.count { available[r.index] = true }
            issues += nodeIssues(g, nid)
        }
        return issues
    }

    /// Issues of one node on its own: operand and result arity, attributes, written result types.
    /// They do not depend on the rest of the graph, so a front end can report them even when names
    /// failed to resolve (`checkOperandCount: false` for a node missing operands).
    public static func nodeIssues(_ g: Graph, _ nid: NodeID, checkOperandCount: Bool = true) -> [VerificationIssue] {
        var issues: [VerificationIssue] = []
        let node = g.nodes[nid.index], schema = node.op.schema
        if checkOperandCount && !schema.operands.accepts(node.operands.count) {
            issues.append(.init(node: nid, "'\(node.op)' takes \(schema.operands) operand\(schema.operands.min == 1 && schema.operands.max == 1 ? "" : "s"), got \(node.operands.count)"))
        }
        if !schema.results.accepts(node.results.count) {
            issues.append(.init(node: nid, "'\(node.op)' defines \(schema.results) result\(schema.results.max == 1 ? "" : "s"), got \(node.results.count)"))
        }
        issues += attributeIssues(node, nid)
        if schema.explicitResultTypes, node.results.contains(where: { g.values[$0.index].type == nil }) {
            issues.append(.init(node: nid, "'\(node.op)' needs its result types written (`: f32[…]`)"))
        }
        return issues
    }

    static func attributeIssues(_ node: Node, _ nid: NodeID) -> [VerificationIssue] {
        var issues: [VerificationIssue] = []
        let schema = node.op.schema
        for (name, value) in node.attributes {
            guard let spec = schema.attributeSpec(name) else {
                let known = (schema.attributes + OpSchema.annotations).map(\.name).joined(separator: ", ")
                issues.append(.init(node: nid, attribute: name, "unknown attribute '\(name)' for '\(node.op)' (it takes: \(known))"))
                continue
            }
            if case .failure(let e) = spec.check(value) { issues.append(.init(node: nid, attribute: name, e.message)) }
        }
        for spec in schema.attributes where spec.isRequired && node.attributes[spec.name] == nil {
            issues.append(.init(node: nid, "'\(node.op)' needs attribute '\(spec.name)' (\(spec.doc))"))
        }
        return issues
    }

    /// Type issues; call on a graph with no structural issues whose values are all typed.
    public static func typeIssues(_ g: Graph) -> [VerificationIssue] {
        var issues: [VerificationIssue] = []
        for i in g.nodes.indices {
            let nid = NodeID(i)
            do {
                let inferred = try g.inferResultTypes(nid)
                if let m = g.typeMismatch(nid, inferred: inferred) { issues.append(.init(node: nid, m)) }
            } catch {
                issues.append(.init(node: nid, error.message))
            }
        }
        return issues
    }

    /// Every issue as a diagnostic at its node's location.
    public static func verify(_ g: Graph, file: String = "") -> [Diagnostic] {
        var issues = structuralIssues(g)
        if issues.isEmpty, g.values.allSatisfy({ $0.type != nil }) { issues = typeIssues(g) }
        return issues.map { Diagnostic(.error, $0.message, file: file, at: $0.node.flatMap { g.nodes[$0.index].location }) }
    }
}
