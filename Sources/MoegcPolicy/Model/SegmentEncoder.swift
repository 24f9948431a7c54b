import Foundation
import MoegcNN
import MoegcPlacement
import MoegcSupport

/// Segment-level recurrent attention over the tasks in topological order (Transformer-XL style).
///
/// Algorithm
/// ---------
/// The node embeddings are permuted into topological order, a sinusoidal code of each task's
/// relative position (rank / N) is added, and the sequence is cut into fixed segments of S tasks:
///
///     order:   t₀ t₁ … t_{S−1} │ t_S … t_{2S−1} │ …        (segments s = 0, 1, …)
///     layer l: x_s^{l+1} = LN(y + FFN(y)),  y = LN(x_s^l + MHA(x_s^l, memory: x_{s−1}^l))
///
/// (computed layer-major: see `callAsFunction`).
///
/// Each layer's queries are the segment's tasks; its keys and values are the previous segment's
/// inputs to the same layer (the memory, gradient stopped) followed by the segment itself, with no
/// mask: a task's decision sees the whole segment and the one before it, and through the memory
/// chain information flows forward across the entire graph. Every decision comes out of one pass
/// (one-shot placement). Cost is O(N · S · d) — linear in the graph for a fixed S.
struct SegmentEncoder: Sendable {
    let segmentSize: Int
    let layers: [Layer]

    struct Layer: Sendable {
        let attention: MultiHeadAttention
        let norm1: LayerNorm
        let feedForward: MLP
        let norm2: LayerNorm
    }

    init(_ name: String, config: PolicyConfig, parameters: inout ParameterStore, generator: inout SeededGenerator) {
        segmentSize = config.segmentSize
        let d = config.hiddenSize
        layers = (0..<config.attentionLayers).map { l in
            Layer(attention: MultiHeadAttention("\(name).\(l).attention", modelSize: d, heads: config.attentionHeads,
                                                parameters: &parameters, generator: &generator),
                  norm1: LayerNorm("\(name).\(l).norm1", size: d, parameters: &parameters),
                  feedForward: MLP("\(name).\(l).ffn", sizes: [d, config.feedForwardSize, d], activation: .relu,
                                   parameters: &parameters, generator: &generator),
                  norm2: LayerNorm("\(name).\(l).norm2", size: d, parameters: &parameters))
        }
    }

    /// Encodes `h [N, d]` (rows in task order) and returns `[N, d]` in task order; `positionCode`
    /// is `positionCode(count: N, width: d)`, computed once per graph by the caller.
    ///
    /// Runs layer by layer over the whole sequence: a segment's memory at layer l is the previous
    /// segment's input to layer l, which is known once layer l − 1 has run everywhere, so each
    /// layer is one pass of row-wise matmuls and one segment-attention op. Segments run on the
    /// tape's threads when there are many of them.
    func callAsFunction(_ h: Var, order: [Int32], position: [Int32], positionCode: Tensor) -> Var {
        guard !layers.isEmpty else { return h }
        var x = h.gatherRows(order) + h.constant(positionCode)
        let segments = (x.shape[0] + segmentSize - 1) / segmentSize
        let threads = segments >= Self.parallelSegments ? h.tape.threads : 1
        for layer in layers {
            let y = layer.norm1(x, adding: layer.attention.segmented(x, segment: segmentSize, threads: threads))
            x = layer.norm2(y, adding: layer.feedForward(y))
        }
        return x.gatherRows(position)
    }

    /// Segments from which the attention is split over the tape's threads.
    static let parallelSegments = 64

    /// Sinusoidal codes of relative positions `i / N` (so graphs of any size share one scale),
    /// periods from 1 down to 1/2^(d/2−1) of the graph.
    /// Rows are independent: on large graphs they are split over two threads (same bits).
    static func positionCode(count n: Int, width d: Int, threads: Int? = nil) -> Tensor {
        var out = [Float](repeating: 0, count: n * d)
        let pairs = d / 2
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            forEachRowBand(n, threads: threads ?? PlacingThreads.forTasks(n)) { band in
                for i in band {
                    let r = Double(i) / Double(max(n, 1))
                    for k in 0..<pairs {
                        let angle = 2 * Double.pi * r * pow(2, Double(k) * 8 / Double(max(pairs, 1)))
                        out[i * d + 2 * k] = Float(sin(angle)) * 0.1
                        out[i * d + 2 * k + 1] = Float(cos(angle)) * 0.1
                    }
                }
            }
        }
        return Tensor(shape: [n, d], scalars: out)
    }
}
