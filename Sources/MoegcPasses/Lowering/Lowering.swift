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
    /// A graph whose lowering would make more nodes than memory holds is refused first.
    public static func run(_ graph: inout Graph, _ options: PassOptions, verify: Bool = PassManager.verifiesByDefault,
                           stopAfter: String? = nil) throws(DiagnosticList) {
        try checkSize(graph, options)
        _ = try PassManager(passes, verifyAfterEach: verify).run(&graph, options, stopAfter: stopAfter)
        if let stopAfter, stopAfter != passes.last?.name { return }
        let left = Set(graph.nodes.map(\.op).filter { $0.schema.level == .layer })
        guard left.isEmpty else {
            throw DiagnosticList([Diagnostic(.error, "internal error: no lowering for \(left.map(\.rawValue).sorted().joined(separator: ", "))",
                                             file: options.file)])
        }
    }

    /// What one IR node costs in memory while a lowering holds the old and the new graph (its
    /// operands, attributes, value names and types, and the rewriter's maps), rounded up from
    /// lowering the 137B-parameter model.
    public static let bytesPerLoweredNode = 1024

    /// Nodes lowering `nid` makes, about (upper estimates; saturating, never trapping): what the
    /// size check holds against the memory limit before any node is made.
    public static func estimatedNodes(_ graph: Graph, _ nid: NodeID) -> Int {
        let node = graph[nid]
        guard node.op.schema.level == .layer else { return 1 }
        let ctx = graph.context(nid)
        switch node.op {
        case .moe:
            return Sizes.saturatingSum(Sizes.saturatingProduct(Lowerer.namesPerExpert, ctx.int("experts")), 64)
        case .hmoe:
            let experts = Sizes.saturatingProduct(ctx.int("groups"), ctx.int("experts_per_group"))
            return Sizes.saturatingSum(Sizes.saturatingSum(Sizes.saturatingProduct(Lowerer.namesPerExpert, experts),
                                                           Sizes.saturatingProduct(Lowerer.namesPerGroup, ctx.int("groups"))), 64)
        case .lstm:
            let steps = ctx.operandTypes.first.flatMap { $0.rank > 1 ? $0.dims[1].size : nil } ?? 1
            return Sizes.saturatingSum(Sizes.saturatingProduct(24, steps), 16)
        default:
            return 64
        }
    }

    /// Refuses a lowering whose nodes would not fit in memory (`moe {experts = 10^12}`: 8 × 10^12
    /// nodes), naming the layer, the nodes and the limit, before anything is made.
    public static func checkSize(_ graph: Graph, _ options: PassOptions) throws(DiagnosticList) {
        let limits = ResourceLimits.current
        var total = graph.nodes.count
        for i in graph.nodes.indices where graph.nodes[i].op.schema.level == .layer {
            let nid = NodeID(i), nodes = estimatedNodes(graph, nid)
            total = Sizes.saturatingSum(total, nodes)
            do throws(ResourceError) {
                try limits.checkRun("lowering %\(graph[graph[nid].results[0]].name) (\(graph[nid].op), about \(Quantity.count(Double(nodes))) nodes at ~\(bytesPerLoweredNode) bytes each)",
                                    bytes: Sizes.product(nodes, bytesPerLoweredNode))
            } catch {
                throw DiagnosticList([Diagnostic(.error, error.message, file: options.file, at: graph[nid].location)])
            }
        }
        do throws(ResourceError) {
            try limits.checkRun("lowering graph '\(graph.name)' (about \(Quantity.count(Double(total))) nodes at ~\(bytesPerLoweredNode) bytes each)",
                                bytes: Sizes.product(total, bytesPerLoweredNode))
        } catch {
            throw DiagnosticList([Diagnostic(.error, error.message, file: options.file)])
        }
    }
}
