import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// Everything a report shows, gathered from a placed problem: the summary figures, the placement
/// aggregated to boxes, each device's simulated timeline and memory, the bytes moved between
/// devices, and optionally a measured trace. Built by simulating the placement's schedule once more
/// with its timeline kept (the same step `compile` reports: same schedule, same simulator).
public struct ReportModel: Sendable {
    /// Where the placement came from.
    public struct Origin: Sendable {
        public var source: String
        public var placer: String
        public var training: Bool
        public var seed: UInt64
        public init(source: String, placer: String, training: Bool, seed: UInt64) {
            self.source = source
            self.placer = placer
            self.training = training
            self.seed = seed
        }
    }

    public struct Device: Sendable {
        public var name: String
        public var tasks: Int
        public var busy: Double
        public var utilization: Double
        public var peakMemory: Int
        public var capacity: Int
    }

    public var model: String
    public var origin: Origin
    public var cluster: String
    public var nodes: Int
    public var tasks: Int
    public var edges: Int
    public var statistics: ModelStatistics
    public var stepSeconds: Double
    public var bounds: [NamedBound]
    public var bestBound: NamedBound
    public var ratio: Double
    public var transfers: Int
    public var bytesTransferred: Double
    public var devices: [Device]
    public var palette: DevicePalette
    public var aggregation: LayerAggregation
    public var timeline: Timeline
    public var memory: MemoryCurves
    public var matrix: TransferMatrix
    public var measured: MeasuredTrace?
    /// Task labels of the timeline (the lead member's op and result name).
    var taskLabel: [String]

    /// Gathers the report of `placement` on `problem`.
    public init(problem: PlacementProblem, placement: Placement, origin: Origin, measured: MeasuredTrace? = nil) throws(ReportError) {
        var simulator: Simulator
        let report: SimulationReport
        do {
            simulator = try Simulator(graph: problem.costGraph, cluster: problem.cluster)
            simulator.recordsMemory = true
            report = try simulator.run(placement.schedule)
        } catch { throw ReportError("error: the placement cannot be simulated: \(error.description)") }
        let timeline = simulator.timeline()
        let cost = problem.costGraph, cluster = problem.cluster
        model = problem.graph.name
        self.origin = origin
        self.cluster = cluster.name
        nodes = problem.graph.nodes.count
        tasks = problem.taskCount
        edges = cost.edgeCount
        statistics = ModelStatistics(problem.graph)
        stepSeconds = report.makespan
        bounds = problem.bounds.all
        bestBound = problem.bounds.best
        ratio = problem.bounds.ratio(makespan: report.makespan)
        transfers = report.transferCount
        bytesTransferred = report.bytesTransferred
        var taskCount = [Int](repeating: 0, count: cluster.deviceCount)
        for d in placement.taskDevice { taskCount[Int(d)] += 1 }
        devices = (0..<cluster.deviceCount).map { d in
            Device(name: cluster.devices[d].name, tasks: taskCount[d], busy: report.deviceBusy[d], utilization: report.utilization[d],
                   peakMemory: report.peakMemory[d], capacity: cluster.memoryCapacity(d))
        }
        palette = DevicePalette(deviceCount: cluster.deviceCount)
        let seconds = (0..<problem.taskCount).map { timeline.taskEnd[$0] - timeline.taskStart[$0] }
        aggregation = LayerAggregation(problem: problem, taskDevice: placement.taskDevice, seconds: seconds)
        self.timeline = timeline
        memory = MemoryCurves(log: simulator.memoryLog, cluster: cluster, span: report.makespan,
                              points: max(20, min(240, 12_000 / max(1, cluster.deviceCount))))
        matrix = TransferMatrix(timeline: timeline, cost: cost, deviceCount: cluster.deviceCount)
        self.measured = measured
        let graph = problem.graph
        taskLabel = (0..<problem.taskCount).map { problem.tasks.name(of: $0, in: graph) }
    }

    public var deviceNames: [String] { devices.map(\.name) }

    /// The simulated timeline: a lane per device (its tasks) and a thin one beneath (transfers
    /// arriving there), `budget` bars in all at most (split over the lanes).
    public func simulatedChart(budget: Int = 4000) -> TimelineChart {
        let d = devices.count
        var chart = TimelineChart(title: "simulated", span: stepSeconds)
        var perDevice = [[TimelineChart.Interval]](repeating: [], count: d)
        for t in timeline.taskStart.indices {
            perDevice[timeline.placement[t]].append(.init(start: timeline.taskStart[t], end: timeline.taskEnd[t], label: taskLabel[t]))
        }
        var incoming = [[TimelineChart.Interval]](repeating: [], count: d)
        for x in timeline.transfers {
            incoming[x.destination].append(.init(start: x.start, end: x.end, label: "value \(x.value) from \(devices[x.source].name)"))
        }
        let lanesBudget = max(4, budget / max(1, 2 * d))
        for k in 0..<d {
            chart.add(label: devices[k].name, color: palette[k], intervals: perDevice[k], budget: lanesBudget)
            chart.add(label: devices[k].name + " in", color: "#6b6b6b", thin: true, intervals: incoming[k], budget: lanesBudget)
        }
        return chart
    }

    /// The measured timeline, a lane per track of the trace (device tracks in their colour).
    public func measuredChart(budget: Int = 3000) -> TimelineChart? {
        guard let measured else { return nil }
        var chart = TimelineChart(title: "measured", span: measured.span)
        let lanesBudget = max(8, budget / max(1, measured.tracks.count))
        let names = deviceNames
        // Each device's kernels, then its sends beneath (a thin lane), as the simulated chart.
        let ordered = measured.tracks.sorted { a, b in
            func key(_ t: MeasuredTrace.Track) -> (Int, Int) {
                let isSend = t.name.hasSuffix(":out")
                let base = isSend ? String(t.name.dropLast(4)) : t.name
                return (names.firstIndex(of: base) ?? names.count, isSend ? 1 : 0)
            }
            return key(a) < key(b)
        }
        for track in ordered {
            let isSend = track.name.hasSuffix(":out")
            let device = names.firstIndex(of: isSend ? String(track.name.dropLast(4)) : track.name)
            chart.add(label: track.name, color: isSend ? "#6b6b6b" : device.map { palette[$0] } ?? "#444444", thin: isSend,
                      intervals: track.intervals, budget: lanesBudget)
        }
        return chart
    }
}
