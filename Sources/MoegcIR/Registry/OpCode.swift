/// Every op moegc knows. The spelling is the op's name in the `.graph` text; the schema (arity,
/// attributes, shape rule, parameters, cost, fusion class) is `code.schema`, from `OpRegistry`.
public enum OpCode: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    // Layers (Ops+Layers.swift, Ops+MoE.swift): implicit parameters, expanded by lowering passes.
    case embedding, lstm, dense, attention, layer_norm, softmax_output
    case moe, hmoe

    // Elementwise primitives (Ops+Elementwise.swift).
    case add, sub, mul, div, maximum, minimum, fma
    case relu, sigmoid, tanh, exp, log, neg, sqrt, erf, normal_cdf, softplus, scale, dropout
    case pow, abs, reciprocal, gelu, sin, cos

    // Comparisons and logic on booleans held as i32 0/1, and selection (Ops+Logic.swift).
    case equal, less, less_equal, greater, greater_equal
    case not, and, or, xor, `where`

    // Tensor primitives (Ops+Tensor.swift).
    case matmul, reshape, transpose, concat, slice, cast
    case reduce_sum, reduce_mean, reduce_max
    case softmax, log_softmax, normalize, top_k, gather, scatter_add, pick, mask_causal

    // Indexing and layout primitives of imported models (Ops+Indexing.swift).
    case expand, gather_elements, gather_nd, scatter_elements, scatter_nd, cumsum, one_hot, trilu

    // Mixture-of-experts routing primitives (Ops+Routing.swift).
    case moe_route, moe_dispatch, moe_segment, moe_combine, moe_importance, moe_load_estimate, moe_load_count, moe_group_load
    case cv_squared

    // Sources and foreign ops (Ops+Sources.swift).
    case param, fill, constant, random_normal, random_ids, opaque

    public var description: String { rawValue }

    /// The case's position in `allCases` (declaration order). A payload-free enum is stored as its
    /// case's index in one byte, so this is a load, not a lookup; `OpRegistry.table` checks every
    /// case against `allCases` when it is built. The one unsafe read in the IR, kept here.
    @inline(__always) public var ordinal: Int {
        precondition(MemoryLayout<OpCode>.size == 1, "OpCode: more than 256 cases")
        return Int(unsafeBitCast(self, to: UInt8.self))
    }

    /// Hashes the ordinal: the default for a `String`-backed enum hashes the spelling, and op codes
    /// key the hot dictionaries and sets of lowering, fusion and featurisation.
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}
