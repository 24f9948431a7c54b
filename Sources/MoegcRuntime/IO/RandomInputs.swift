import MoegcIR
import MoegcSupport

/// Seeded inputs for a run without an inputs file.
public enum RandomInputs {
    /// The smallest vocabulary of the model's embedding and output layers (ids below it are valid
    /// wherever ids go), or 2 when it has none.
    public static func vocabulary(of g: Graph) -> Int {
        g.nodes.compactMap { $0.attributes["vocab"]?.intValue }.min() ?? 2
    }

    public static func make(for g: Graph, vocabulary: Int, seed: UInt64) -> [HostTensor] {
        var gen = SeededGenerator.stream(seed: seed, 0x1_0000_0001)
        return g.inputs.map { v in
            let t = g.type(of: v), n = t.elementCount ?? 0
            if t.dtype.isInteger { return HostTensor(t.shape, ints: (0..<n).map { _ in Int32(gen.nextInt(below: vocabulary)) }) }
            return HostTensor(t.shape, floats: (0..<n).map { _ in Float(gen.nextNormal()) })
        }
    }
}
