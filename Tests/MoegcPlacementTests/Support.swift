import MoegcCompiler
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
        var compilation = try Compilation.load(path: root + "/graphs/" + file, overrides: overrides)
        if fuse { try compilation.fuse() } else { try compilation.lower() }
        return compilation.graph
    }
}

/// Checks on fused graphs through the cost-graph adaptor.
enum MoegcSimCheck {
    /// Builds the task graph (which rejects cycles between groups).
    static func acyclic(_ g: Graph, _ plan: FusionPlan) throws -> TaskGraph {
        try TaskGraph(g, plan: plan)
    }
}
