import MoegcIR
import MoegcKernels

/// The weights that are the right-hand operand of a `matmul`, packed once for the packed-weight
/// kernel (`Kernels.matmul(m:a:packed:…)`, CMoegcGemm) when an interpreter or runtime is made, so
/// no step repacks them (cblas_sgemm repacks B on every call: at an expert's 16–64 rows that costs
/// about as much as the arithmetic).
///
/// A `matmul` node's B is packed when B is the result of a `param` node; `transpose_b` is applied
/// while packing, and a batched weight [..., K, N] is packed as one matrix per batch. Weights no
/// matmul multiplies by are not packed, and a weight two matmuls use alike is packed once.
///
/// Memory: each packed weight is a second copy, beside the weight itself (which stays the `param`
/// node's value: other ops may read it, other devices receive copies of it). With the C kernels a
/// [K, N] weight takes K · ⌈N/16⌉·16 floats, as much again as the weight when N is a multiple of 16
/// (2 MiB per 512 × 1024 matrix; 4 MiB per expert of the paper’s language models); with the
/// BLAS fallback (no AVX2 or AVX-512) it is a plain copy. The runtime's per-device `peakBytes`
/// counts the values a step holds, not this table.
///
/// Built once, on one thread, before any step; read-only afterwards, so the runtime's workers share
/// it without locks (`PackedMatrix` is an immutable buffer).
struct PackedWeights: Sendable {
    /// A weight value as one matmul reads it.
    struct Key: Hashable, Sendable {
        /// The `param` node's result.
        var value: Int
        /// Whether the matmul uses its transpose (`transpose_b`).
        var transposed: Bool
    }

    /// One matrix per batch (one for a plain [K, N] weight), each op(B) [K, N] packed.
    private let matrices: [Key: [PackedMatrix]]

    /// No packed weights: every matmul runs on cblas_sgemm.
    init() { matrices = [:] }

    /// Packs the B operand of every matmul of `graph` that is a weight; `weights` holds each
    /// `param` node's materialised value by node index.
    init(graph: Graph, weights: [Int: HostTensor]) {
        var packed: [Key: [PackedMatrix]] = [:]
        for node in graph.nodes where node.op == .matmul {
            let b = node.operands[1].index
            guard let producer = graph.values[b].producer, let w = weights[producer.index], w.dtype == .f32,
                  w.rank >= 2 else { continue }
            let key = Key(value: b, transposed: node.attributes["transpose_b"]?.boolValue ?? false)
            guard packed[key] == nil else { continue }
            let (r, c) = (w.shape[w.rank - 2], w.shape[w.rank - 1])
            let (rows, columns) = key.transposed ? (c, r) : (r, c)
            let floats = w.floats, size = r * c
            packed[key] = (0..<w.shape.dropLast(2).reduce(1, *)).map { i in
                PackedMatrix(Array(floats[(i * size)..<((i + 1) * size)]), rows: rows, columns: columns,
                             stored: key.transposed ? .transposed : .none)
            }
        }
        matrices = packed
    }

    /// The packed op(B) of a matmul node, or nil when its B is not a packed weight.
    func matrices(for node: Node) -> [PackedMatrix]? {
        guard node.op == .matmul, !matrices.isEmpty else { return nil }
        let key = Key(value: node.operands[1].index, transposed: node.attributes["transpose_b"]?.boolValue ?? false)
        return matrices[key]
    }

    /// Bytes the packed copies occupy, in all.
    var byteCount: Int { matrices.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.byteCount } } }

    /// How many weight values (counting a weight used both plain and transposed twice) are packed.
    var count: Int { matrices.count }
}
