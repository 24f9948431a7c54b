import MoegcIR
import MoegcSupport

/// Gives every value its type by running each node's shape rule from the op registry, in
/// topological order, and checks types the text wrote against what the rule infers (a written type
/// that agrees in extent keeps its spelling of the dimensions).
///
///     %h = matmul(%x, %w)                      %h = matmul(%x, %w) : f32[batch, 1024]
///       (%x: f32[batch, 512], %w: f32[512, 1024])   ──▶
///
/// The pass knows no op by name: rules, cross-attribute checks and overflow checks all come from
/// `Graph.inferResultTypes`. A node whose rule fails is reported at its location; nodes that depend
/// on it are skipped (their operands have no type), so one mistake gives one message.
public let shapeInference = GraphPass(name: "shape-inference") { graph, options throws(DiagnosticList) in
    var diagnostics: [Diagnostic] = []
    var changed = false
    // Bytes of every parameter so far (layers' implicit ones and `param` results): the summary
    // and the simulator add them up, so their total must fit in 64 bits too.
    var parameterBytes = 0, parametersOverflow = false
    for i in graph.nodes.indices {
        let nid = NodeID(i)
        let node = graph.nodes[i]
        guard node.operands.allSatisfy({ graph.values[$0.index].type != nil }) else { continue }
        do throws(ShapeError) {
            let inferred = try graph.inferResultTypes(nid)
            if let mismatch = graph.typeMismatch(nid, inferred: inferred) {
                diagnostics.append(Diagnostic(.error, mismatch, file: options.file, at: node.location))
                continue
            }
            // A written type that agrees keeps its spelling (`f32[batch, seq, 16]` where the rule
            // would say `f32[2, 4, 16]`); an unwritten one takes the rule's.
            for (r, t) in zip(node.results, inferred) where graph.values[r.index].type == nil {
                graph.values[r.index].type = t
                changed = true
            }
            let held = node.op.schema.level == .layer ? try Graph.parameterBytes(graph.context(nid))
                : node.op.schema.isWeight ? inferred[0].byteCount ?? 0 : 0
            if let sum = Sizes.sum(parameterBytes, held) {
                parameterBytes = sum
            } else if !parametersOverflow {
                parametersOverflow = true
                diagnostics.append(Diagnostic(.error, "the model's parameters reach more than 2^63 bytes at this node", file: options.file, at: node.location))
            }
        } catch {
            diagnostics.append(Diagnostic(.error, error.message, file: options.file, at: node.location))
        }
    }
    guard diagnostics.isEmpty else { throw DiagnosticList(diagnostics) }
    return changed
}
