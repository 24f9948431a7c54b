/// The policy network's shape. Every field has a documented default; the whole struct is saved in
/// checkpoints (as JSON) so a policy file rebuilds the exact network it was trained with.
public struct PolicyConfig: Sendable, Hashable, Codable {
    /// Width of every node, device and graph embedding (default 64).
    public var hiddenSize: Int = 64
    /// Graph-attention encoder layers (default 2; GO's reproduction used 2 GraphSAGE layers).
    public var gatLayers: Int = 2
    /// Heads per GAT layer; `hiddenSize` must divide evenly (default 4).
    public var gatHeads: Int = 4
    /// Tasks per segment of the recurrent attention placer (default 128; GO: 256).
    public var segmentSize: Int = 128
    /// Segment-recurrent attention layers (default 2; GO: 3).
    public var attentionLayers: Int = 2
    /// Heads per attention layer (default 4; GO: 8).
    public var attentionHeads: Int = 4
    /// Width of the feed-forward block inside each attention layer (default 2 × hiddenSize).
    public var feedForwardSize: Int = 128
    /// Whether the policy emits per-task scheduling-priority offsets for the list scheduler (GO's
    /// joint placement + scheduling; default true). Off: orders come from the b-level alone.
    public var priorityHead: Bool = true
    /// Whether the policy also makes fusion decisions (GO's joint fusion + placement; default off,
    /// and absent from policies trained before it existed): for each task whose inputs all come
    /// from one other task, whether to merge it into that task's group when both are on the same
    /// device (``TaskMerging``). Off: the fusion pass's groups are final.
    public var fusionHead: Bool? = nil
    /// Initial log-odds of merging (default −2: the untrained head rarely merges, so the initial
    /// policy behaves as placement alone).
    public var fusionInitialLogit: Float? = nil
    /// Whether the placement scores include the best heuristic's placement as a learned-weight hint
    /// (default true). Off: the policy must find or imitate placements from the features alone.
    public var referenceHint: Bool = true
    /// Bound on the learned task·device scores: with C set, a score s becomes C·tanh(s / C) before
    /// the relative-cost and hint terms are added (pointer networks clip their logits the same way).
    /// nil (the default, and files that predate the field) leaves them unbounded. Without a bound,
    /// long PPO runs over many graphs grew the query and key projections until the scores drowned
    /// the hint and every task went to one device (policies/README.md).
    public var scoreClip: Float? = nil
    /// Initial standard deviation of the priority offsets sampled in training (default 0.05, in
    /// units of the critical path's b-level).
    public var priorityInitialStd: Float = 0.05
    /// Seed of the initial weights (default 1).
    public var initSeed: UInt64 = 1
    /// The ops of the op-profile features, by name, in column order (``OpVocabulary``). nil:
    /// ``OpVocabulary/original``, the vocabulary of every file written before it was recorded —
    /// and what a new policy stores while this build's registry holds exactly those ops, so its
    /// file keeps the bytes it had before the field existed.
    public var opVocabulary: [String]? = nil

    /// The defaults; the op vocabulary is this build's registry.
    public init() {
        opVocabulary = OpVocabulary.registry == .original ? nil : OpVocabulary.registry.names
    }

    /// The op vocabulary the network reads.
    public var vocabulary: OpVocabulary { opVocabulary.map(OpVocabulary.init) ?? .original }

    /// ``fusionHead``, false when absent.
    public var usesFusionHead: Bool { fusionHead ?? false }

    /// The sizes a configuration may take. They bound the network a file can ask for (at the
    /// extremes about 400 million weights, 1.5 GiB, with Adam's moments three times that) and
    /// every product of sizes the forward pass forms, so no policy file can drive moegc into a
    /// terabyte allocation or an overflow (defaults: 64, 2, 2, 128, 128).
    public static let hiddenSizes = 4...1024
    public static let layerCounts = 0...16
    public static let segmentSizes = 1...4096
    public static let feedForwardSizes = 1...8192
    public static let vocabularySizes = 1...4096

    /// Why this configuration cannot build a network, or nil.
    public var problem: String? {
        func range(_ r: ClosedRange<Int>) -> String { "\(r.lowerBound)...\(r.upperBound)" }
        if !Self.hiddenSizes.contains(hiddenSize) { return "hiddenSize must be in \(range(Self.hiddenSizes)), got \(hiddenSize)" }
        if !Self.layerCounts.contains(gatLayers) { return "gatLayers must be in \(range(Self.layerCounts)), got \(gatLayers)" }
        if !Self.layerCounts.contains(attentionLayers) {
            return "attentionLayers must be in \(range(Self.layerCounts)), got \(attentionLayers)"
        }
        if gatHeads < 1 || hiddenSize % gatHeads != 0 { return "gatHeads (\(gatHeads)) must divide hiddenSize (\(hiddenSize))" }
        if attentionHeads < 1 || hiddenSize % attentionHeads != 0 {
            return "attentionHeads (\(attentionHeads)) must divide hiddenSize (\(hiddenSize))"
        }
        if !Self.segmentSizes.contains(segmentSize) { return "segmentSize must be in \(range(Self.segmentSizes)), got \(segmentSize)" }
        if !Self.feedForwardSizes.contains(feedForwardSize) {
            return "feedForwardSize must be in \(range(Self.feedForwardSizes)), got \(feedForwardSize)"
        }
        if let c = scoreClip, !(c > 0 && c.isFinite) { return "scoreClip must be positive and finite, got \(c)" }
        if !(priorityInitialStd > 0 && priorityInitialStd.isFinite) { return "priorityInitialStd must be positive and finite, got \(priorityInitialStd)" }
        if let l = fusionInitialLogit, !l.isFinite { return "fusionInitialLogit must be finite, got \(l)" }
        if let names = opVocabulary, names.isEmpty { return "opVocabulary names no op" }
        if let names = opVocabulary, !Self.vocabularySizes.contains(names.count) {
            return "opVocabulary must name \(range(Self.vocabularySizes)) ops, got \(names.count)"
        }
        if let name = vocabulary.duplicate { return "opVocabulary names '\(name)' twice" }
        return nil
    }
}
