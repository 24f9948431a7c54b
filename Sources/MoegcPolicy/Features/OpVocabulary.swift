import MoegcIR

/// The ops whose share of a task's fused ops are the policy's op-profile features, by name, in
/// column order.
///
/// A policy file records the vocabulary it was trained with (``PolicyConfig/opVocabulary``), and
/// the featurizer maps each op to its column by name. So ops added to the registry, or `OpCode`'s
/// cases reordered, never shift what an existing policy reads: an op outside a policy's vocabulary
/// adds to no op-profile column (its fusion class still counts in the fusion profile), and a name
/// this build does not know keeps a column that stays zero.
public struct OpVocabulary: Sendable, Hashable {
    public let names: [String]
    /// The column of each op of this build that the vocabulary names.
    let column: [OpCode: Int]

    public init(_ names: [String]) {
        self.names = names
        var column: [OpCode: Int] = [:]
        for (i, name) in names.enumerated() {
            if let op = OpCode(rawValue: name), column[op] == nil { column[op] = i }
        }
        self.column = column
    }

    public var count: Int { names.count }

    /// A name listed twice, if any (a vocabulary must name each op once).
    public var duplicate: String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }

    /// The registry's 58 ops when the vocabulary was first recorded, in `OpCode`'s order then: what
    /// every policy file without a recorded vocabulary was trained with (the shipped ones among
    /// them). Frozen: never edit it.
    public static let original = OpVocabulary([
        "embedding", "lstm", "dense", "attention", "layer_norm", "softmax_output", "moe", "hmoe",
        "add", "sub", "mul", "div", "maximum", "minimum", "fma",
        "relu", "sigmoid", "tanh", "exp", "log", "neg", "sqrt", "erf", "normal_cdf", "softplus", "scale", "dropout",
        "matmul", "reshape", "transpose", "concat", "slice", "cast", "reduce_sum", "reduce_mean", "reduce_max",
        "softmax", "log_softmax", "normalize", "top_k", "gather", "scatter_add", "pick", "mask_causal",
        "moe_route", "moe_dispatch", "moe_segment", "moe_combine", "moe_importance", "moe_load_estimate",
        "moe_load_count", "moe_group_load", "cv_squared",
        "param", "fill", "random_normal", "random_ids", "opaque",
    ])

    /// Every op of this build's registry, in declaration order: what a new policy is trained with.
    public static let registry = OpVocabulary(OpCode.allCases.map(\.rawValue))
}
