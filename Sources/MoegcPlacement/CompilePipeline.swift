import MoegcIR
import MoegcPasses
import MoegcSim
import MoegcSupport

/// The compile pipeline after the front end, stage by stage, each timed:
///
///     graph ──lower──▶ primitives ──fuse──▶ groups ──adapt──▶ tasks ──place──▶ devices
///           ──schedule (b-level list scheduling)──▶ orders ──simulate──▶ step time, memory
///
/// Lowering is MoegcPasses' `Lowering` pipeline (every layer to primitives, then dead-code
/// elimination); `opaque` ops stay single tasks costed by their stated flops and bytes.
public enum CompilePipeline {
    /// Wall time of each stage, seconds.
    public struct Timings: Hashable, Sendable {
        public var lower = 0.0
        public var fuse = 0.0
        public var adapt = 0.0
        public var place = 0.0
        public var simulate = 0.0
        public var total: Double { lower + fuse + adapt + place + simulate }
        public init() {}
    }

    /// Lowers `graph` in place (training or evaluation mode).
    public static func lower(_ graph: inout Graph, training: Bool, file: String = "", seed: UInt64 = 0) throws(DiagnosticList) {
        try Lowering.run(&graph, PassOptions(file: file, training: training, seed: seed))
    }

    /// Runs the fusion pipeline (annotating `group` on every node) through the pass manager.
    public static func fuse(_ graph: inout Graph, file: String = "") throws(DiagnosticList) {
        try PassManager(PassRegistry.Pipeline.fusion.passes).run(&graph, PassOptions(file: file))
    }

    /// What `place` produced: the problem as placed (regrouped when the placer fused tasks), its
    /// evaluation, the seconds placing took (scheduling and simulation not included), the tasks the
    /// placer merged away and its report notes.
    public struct Placed: Sendable {
        public var problem: PlacementProblem
        public var evaluation: Evaluation
        public var placeSeconds: Double
        public var merges: Int
        public var notes: [(label: String, text: String)]
    }

    /// Places `problem` with `placer`, applies the placer's regrouping if it made one, schedules
    /// and simulates the result. `priority` overrides the placer's ordering rule.
    public static func place(_ problem: PlacementProblem, with placer: any Placer,
                             priority: PriorityRule? = nil) throws(PlacementError) -> Placed {
        try MemoryCheck.feasibility(problem)
        let (decided, placeSeconds) = try timed { () throws(PlacementError) in try placer.decide(problem) }
        guard decided.devices.count == problem.taskCount,
              decided.devices.allSatisfy({ (0..<Int32(problem.deviceCount)).contains($0) }) else {
            throw .invalidPlacement("placer '\(placer.name)' returned \(decided.devices.count) devices for \(problem.taskCount) tasks, or a device out of range")
        }
        let (placed, decision) = try problem.regrouped(by: decided)
        if placed.taskCount != problem.taskCount { try MemoryCheck.feasibility(placed) }
        let evaluation = try Evaluation.run(placed, devices: decision.devices, priority: priority ?? decision.priority)
        return Placed(problem: placed, evaluation: evaluation, placeSeconds: placeSeconds,
                      merges: problem.taskCount - placed.taskCount, notes: decision.notes)
    }

    /// A duration in seconds.
    public static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    /// Seconds `body` takes, with its result.
    public static func timed<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, Double) {
        let clock = ContinuousClock()
        let started = clock.now
        let value = try body()
        return (value, seconds(started.duration(to: clock.now)))
    }
}
