import MoegcIR
import MoegcSupport

/// The summary `moegc compile` prints: sizes, parameters and multiply-adds, counted the way
/// Shazeer et al. (2017) count them in Tables 7 and 8 — parameters and "ops/timestep" exclude the
/// embedding and softmax layers, and ops are multiply-adds per token of the forward pass in
/// training mode (the gate noise matmul included).
public struct ModelStatistics: Codable, Sendable, Equatable {
    public var graph: String
    public var nodes: Int
    /// Operand uses (an edge per operand of every node).
    public var edges: Int
    /// Tokens (timesteps × batch) one step processes: the element count of the first integer input.
    public var tokens: Int
    /// Every parameter.
    public var parameters: Int
    /// Parameters outside embedding and softmax layers (the paper's "params").
    public var paperParameters: Int
    /// Multiply-adds of one step, every op.
    public var multiplyAdds: Double
    /// Multiply-adds per token outside embedding and softmax layers (the paper's "ops/timestep").
    public var opsPerTimestep: Double
    /// Floating-point operations of one step (2 per multiply-add plus elementwise work).
    public var flops: Double
    /// Bytes of all parameters.
    public var weightBytes: Int
    /// Bytes of all values one step produces (data-dependent sizes at their expected value).
    public var activationBytes: Double
    /// Nodes per op, by op name.
    public var opCounts: [String: Int]

    public init(_ g: Graph) {
        graph = g.name
        nodes = g.nodes.count
        edges = g.nodes.reduce(0) { $0 + $1.operands.count }
        let firstIds = g.inputs.first { g.type(of: $0).dtype.isInteger }
        tokens = firstIds.flatMap { g.type(of: $0).elementCount } ?? 1
        var params = 0, paperParams = 0, weightBytes = 0
        var macs = 0.0, paperMacs = 0.0, flops = 0.0, activations = 0.0
        var counts: [String: Int] = [:]
        for i in g.nodes.indices {
            let nid = NodeID(i), node = g.nodes[i], schema = node.op.schema
            counts[node.op.rawValue, default: 0] += 1
            var specs = g.parameters(nid)
            if node.op.schema.isWeight { specs = [ParamSpec("value", g.type(of: node.results[0]), init: .zeros)] }
            // Saturating sums: shape inference has checked every layer's and the whole graph's
            // parameter bytes against 2^63, so these never saturate for a graph the front end read.
            for p in specs {
                let n = Sizes.saturatingProduct(p.count, p.type.elementCount ?? 0)
                params = Sizes.saturatingSum(params, n)
                weightBytes = Sizes.saturatingSum(weightBytes, Sizes.saturatingProduct(n, p.type.dtype.byteSize))
                if !schema.vocabularyLayer { paperParams = Sizes.saturatingSum(paperParams, n) }
            }
            // An opaque op's declared weights (bytes on its device) count as f32 parameters.
            if node.op == .opaque, let declared = node.attributes["weights"]?.doubleValue, declared.isFinite, declared > 0 {
                let bytes = declared < 0x1p62 ? Int(declared.rounded(.up)) : 1 << 62
                weightBytes = Sizes.saturatingSum(weightBytes, bytes)
                params = Sizes.saturatingSum(params, bytes / 4)
                paperParams = Sizes.saturatingSum(paperParams, bytes / 4)
            }
            let cost = g.cost(nid)
            macs += cost.macs
            flops += cost.flops
            if !schema.vocabularyLayer { paperMacs += cost.macs }
            for r in node.results { activations += g.type(of: r).expectedBytes }
        }
        parameters = params
        paperParameters = paperParams
        self.weightBytes = weightBytes
        multiplyAdds = macs
        opsPerTimestep = paperMacs / Double(max(1, tokens))
        self.flops = flops
        activationBytes = activations
        opCounts = counts
    }
}
