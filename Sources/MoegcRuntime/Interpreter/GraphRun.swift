import MoegcIR
import MoegcPasses
import MoegcSupport

/// A lowered model graph run once on the reference interpreter, as `moegc run model.graph
/// --reference` runs it, with each MoE layer's auxiliary losses and per-expert load (the values
/// the interpreter keeps for `MoEReport`).
///
///     let run = try GraphRun(source: parsed, lowered: lowered, seed: 1)   // checks the run's memory
///     let result = try run.run(inputs, training: true)                   // result.summary.text + result.moeReport
public struct GraphRun: Sendable {
    public let source: Graph
    public let lowered: Graph
    public let seed: UInt64
    let interpreter: ReferenceInterpreter
    let layers: [MoELayout.Layer]

    public struct Result: Sendable {
        public var summary: RunSummary
        public var outputs: [HostTensor]
        /// Per MoE layer: rows routed per expert, max/mean, CV of load and importance.
        public var moeReport: String
    }

    /// Makes the interpreter: it checks the run's memory before any input or other weight exists.
    /// `weights` are the model's own (read or mapped), the rest follow their init rules from `seed`.
    public init(source: Graph, lowered: Graph, seed: UInt64, weights: [String: HostTensor] = [:]) throws(ExecutionError) {
        interpreter = try ReferenceInterpreter(graph: lowered, seed: seed, weights: weights)
        self.source = source
        self.lowered = lowered
        self.seed = seed
        layers = MoELayout.layers(source: source, lowered: lowered)
    }

    public func run(_ inputs: [HostTensor], training: Bool, verbose: Bool = false) throws(ExecutionError) -> Result {
        let keep = Set(layers.flatMap { $0.expertRoutes + [$0.importance, $0.groupRoute].compactMap { $0 } })
        let run = try interpreter.run(inputs, keep: keep)
        return Result(summary: RunSummary(graph: lowered, training: training, seed: seed, outputs: run.outputs), outputs: run.outputs,
                      moeReport: layers.map { MoEReport.render($0, run.kept, verbose: verbose) }.joined())
    }
}
