import MoegcIR
import MoegcPasses
import MoegcSupport

/// What `moegc run` prints of a run's values: each output in one line, and per MoE layer the rows
/// its experts received.
extension HostTensor {
    /// A scalar's value, or a tensor's mean, min and max.
    public var summary: String {
        switch storage {
        case .i32(let v): return "ints, \(v.count) values"
        case .f32(let v):
            if v.count == 1 { return "\(v[0])" }
            guard !v.isEmpty else { return "empty" }
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            return "mean \(Quantity.fixed(mean, 4))  min \(Quantity.fixed(Double(v.min()!), 4))  max \(Quantity.fixed(Double(v.max()!), 4))"
        }
    }
}

/// Per-expert load and importance of one MoE layer after a run, as the paper reports them
/// (Table 6: CV of importance and load, max/mean load).
public enum MoEReport {
    public static func render(_ layer: MoELayout.Layer, _ kept: [ValueID: HostTensor], verbose: Bool) -> String {
        var counts: [Double] = []
        for r in layer.expertRoutes {
            guard let p = kept[r]?.ints else { return "" }
            counts += (0..<(p.count - 1)).map { Double(p[$0 + 1] - p[$0]) }
        }
        let importance = layer.importance.flatMap { kept[$0]?.floats.map(Double.init) } ?? []
        let routed = counts.reduce(0, +)
        let wanted = Double(layer.rows * layer.k[0]) * Double(layer.k.count > 1 ? layer.k[1] : 1)
        let mean = routed / Double(max(1, counts.count))
        let kind = layer.groups > 1 ? "\(layer.groups) groups × \(layer.experts / layer.groups) experts, k = \(layer.k)" : "\(layer.experts) experts, k = \(layer.k[0])"
        var s = "MoE layer %\(layer.name) (\(kind), \(layer.rows) tokens)\n"
        s += "  rows routed       \(Int(routed)) of \(Int(wanted)) assignments (\(Int(wanted - routed)) dropped by capacity)\n"
        s += "  load              max/mean \(Quantity.fixed(mean > 0 ? counts.max()! / mean : 0, 2))   CV \(Quantity.fixed(Statistics.coefficientOfVariation(counts), 3))   experts with no rows \(counts.filter { $0 == 0 }.count)\n"
        if !importance.isEmpty {
            let im = importance.reduce(0, +) / Double(importance.count)
            s += "  importance        max/mean \(Quantity.fixed(im > 0 ? importance.max()! / im : 0, 2))   CV \(Quantity.fixed(Statistics.coefficientOfVariation(importance), 3))\n"
        }
        let shown = verbose ? counts : Array(counts.prefix(32))
        s += "  rows per expert   " + shown.map { String(Int($0)) }.joined(separator: " ") + (shown.count < counts.count ? " … (--verbose for all \(counts.count))" : "") + "\n"
        return s
    }
}
