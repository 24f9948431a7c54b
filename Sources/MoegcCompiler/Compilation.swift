import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcSim
import MoegcSupport

/// A model on its way through the compiler: one value holding each stage as it is reached, the
/// one place the pipeline is assembled (the driver, the policy's training sets and the benchmarks
/// all drive it).
///
///     front end ──▶ parsed ──lowering──▶ lowered ──fusion──▶ fused ──adapt(cluster)──▶ problem
///               ──place(placer)──▶ placed ──plan──▶ CompiledPlan ──▶ back end (the runtime)
///
/// A front end (the `.graph` reader here) produces the parsed stage; lowering and fusion run the
/// pass registry's pipelines through the pass manager (verifying after each pass when
/// `Options.verifyEachPass`, the default in debug builds); `adapt` builds the placement problem
/// (one task per fusion group); `place` runs a placer, applies its regrouping, schedules and
/// simulates; `plan` writes what the runtime executes. Each stage records its wall time.
public struct Compilation: Sendable {
    public struct Options: Sendable, Hashable {
        /// The file the model came from, for diagnostics and reports.
        public var file: String
        /// Training mode (gate noise, dropout, sampled softmax) or evaluation mode.
        public var training: Bool
        /// Seed of every random stream the passes and the randomised placers create.
        public var seed: UInt64
        /// false: every node is its own task (weights still go with their consumer).
        public var fusion: Bool
        /// Run the verifier after every pass (default: in debug builds).
        public var verifyEachPass: Bool

        public init(file: String = "", training: Bool = true, seed: UInt64 = 0, fusion: Bool = true,
                    verifyEachPass: Bool = PassManager.verifiesByDefault) {
            self.file = file
            self.training = training
            self.seed = seed
            self.fusion = fusion
            self.verifyEachPass = verifyEachPass
        }

        var passOptions: PassOptions { PassOptions(file: file, training: training, seed: seed) }
    }

    /// How far the model has come.
    public enum Stage: Int, Comparable, Sendable {
        case parsed, lowered, fused, adapted, placed
        public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    /// Wall time of each stage, seconds.
    public struct Timings: Hashable, Sendable {
        public var lower = 0.0
        public var fuse = 0.0
        public var adapt = 0.0
        public var place = 0.0
    }

    public let options: Options
    /// The model as the front end produced it (verified, every type inferred).
    public let source: Graph
    /// The model at the current stage: the source, lowered, fused (`group` on every node), and once
    /// placed the problem's graph (regrouped when the placer fused tasks).
    public private(set) var graph: Graph
    public private(set) var stage: Stage = .parsed
    public private(set) var timings = Timings()
    /// The placement problem, from `adapt` on.
    public private(set) var problem: PlacementProblem?
    /// The placement, from `place` on.
    public private(set) var placed: PlacedProblem?

    public init(source: Graph, options: Options) {
        self.source = source
        self.graph = source
        self.options = options
    }

    /// The `.graph` front end: read → parse (with named-dimension overrides) → verify → shapes.
    public static func load(path: String, overrides: [String: Int] = [:], options: Options? = nil) throws(DiagnosticList) -> Compilation {
        var options = options ?? Options()
        options.file = path
        return Compilation(source: try Frontend.load(path: path, overrides: overrides), options: options)
    }

    /// Lowers every layer to primitives (the lowering pipeline), or only up to the pass named
    /// `stopAfter`, which leaves the compilation at the parsed stage with a partly lowered graph.
    public mutating func lower(stopAfter: String? = nil) throws(DiagnosticList) {
        precondition(stage == .parsed, "lower: the model is already \(stage)")
        var g = graph
        let options = self.options
        (_, timings.lower) = try WallClock.timed { () throws(DiagnosticList) in
            try Lowering.run(&g, options.passOptions, verify: options.verifyEachPass, stopAfter: stopAfter)
        }
        graph = g
        if stopAfter == nil || stopAfter == Lowering.passes.last?.name { stage = .lowered }
    }

    /// Annotates the fusion groups (the fusion pipeline); without `Options.fusion`, marks the stage
    /// reached and leaves every node its own task.
    public mutating func fuse() throws(DiagnosticList) {
        if stage < .lowered { try lower() }
        precondition(stage == .lowered, "fuse: the model is already \(stage)")
        if options.fusion {
            var g = graph
            let options = self.options
            (_, timings.fuse) = try WallClock.timed { () throws(DiagnosticList) in
                try PassManager(PassRegistry.Pipeline.fusion.passes, verifyAfterEach: options.verifyEachPass).run(&g, options.passOptions)
            }
            graph = g
        }
        stage = .fused
    }

    /// Builds the placement problem on `cluster`: one task per fusion group, their costs, the
    /// lower bounds. `reserve` overrides the memory each device keeps free of weights (`PlacementProblem.reserve`).
    public mutating func adapt(to cluster: Cluster, reserve: MemoryReserve? = nil) throws(PlacementError) {
        precondition(stage == .fused, "adapt: the model must be fused first (it is \(stage))")
        let graph = self.graph, fusion = options.fusion
        let (made, seconds) = try WallClock.timed { () throws(PlacementError) in
            try PlacementProblem(graph: graph, cluster: cluster, plan: fusion ? nil : FusionPlan.singletons(graph),
                                 reserve: reserve)
        }
        problem = made
        timings.adapt = seconds
        stage = .adapted
    }

