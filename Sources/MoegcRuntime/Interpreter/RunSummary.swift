import MoegcIR
import MoegcPlan
import MoegcSupport

/// What `moegc run` reports: where the run came from, the executor, each step's measured time
/// beside the plan's simulated one, each device's measured peak beside the planned one, and every
/// output's summary — as text, or as JSON (schema `moegc.run/1`, SI units, exact values; the
/// output tensors themselves go to `--outputs`).
public struct RunSummary: Encodable, Sendable {
    public static let schemaName = "moegc.run/1"

    /// The plan a run executed (absent for a model graph on the reference interpreter).
    public struct PlanInfo: Encodable, Sendable {
        public var source: String
        public var placer: String
        public var cluster: String?
        public var deviceCount: Int
        public var simulatedStepSeconds: Double
    }

    public struct Device: Encodable, Sendable {
        public var name: String
        public var measuredPeakBytes: Int
        public var plannedPeakBytes: Int?
    }

    /// One output: its name, type, element count and, for floats, mean, min and max.
    public struct OutputSummary: Encodable, Sendable {
        public var name: String
        public var type: String
        public var elements: Int
        public var mean: Double?
        public var min: Double?
        public var max: Double?
        /// The text line's summary (`mean 0.1234  min …`), not encoded.
        let text: String

        enum CodingKeys: String, CodingKey { case name, type, elements, mean, min, max }

        init(name: String, _ t: HostTensor) {
            self.name = name
            type = t.type.description
            elements = t.count
            text = t.summary
            if t.dtype == .f32, !t.floats.isEmpty {
                let v = t.floats
                mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
                min = Double(v.min()!)
                max = Double(v.max()!)
            }
        }
    }

    public var schema = RunSummary.schemaName
    public var graph: String
    public var training: Bool
    public var seed: UInt64
    /// "runtime, 2 threads", "MPI, 2 ranks of 1 device on 2 threads", "reference interpreter".
    public var executor: String
    public var plan: PlanInfo?
    /// Each step's measured wall time (none on the reference interpreter).
    public var stepSeconds: [Double]
    public var medianStepSeconds: Double?
    public var devices: [Device]
    public var outputs: [OutputSummary]

    /// A plan's run: `stepSeconds` and `peakBytes` measured (empty for the reference interpreter).
    public init(plan p: CompiledPlan, executor: String, stepSeconds: [Double], peakBytes: [Int], outputs: [HostTensor]) {
        let deviceNames = p.deviceNames
        graph = p.graph.name
        training = p.training
        seed = p.seed
        self.executor = executor
        plan = PlanInfo(source: p.source, placer: p.placer, cluster: p.clusterName, deviceCount: p.execution.deviceCount,
                        simulatedStepSeconds: p.simulatedStepSeconds)
        self.stepSeconds = stepSeconds
        medianStepSeconds = stepSeconds.isEmpty ? nil : Statistics.median(stepSeconds)
        devices = peakBytes.isEmpty ? [] : deviceNames.indices.map { d in
            Device(name: deviceNames[d], measuredPeakBytes: peakBytes[d], plannedPeakBytes: d < p.peakMemory.count ? p.peakMemory[d] : nil)
        }
        self.outputs = zip(p.graph.outputs, outputs).map { OutputSummary(name: p.graph[$0.0].name, $0.1) }
    }

    /// A model graph's run on the reference interpreter.
    public init(graph g: Graph, training: Bool, seed: UInt64, outputs: [HostTensor]) {
        graph = g.name
        self.training = training
        self.seed = seed
        executor = "reference interpreter"
        plan = nil
        stepSeconds = []
        medianStepSeconds = nil
        devices = []
        self.outputs = zip(g.outputs, outputs).map { OutputSummary(name: g[$0.0].name, $0.1) }
    }

    /// The report `moegc run` prints.
    public var text: String {
        let mode = training ? "training" : "evaluation"
        var s: String
        if let plan {
            s = "\(graph): plan of \(plan.source) placed by \(plan.placer) on \(plan.cluster ?? "?") (\(plan.deviceCount) devices), "
                + "\(mode) mode, seed \(seed)\n"
            s += "executor: \(executor)\n"
            if let measured = medianStepSeconds {
                s += "step time: measured \(Quantity.seconds(measured)) (median of \(stepSeconds.count)), simulated \(Quantity.seconds(plan.simulatedStepSeconds))"
                    + (plan.simulatedStepSeconds > 0 ? " (measured / simulated \(Quantity.fixed(measured / plan.simulatedStepSeconds, 2)))" : "") + "\n"
            }
            if !devices.isEmpty {
                s += "peak memory:" + devices.map { d in
                    " \(d.name) \(Quantity.bytes(Double(d.measuredPeakBytes)))"
                        + (d.plannedPeakBytes.map { " (planned \(Quantity.bytes(Double($0))))" } ?? "")
                }.joined(separator: ",") + "\n"
            }
        } else {
            s = "\(graph): \(executor), \(mode) mode, seed \(seed)\n"
        }
        let width = outputs.map(\.name.count).max().map { $0 + 3 } ?? 8
        s += "outputs\n"
        for o in outputs { s += "  " + Quantity.pad("%" + o.name, width) + Quantity.pad(o.type, 20) + o.text + "\n" }
        return s
    }
}
