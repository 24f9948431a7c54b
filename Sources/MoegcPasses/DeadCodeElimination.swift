import MoegcIR
import MoegcSupport

/// Removes nodes none of whose results reach a graph output (parameters a mode does not use, the
/// noise weights in evaluation, losses nobody asked for).
///
///     %w = param …          (used by nothing)        ──▶  (gone)
///     %y = relu(%x)         (an output)              ──▶  %y = relu(%x)
public let deadCodeElimination = GraphPass(name: "dce") { graph, _ throws(DiagnosticList) in
    var live = [Bool](repeating: false, count: graph.values.count)
    for o in graph.outputs { live[o.index] = true }
    var keep = [Bool](repeating: false, count: graph.nodes.count)
    for i in graph.nodes.indices.reversed() where graph.nodes[i].results.contains(where: { live[$0.index] }) {
        keep[i] = true
        for v in graph.nodes[i].operands { live[v.index] = true }
    }
    guard keep.contains(false) else { return false }
    var rw = GraphRewriter(from: graph)
    for i in graph.nodes.indices where keep[i] { rw.copy(NodeID(i)) }
    graph = try rw.finish()
    return true
}
