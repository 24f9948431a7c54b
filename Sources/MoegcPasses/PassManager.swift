import MoegcIR
import MoegcSupport

/// Settings every pass may read.
public struct PassOptions: Sendable {
    /// The file the graph came from, for diagnostics.
    public var file: String
    /// Training mode (MoE gate noise, dropout) or evaluation mode.
    public var training: Bool
    /// Seed of every random stream a pass creates (noise streams, dropout masks).
    public var seed: UInt64

    public init(file: String = "", training: Bool = true, seed: UInt64 = 0) {
        self.file = file
        self.training = training
        self.seed = seed
    }
}

/// A transformation of a whole graph. `run` returns whether it changed the graph and throws the
/// diagnostics of a graph it cannot handle.
public struct GraphPass: Sendable {
    public typealias Body = @Sendable (inout Graph, PassOptions) throws(DiagnosticList) -> Bool

    public let name: String
    public let run: Body

    public init(name: String, run: @escaping Body) {
        self.name = name
        self.run = run
    }
}

/// Runs passes in order; with `verifyAfterEach` (the default in debug builds, and so in every test)
/// the verifier checks the graph after every pass and names the pass that broke it.
public struct PassManager: Sendable {
    public var passes: [GraphPass]
    public var verifyAfterEach: Bool

    /// Whether pass managers verify after each pass unless told: in debug builds (the test suite's),
    /// not in release builds (`moegc compile --verify-each` asks for it there).
    public static let verifiesByDefault: Bool = {
        #if DEBUG
        true
        #else
        false
        #endif
    }()

    public init(_ passes: [GraphPass], verifyAfterEach: Bool = PassManager.verifiesByDefault) {
        self.passes = passes
        self.verifyAfterEach = verifyAfterEach
    }

    /// Runs every pass, or the passes up to and including the one named `stopAfter`; returns whether
    /// any changed the graph.
    @discardableResult
    public func run(_ graph: inout Graph, _ options: PassOptions, stopAfter: String? = nil) throws(DiagnosticList) -> Bool {
        var changed = false
        for pass in passes {
            changed = try pass.run(&graph, options) || changed
            if verifyAfterEach {
                let problems = Verifier.verify(graph, file: options.file)
                if !problems.isEmpty {
                    throw DiagnosticList([Diagnostic(.error, "the graph fails verification after pass '\(pass.name)'", file: options.file)]
                                         + problems)
                }
            }
            if pass.name == stopAfter { break }
        }
        return changed
    }
}
