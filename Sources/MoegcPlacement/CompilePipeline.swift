import MoegcIR
import MoegcPasses
import MoegcSim

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

    /// Runs the fusion pass (annotating `group` on every node).
    public static func fuse(_ graph: inout Graph) {
        FusionPlan(graph).annotate(&graph)
    }

    /// Places `problem` with `placer`, schedules and simulates it; returns the evaluation and the
    /// seconds placing took (scheduling and simulation not included).
    public static func place(_ problem: PlacementProblem, with placer: any Placer,
                             priority: PriorityRule? = nil) throws(PlacementError) -> (Evaluation, placeSeconds: Double) {
        try MemoryCheck.feasibility(problem)
        let clock = ContinuousClock()
        let started = clock.now
        let (devices, rule) = try placer.placeAndOrder(problem)
        let placeSeconds = seconds(started.duration(to: clock.now))
        guard devices.count == problem.taskCount, devices.allSatisfy({ (0..<Int32(problem.deviceCount)).contains($0) }) else {
            throw .invalidPlacement("placer '\(placer.name)' returned \(devices.count) devices for \(problem.taskCount) tasks, or a device out of range")
        }
        return (try Evaluation.run(problem, devices: devices, priority: priority ?? rule), placeSeconds)
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
