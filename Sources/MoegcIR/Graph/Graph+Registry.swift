import MoegcSupport

/// Reading the op registry for one node of a graph: its context, inferred result types, parameters
/// and cost. Everything here is generic over ops.
extension Graph {
    /// The node's context for registry rules; its operands must be typed.
    public func context(_ nid: NodeID) -> OpContext {
        let node = nodes[nid.index]
        return OpContext(schema: node.op.schema, operandTypes: node.operands.map { type(of: $0) },
                         attributes: node.attributes, declaredResultTypes: node.results.map { values[$0.index].type })
    }

    /// Result types from the op's shape rule (with its cross-attribute checks), given typed operands.
    public func inferResultTypes(_ nid: NodeID) throws(ShapeError) -> [TensorType] {
        // The verifier checks arity of what is parsed; this holds it for what a pass emits, so a
        // shape rule never reads an operand that is not there.
        let arity = nodes[nid.index].op.schema.operands, count = nodes[nid.index].operands.count
        guard arity.accepts(count) else {
            throw ShapeError("'\(nodes[nid.index].op)' takes \(arity) operand\(arity.description == "1" ? "" : "s"), got \(count)")
        }
        let ctx = context(nid)
        if let verify = ctx.schema.verify, let message = verify(ctx) { throw ShapeError(message) }
        let types = try ctx.schema.inferTypes(ctx)
        let node = nodes[nid.index]
        guard types.count == node.results.count else {
            throw ShapeError("'\(node.op)' produces \(types.count) result\(types.count == 1 ? "" : "s"), \(node.results.count) written")
        }
        for t in types where t.byteCount == nil {
            throw ShapeError("result type \(t) holds more than 2^63 bytes")
        }
        if ctx.schema.level == .layer { _ = try Graph.parameterBytes(ctx) }
        return types
    }

    /// Bytes of every parameter a layer's context declares, overflow-checked: a parameter rule
    /// saturates at Int.max where its arithmetic overflows, and this turns that into an error
    /// naming the parameter (`%y`'s 4611686018427387904 × f32[16, 8] experts).
    public static func parameterBytes(_ ctx: OpContext) throws(ShapeError) -> Int {
        var total = 0
        for p in ctx.schema.parameters(ctx) {
            let copies = p.count == 1 ? "" : "\(p.count) × "
            guard let each = p.type.byteCount, let all = Sizes.product(p.count, each), let sum = Sizes.sum(total, all) else {
                throw ShapeError("parameter '\(p.name)' of '\(ctx.schema.code)' (\(copies)\(p.type)) holds more than 2^63 bytes")
            }
            total = sum
        }
        return total
    }

    /// Explains how declared result types differ from inferred ones, or nil when they agree.
    public func typeMismatch(_ nid: NodeID, inferred: [TensorType]) -> String? {
        for (r, t) in zip(nodes[nid.index].results, inferred) {
            if let declared = values[r.index].type, !declared.sameShape(as: t) {
                return "type \(declared) written for %\(values[r.index].name) does not match \(t) inferred from the operands"
            }
        }
        return nil
    }

    /// The parameters the node's op holds (layers only; primitives take weights as `param` operands).
    public func parameters(_ nid: NodeID) -> [ParamSpec] {
        let ctx = context(nid)
        return ctx.schema.parameters(ctx)
    }

    /// What executing the node costs, from the registry.
    public func cost(_ nid: NodeID) -> OpCost {
        let ctx = context(nid)
        return ctx.schema.cost(ctx, nodes[nid.index].results.map { type(of: $0) })
    }

    /// Whether `node` makes a data-dependent extent none of its operands has (`moe_dispatch`,
    /// `moe_route`, `moe_segment`): its result's size is known only when it has run. Fusion never
    /// fuses across such a node, and a placement may keep it by its input (it selects rows there).
    public func isDataDependent(_ node: Node) -> Bool {
        for r in node.results {
            for d in type(of: r).dims where d.isDynamic {
                let carried = node.operands.contains { v in type(of: v).dims.contains { $0.sameExtent(as: d) } }
                if !carried { return true }
            }
        }
        return false
    }
}
