import MoegcIR
import MoegcPasses
import MoegcSupport

/// The human-readable compile summary.
public enum ModelSummary {
    public static func render(_ s: ModelStatistics, graph: Graph, path: String) -> String {
        let dims = graph.symbols.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
        var rows: [(String, String)] = [
            ("nodes", "\(s.nodes)"),
            ("edges", "\(s.edges)"),
            ("tokens per step", "\(s.tokens)" + (dims.isEmpty ? "" : "  (\(dims))")),
            ("params (paper)", Quantity.millions(Double(s.paperParameters), 1) + "  excluding embedding and softmax"),
            ("params (total)", Quantity.millions(Double(s.parameters), 1)),
            ("ops/timestep (paper)", Quantity.millions(s.opsPerTimestep, 2) + "  multiply-adds per token excluding embedding and softmax"),
            ("multiply-adds per step", Quantity.count(s.multiplyAdds)),
            ("weights", Quantity.bytes(Double(s.weightBytes))),
            ("activations per step", Quantity.bytes(s.activationBytes)),
        ]
        let ops = s.opCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
        rows.append(("ops", ops.joined(separator: ", ")))
        let width = rows.map(\.0.count).max()! + 2
        return "\(graph.name)  (\(path))\n" + rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n")
    }
}

/// `moegc compile --json` without a cluster: the model's statistics with the schema's name and
/// version first (`moegc.summary/1`).
public struct ModelSummaryJSON: Encodable, Sendable {
    public static let schemaName = "moegc.summary/1"
    public let statistics: ModelStatistics

    public init(_ statistics: ModelStatistics) { self.statistics = statistics }

    private enum Key: String, CodingKey { case schema }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(Self.schemaName, forKey: .schema)
        try statistics.encode(to: encoder)
    }
}
