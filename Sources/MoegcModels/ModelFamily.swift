import MoegcSupport

/// Families of model graphs for training and evaluating placement policies (GO's transfer
/// setting): each writes `.graph` text from a few size options, any option left out drawn from
/// the family's range with a seeded generator.
public enum ModelFamily: String, CaseIterable, Sendable {
    /// Shazeer et al.'s MoE language model: embedding → LSTM → (h)MoE → LSTM → softmax.
    case moeLM = "moe-lm"
    /// A Switch/GShard-style decoder-only transformer with an MoE in every other block.
    case switchTransformer = "switch"
    /// A dense LSTM language model (the 4xLSTM baseline's family).
    case lstmLM = "lstm-lm"
    /// A GNMT-like LSTM encoder-decoder with attention, optionally with MoE layers.
    case gnmt
    /// A Transformer-XL-like stack: each block attends over a memory of the previous segment.
    case transformerXL = "transformer-xl"
    /// A random DAG of `opaque` ops with random costs and shapes (profiled graphs from elsewhere).
    case opaque

    public var summary: String {
        switch self {
        case .moeLM: "MoE language model (flat or hierarchical; experts, k, batch, seq vary)"
        case .switchTransformer: "Switch/GShard-style MoE transformer (depth, experts, width, k, capacity vary)"
        case .lstmLM: "dense LSTM language model (layers, width, batch, seq vary)"
        case .gnmt: "GNMT-like encoder-decoder with attention (depth, width; optional hierarchical MoE)"
        case .transformerXL: "Transformer-XL-like stack with segment memory (depth, width, memory length vary)"
        case .opaque: "random DAG of opaque ops with random costs and shapes"
        }
    }
}

/// Size options of a generated graph; nil entries are drawn from the family's range.
public struct ModelOptions: Sendable {
    public var batch: Int?
    public var seq: Int?
    public var layers: Int?
    public var width: Int?
    public var experts: Int?
    public var groups: Int?
    public var k: Int?
    public var nodes: Int?
    public init() {}
}

/// Draws from a list with the family's seeded generator.
struct Draw {
    var rng: SeededGenerator
    mutating func pick<T>(_ options: [T]) -> T { options[rng.nextInt(below: options.count)] }
    mutating func chance(_ p: Double) -> Bool { rng.nextDouble() < p }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + rng.nextInt(below: range.count) }
}
