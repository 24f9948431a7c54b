import MoegcIR

/// Where the MoE lowering puts the values a user asks about after a run — routings and importance
/// vectors — named from the layer's result name. The lowering names them through these functions,
/// so the contract lives in one place.
public enum MoELayout {
    /// The routing positions (CSR offsets per expert) of a flat layer, or of a hierarchical layer's
    /// primary gate (offsets per group).
    public static func positions(_ layer: String) -> String { "\(layer).positions" }
    /// The importance vector (per expert; a·b long for a hierarchical layer).
    public static func importance(_ layer: String) -> String { "\(layer).importance" }
    /// The prefix of group `i` of a hierarchical layer.
    public static func group(_ layer: String, _ i: Int) -> String { "\(layer).group\(i)" }

    /// One MoE layer of a lowered graph.
    public struct Layer: Sendable {
        public var name: String
        /// Experts in all (a·b for a hierarchical layer).
        public var experts: Int
        /// Groups of a hierarchical layer (1 for a flat one).
        public var groups: Int
        /// Choices per row: [k] flat, [k₁, k₂] hierarchical.
        public var k: [Int]
        /// Expert routings: one for a flat layer, one per group for a hierarchical one.
        public var expertRoutes: [ValueID]
        /// The primary routing of a hierarchical layer.
        public var groupRoute: ValueID?
        /// The importance vector, when the graph computes it (its loss is an output).
        public var importance: ValueID?
        /// Rows (tokens) the layer sees.
        public var rows: Int
    }

    /// The MoE layers of `source` (the graph before lowering) as found in `lowered`.
    public static func layers(source: Graph, lowered: Graph) -> [Layer] {
        source.nodeIDs.compactMap { nid in
            let node = source[nid]
            guard node.op == .moe || node.op == .hmoe else { return nil }
            let ctx = source.context(nid), name = source[node.results[0]].name
            let rows = Int(ctx.operandTypes[0].dims.dropLast().reduce(1.0) { $0 * $1.expectedSize })
            let importance = lowered.value(named: importance(name))
            if node.op == .moe {
                guard let r = lowered.value(named: positions(name)) else { return nil }
                return Layer(name: name, experts: ctx.int("experts"), groups: 1, k: [ctx.int("k")], expertRoutes: [r],
                             groupRoute: nil, importance: importance, rows: rows)
            }
            let a = ctx.int("groups"), b = ctx.int("experts_per_group")
            let routes = (0..<a).compactMap { lowered.value(named: positions(group(name, $0))) }
            guard routes.count == a, let primary = lowered.value(named: positions(name)) else { return nil }
            return Layer(name: name, experts: a * b, groups: a, k: ctx.ints("k"), expertRoutes: routes, groupRoute: primary,
                         importance: importance, rows: rows)
        }
    }
}
