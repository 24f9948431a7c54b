import MoegcIR
import MoegcSupport

/// The lowering pipeline: every layer op expanded to primitives the kernels execute, then dead code
/// removed. After it, the graph holds only `.primitive` ops (and `opaque` ones, which stay as they
/// are: they are placed and simulated from their stated costs, never executed).
public enum Lowering {
    /// The passes, in order (`PassRegistry.Pipeline.lowering`).
    public static var passes: [GraphPass] { PassRegistry.Pipeline.lowering.passes }

    /// Lowers `graph` in place; `options.training` chooses train mode (gate noise, dropout, sampled
    /// softmax) or evaluation mode. `verify` checks the graph after every pass (default: in debug
    /// builds); `stopAfter` stops after the pass of that name, leaving the later layers unlowered.
    public static func run(_ graph: inout Graph, _ options: PassOptions, verify: Bool = PassManager.verifiesByDefault,
                           stopAfter: String? = nil) throws(DiagnosticList) {
        _ = try PassManager(passes, verifyAfterEach: verify).run(&graph, options, stopAfter: stopAfter)
        if let stopAfter, stopAfter != passes.last?.name { return }
        let left = Set(graph.nodes.map(\.op).filter { $0.schema.level == .layer })
        guard left.isEmpty else {
            throw DiagnosticList([Diagnostic(.error, "internal error: no lowering for \(left.map(\.rawValue).sorted().joined(separator: ", "))",
                                             file: options.file)])
        }
    }
}
