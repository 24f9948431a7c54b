import MoegcIR
import MoegcSupport

/// The machinery every lowering pass shares: a rewriter over the graph, the pass options, the
/// layer's parameters created as `param` nodes from its registry entry, and small emit helpers.
struct Lowerer {
    var rw: GraphRewriter
    let options: PassOptions

    /// Rewrites `graph`, calling `body` for each node whose op is in `ops` and copying the rest.
    /// Returns whether any node was lowered.
    static func run(_ graph: inout Graph, _ options: PassOptions, ops: Set<OpCode>,
                    _ body: (inout Lowerer, NodeID) -> Void) throws(DiagnosticList) -> Bool {
        guard graph.nodes.contains(where: { ops.contains($0.op) }) else { return false }
        var l = Lowerer(rw: GraphRewriter(from: graph), options: options)
        for nid in graph.nodeIDs {
            if ops.contains(graph[nid].op) {
                let first = l.rw.graph.nodes.count
                body(&l, nid)
                l.rw.inherit(OpSchema.inheritedAnnotations, from: graph[nid], nodesFrom: first)
            } else {
                l.rw.copy(nid)
            }
        }
        graph = try l.rw.finish()
        return true
    }

    var old: Graph { rw.old }

    /// The lowered value standing for operand `i` of old node `nid`.
    func operand(_ nid: NodeID, _ i: Int) -> ValueID { rw.value(old[nid].operands[i]) }

    /// Name of result `i` of old node `nid`: the prefix for everything its lowering creates.
    func name(_ nid: NodeID, _ i: Int = 0) -> String { old[old[nid].results[i]].name }

    func type(_ v: ValueID) -> TensorType { rw.type(v) }

    /// A random stream index fixed by a value's name (FNV-1a), so streams do not depend on the order
    /// in which passes create nodes.
    static func stream(_ name: String) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return Int(h >> 2)
    }

    /// `param` nodes for every parameter the layer's registry entry declares, keyed by the spec's
    /// name; a spec with `count` copies gives `count` values (spec `expert.w_in` copy 7 is named
    /// `<prefix>.expert7.w_in`), each with the annotations `annotation(spec, copy)` gives.
    mutating func params(for nid: NodeID,
                         annotation: (_ spec: String, _ copy: Int) -> [(String, AttributeValue)] = { _, _ in [] }) -> [String: [ValueID]] {
        let prefix = name(nid)
        var out: [String: [ValueID]] = [:]
        for spec in old.parameters(nid) {
            var values: [ValueID] = []
            values.reserveCapacity(spec.count)
            let parts = spec.name.split(separator: ".", maxSplits: 1).map(String.init)
            for i in 0..<spec.count {
                let n = spec.count == 1 ? "\(prefix).\(spec.name)" : parts.count == 2
                    ? "\(prefix).\(parts[0])\(i).\(parts[1])" : "\(prefix).\(spec.name)\(i)"
                values.append(rw.emit1(.param, [], Lowerer.initAttributes(spec.initRule) + annotation(spec.name, i), name: n, type: spec.type))
            }
            out[spec.name] = values
        }
        return out
    }

    static func initAttributes(_ rule: InitRule) -> [(String, AttributeValue)] {
        switch rule {
        case .zeros: [("init", .symbol("zeros"))]
        case .ones: [("init", .symbol("ones"))]
        case .normal(let std): [("init", .symbol("normal")), ("scale", .float(std))]
        case .uniform(let limit): [("init", .symbol("uniform")), ("scale", .float(limit))]
        }
    }

    // MARK: Emit helpers

    mutating func emit(_ op: OpCode, _ operands: [ValueID], _ attributes: [(String, AttributeValue)],
                       _ name: String) -> ValueID {
        rw.emit1(op, operands, attributes, name: name)
    }

    mutating func emit(_ op: OpCode, _ operands: [ValueID], _ name: String) -> ValueID {
        rw.emit1(op, operands, name: name)
    }

    /// `x` reshaped to `shape`, typed `type` when given (to keep the dims' symbolic spelling).
    mutating func reshape(_ x: ValueID, _ shape: [Int], _ name: String, type: TensorType? = nil) -> ValueID {
        if self.type(x).shape == shape {
            if let type { rw.respell(x, as: type) }
            return x
        }
        return rw.emit1(.reshape, [x], [("shape", .list(shape.map { .int($0) }))], name: name, type: type)
    }

    /// [..., d] → [rows, d].
    mutating func flatten(_ x: ValueID, _ name: String) -> ValueID {
        let t = type(x)
        guard t.rank != 2 else { return x }
        return reshape(x, [-1, t.dims.last!.size], name)
    }

    mutating func slice(_ x: ValueID, axis: Int, _ start: Int, _ end: Int, _ name: String) -> ValueID {
        emit(.slice, [x], [("axis", .int(axis)), ("start", .int(start)), ("end", .int(end))], name)
    }

    mutating func scale(_ x: ValueID, _ factor: Double, _ name: String) -> ValueID {
        emit(.scale, [x], [("factor", .float(factor))], name)
    }
}