    /// Pins the problem's tasks to the devices (and orders) `file` gives (`PlacementProblem.pinned(by:)`):
    /// the placer then places only the rest; `PinnedPlacer` takes a file that places every node as it is.
    public mutating func pin(_ file: PlacementFile) throws(DiagnosticList) {
        guard let problem, stage == .adapted else { preconditionFailure("pin: adapt the model to a cluster first") }
        self.problem = try problem.pinned(by: file)
    }

    /// Places the problem with `placer` (applying any regrouping it makes), orders each device and
    /// simulates one step.
    public mutating func place(with placer: any Placer) throws(PlacementError) {
        guard let problem, stage == .adapted else { preconditionFailure("place: adapt the model to a cluster first") }
        let result = try problem.place(with: placer)
        placed = result
        graph = result.problem.graph
        timings.place = result.placeSeconds
        stage = .placed
    }

    /// The placed step, simulated again with its timeline kept, as a Chrome trace (Perfetto opens it).
    public func simulatedTrace() throws(SimulationError) -> String {
        guard let placed else { preconditionFailure("simulatedTrace: the model is not placed") }
        let problem = placed.problem
        var simulator = try Simulator(graph: problem.costGraph, cluster: problem.cluster)
        _ = try simulator.run(placed.evaluation.placement.schedule)
        return ChromeTrace.json(timeline: simulator.timeline(), graph: problem.costGraph, cluster: problem.cluster) {
            problem.tasks.name(of: $0, in: problem.graph)
        }
    }

    /// The placed graph: `group`, `device` and `order` on every node (what `--emit placed` prints;
    /// it re-parses to the same placement).
    public var placedGraph: Graph {
        guard let placed else { preconditionFailure("placedGraph: the model is not placed") }
        var g = placed.problem.graph
        placed.evaluation.placement.annotate(&g, tasks: placed.problem.tasks)
        return g
    }

    /// The placement as a placement file (what `--emit placement` prints; `--placement` reads it
    /// back to the same schedule).
    public func placementText(placer: String) -> String {
        guard let placed else { preconditionFailure("placementText: the model is not placed") }
        return PlacementFile.render(placed, placer: placer)
    }

    /// The compiled plan of the placement, for the runtime.
    public func plan(placer: String, weights: [String: CompiledPlan.WeightData] = [:]) throws(PlanError) -> CompiledPlan {
        guard let placed else { preconditionFailure("plan: the model is not placed") }
        return try CompiledPlan(placed, placer: placer, source: options.file, seed: options.seed, training: options.training,
                                weights: weights)
    }
}

extension Compilation {
    /// What `--emit` can stop after: a stage, or any pass of the lowering and fusion pipelines.
    public enum Emit: Hashable, Sendable {
        /// The graph as parsed (every type inferred).
        case parsed
        /// After the named pass of the lowering or fusion pipeline.
        case pass(String)
        /// Lowered (every layer expanded), fused (`group` annotations), or placed.
        case lowered, fused, placed
        /// The placement as a placement file (`PlacementFile.render`): not a graph.
        case placement
        /// The placed graph for Graphviz (DOT: clusters by fusion group, colours by device).
        case dot

        /// The stage and pass names `--emit` takes.
        public static var names: [String] {
            ["graph", "lowered", "fused", "placed", "placement", "dot"] + PassRegistry.Pipeline.allCases.flatMap { $0.passes.map(\.name) }
        }

        /// Whether emitting this needs the model placed.
        public var needsPlacement: Bool { self == .placed || self == .placement || self == .dot }

        public init?(_ name: String) {
            switch name {
            case "graph": self = .parsed
            case "lowered": self = .lowered
            case "fused": self = .fused
            case "placed": self = .placed
            case "placement": self = .placement
            case "dot": self = .dot
            default:
                guard PassRegistry.pipeline(containing: name) != nil else { return nil }
                self = .pass(name)
            }
        }
    }

    /// Runs the compilation up to `emit` (before placement: `.placed` needs `adapt` and `place`)
    /// and returns the graph there (for `.placement` and `.dot`, the placed graph).
    public mutating func graph(at emit: Emit) throws(DiagnosticList) -> Graph {
        switch emit {
        case .parsed: return source
        case .lowered: if stage < .lowered { try lower() }
        case .fused: if stage < .fused { try fuse() }
        case .pass(let name):
            if PassRegistry.pipeline(containing: name) == .lowering { try lower(stopAfter: name) } else { try fuse() }
        case .placed, .placement, .dot: return placedGraph
        }
        return graph
    }
}

extension Compilation {
    /// Why a model could not be compiled: the front end's or a pass's diagnostics, or a placement
    /// problem that cannot be built or solved.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case diagnostics(DiagnosticList)
        case placement(PlacementError, file: String)

        public var description: String {
            switch self {
            case .diagnostics(let list): list.description
            case .placement(let error, let file): "\(file): error: \(error.description)"
            }
        }
    }

    /// The lowered (training mode, as `moegc place` lowers), fused placement problem of the graph
    /// file at `path` on `cluster`: what the policy's training and evaluation sets are made of.
    public static func placementProblem(path: String, cluster: Cluster, seed: UInt64 = 0) throws(Failure) -> PlacementProblem {
        var compilation: Compilation
        do {
            compilation = try load(path: path, options: Options(training: true, seed: seed))
            try compilation.fuse()
        } catch {
            throw .diagnostics(error)
        }
        do { try compilation.adapt(to: cluster) } catch { throw .placement(error, file: path) }
        return compilation.problem!
    }
}
