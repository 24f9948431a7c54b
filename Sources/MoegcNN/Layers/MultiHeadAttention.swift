import MoegcSupport

/// Multi-head self-attention with an optional memory of earlier hidden states (Transformer-XL
/// segment recurrence): queries come from the segment `x [T, d]`, keys and values from the rows of
/// `memory [M, d]` followed by `x`, so the key axis has `M + T` positions, memory first.
///
/// The memory is treated as a constant (its gradient is stopped), as in Transformer-XL.
/// No positional encoding is applied here; callers add their own to `x`.
///
/// Parameters under `name`: Linear layers `query`, `key`, `value`, `output`, each `[d, d]` + bias.
public struct MultiHeadAttention: Sendable, Equatable {
    /// The parameter name prefix.
    public let name: String
    /// Model width `d`.
    public let modelSize: Int
    /// Number of heads; `modelSize` must divide evenly.
    public let heads: Int
    private let query: Linear, key: Linear, value: Linear, output: Linear

    /// Registers the four projections.
    public init(_ name: String, modelSize: Int, heads: Int,
                parameters: inout ParameterStore, generator: inout SeededGenerator) {
        precondition(heads > 0 && modelSize % heads == 0,
                     "MultiHeadAttention '\(name)': \(modelSize) does not split into \(heads) heads")
        self.name = name
        self.modelSize = modelSize
        self.heads = heads
        query = Linear("\(name).query", inputSize: modelSize, outputSize: modelSize,
                       parameters: &parameters, generator: &generator)
        key = Linear("\(name).key", inputSize: modelSize, outputSize: modelSize,
                     parameters: &parameters, generator: &generator)
        value = Linear("\(name).value", inputSize: modelSize, outputSize: modelSize,
                       parameters: &parameters, generator: &generator)
        output = Linear("\(name).output", inputSize: modelSize, outputSize: modelSize,
                        parameters: &parameters, generator: &generator)
    }

    /// Attends from `x [T, d]` over `memory [M, d]` (optional, gradient stopped) and `x`.
    /// `mask`, if given, is additive of shape `[T, M + T]` (see ``AttentionMask``).
    public func callAsFunction(_ x: Var, memory: Var? = nil, mask: Tensor? = nil) -> Var {
        let context = memory.map { Var.concat([$0.stopGradient(), x], axis: 0) } ?? x
        let attended = Var.attention(query: query(x), key: key(context), value: value(context),
                                     heads: heads, mask: mask)
        return output(attended)
    }

    /// Segment-recurrent self-attention over a whole sequence `x [N, d]`: rows are cut into
    /// segments of `segment` rows, and each attends over the previous segment (gradient stopped)
    /// and itself — the same as calling this layer on each segment in turn with the previous
    /// segment as `memory`, but with one projection matmul over all rows and the segments run
    /// independently (on up to `threads` threads; see `Var.segmentAttention`).
    public func segmented(_ x: Var, segment: Int, threads: Int = 1) -> Var {
        let q = query(x), k = key(x), v = value(x)
        // The memory positions see the same keys and values, projected from the rows with their
        // gradient stopped: the weights learn from them, the previous segment does not.
        let frozen = x.stopGradient()
        // (With one segment there is no memory, and nothing extra is recorded.)
        let (mk, mv) = x.tape.isRecording && x.shape[0] > segment ? (key(frozen), value(frozen)) : (k, v)
        let attended = Var.segmentAttention(query: q, key: k, value: v, memoryKey: mk, memoryValue: mv,
                                            heads: heads, segment: segment, threads: threads)
        return output(attended)
    }
}

/// Additive attention masks: 0 where a query may look, −∞ where it may not.
public enum AttentionMask {
    /// Causal mask over a segment of `queryCount` positions preceded by `memoryCount` memory
    /// positions: query `i` sees all memory and segment positions `0…i`. Shape `[T, M + T]`.
    public static func causal(queryCount: Int, memoryCount: Int = 0) -> Tensor {
        let keys = memoryCount + queryCount
        var mask = Tensor(zeros: [queryCount, keys])
        mask.update { m in
            for i in 0..<queryCount {
                for j in (memoryCount + i + 1)..<max(keys, memoryCount + i + 1) { m[i * keys + j] = -.infinity }
            }
        }
        return mask
    }

    /// Blocks the keys whose `validKeys` entry is false, for every one of `queryCount` queries
    /// (padding). Shape `[queryCount, validKeys.count]`.
    public static func keyPadding(queryCount: Int, validKeys: [Bool]) -> Tensor {
        let keys = validKeys.count
        var mask = Tensor(zeros: [queryCount, keys])
        mask.update { m in
            for i in 0..<queryCount {
                for j in 0..<keys where !validKeys[j] { m[i * keys + j] = -.infinity }
            }
        }
        return mask
    }
}
