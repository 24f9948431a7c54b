import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim

/// Shared helpers: graphs from text, shapes inferred.
enum Fixture {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// A graph parsed from text with every type inferred.
    static func graph(_ text: String) throws -> Graph {
        try Frontend.load(bytes: Array(text.utf8), path: "<test>")
    }

    /// A model from graphs/, lowered (training mode) and fused.
    static func lowered(_ file: String, fuse: Bool = true, overrides: [String: Int] = [:]) throws -> Graph {
        var g = try Frontend.load(path: root + "/graphs/" + file, overrides: overrides)
        try CompilePipeline.lower(&g, training: true, file: file)
        if fuse { try CompilePipeline.fuse(&g) }
        return g
    }
}

/// Checks on fused graphs through the cost-graph adaptor.
enum MoegcSimCheck {
    /// Builds the task graph (which rejects cycles between groups).
    static func acyclic(_ g: Graph, _ plan: FusionPlan) throws -> TaskGraph {
        try TaskGraph(g, plan: plan)
    }
}
