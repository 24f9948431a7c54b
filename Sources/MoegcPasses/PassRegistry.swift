import MoegcIR

/// Every pass of moegc, by name, and the pipelines the compiler runs: the one place a pass is
/// registered (after SwiftCompilerSources' `PassRegistration.swift`). The compilation asks for a
/// pipeline, and `--emit NAME` stops after any pass named here.
///
///     front end ──▶ shape-inference
///     lowering  ──▶ lower-lstm ─▶ lower-attention ─▶ lower-layers ─▶ lower-moe ─▶ dce
///     fusion    ──▶ fuse
public enum PassRegistry {
    /// A named sequence of passes.
    public enum Pipeline: String, CaseIterable, Sendable {
        /// Every layer op expanded to primitives, then dead code removed (`Lowering`).
        case lowering
        /// Fusion groups annotated on every node.
        case fusion

        public var passes: [GraphPass] {
            switch self {
            // The MoE expansion runs last: it makes most of the nodes (800k for MoE-131072-h),
            // and each pass that rewrites copies the whole graph.
            case .lowering: [lowerLSTM, lowerAttention, lowerLayers, lowerMoE, deadCodeElimination]
            case .fusion: [MoegcPasses.fusion]
            }
        }
    }

    /// Every pass, in the order the compiler runs them.
    public static let passes: [GraphPass] = [shapeInference] + Pipeline.allCases.flatMap(\.passes)

    /// The pass called `name`, or nil.
    public static func pass(named name: String) -> GraphPass? { passes.first { $0.name == name } }

    /// The pipeline that runs the pass called `name`, or nil (shape inference runs in the front end).
    public static func pipeline(containing name: String) -> Pipeline? {
        Pipeline.allCases.first { $0.passes.contains { $0.name == name } }
    }
}
