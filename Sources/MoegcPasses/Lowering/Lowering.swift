import MoegcIR

/// The lowering pipeline: every layer op expanded to primitives the kernels execute, then dead code
/// removed. After it, the graph holds only `.primitive` ops (and `opaque` ones, which stay as they
/// are: they are placed and simulated from their stated costs, never executed).
public enum Lowering {
    /// The MoE expansion runs last: it makes most of the nodes (800k for MoE-131072-h), and each
    /// pass that rewrites copies the whole graph.
    public static let passes: [GraphPass] = [lowerLSTM, lowerAttention, lowerLayers, lowerMoE, deadCodeElimination]

    /// Lowers `graph` in place; `options.training` chooses train mode (gate noise, dropout, sampled
    /// softmax) or evaluation mode.
    public static func run(_ graph: inout Graph, _ options: PassOptions, verify: Bool = false) throws(DiagnosticList) {
        _ = try PassManager(passes, verifyAfterEach: verify).run(&graph, options)
        let left = Set(graph.nodes.map(\.op).filter { $0.schema.level == .layer })
        guard left.isEmpty else {
            throw DiagnosticList([Diagnostic(.error, "internal error: no lowering for \(left.map(\.rawValue).sorted().joined(separator: ", "))",
                                             file: options.file)])
        }
    }
}
