/// A discrete-event simulator of one step of a cost graph on a cluster, reusable across runs.
///
/// Algorithm
/// ---------
/// State: per device a cursor into its order and a busy flag; per task a count of inputs not yet
/// present on its device; per channel the time it is next free. Three event kinds sit in one 4-ary
/// heap ordered by (time, sequence number):
///
///     TaskEnd(t)        TransferStart(x)        TransferEnd(x)
///
///     tryStart(d): d idle ∧ next task t in d's order ∧ missing[t] = 0
///                  → allocate t's outputs on d, push TaskEnd(t) at now + roofline(t, d)
///
///     TaskEnd(t) on d ──▶ release t's inputs (a value copy is freed when its last consumer on that
///         │              device is done; on the producer's device also when its transfers are done)
///         ├──▶ for each output v: local consumers get missing -= 1; each other device holding a
///         │    consumer gets one transfer of v (in consumer-list order), admitted on its path now:
///         │    start = max(now, free time of every channel), end = start + latency + bytes/bandwidth;
///         │    every channel on the path is busy until end. Push TransferStart(x) at start (memory is
///         │    allocated on the destination then) and TransferEnd(x) at end.
///         └──▶ tryStart(d)
///     TransferEnd(x) to e ──▶ consumers of v on e get missing -= 1; the producer's copy loses a
///                             reference; tryStart(e)
///
/// Every device is tried once at time 0. The run ends when the heap is empty: if some task never ran,
/// the orders deadlock (a device waits for a value whose producer is behind, directly or not, that
/// very device's current task) and the run throws `SimulationError.deadlock` naming where each
/// device is stuck. Work is O((tasks + edges × devices-per-value + transfers × path) × log events);
/// nothing is allocated per event, and the buffers are kept for the next run.
///
/// Memory model: weights (`residentBytes` of the tasks placed on a device) are held from time 0,
/// and so is a copy of each graph input on every device that runs a task reading it;
/// a value is allocated on its producer's device when the producer starts, and on a destination
/// device when a transfer into it starts; a copy is freed when the last consumer on that device
/// finishes (on the producer's device, also not before its outgoing transfers are done); graph
/// outputs are never freed on their producer's device. Peak memory is per device; the first moment a
/// device holds more than its capacity is reported as out of memory (the run still completes).
public struct Simulator: Sendable {
    public let graph: CostGraph
    public let costs: CostModel
    var state: SimulationState

    /// A simulator for `graph` on `cluster`. Throws when the cluster is invalid or the graph too large
    /// for the event encoding (2³⁰ tasks).
    public init(graph: CostGraph, cluster: Cluster) throws(SimulationError) {
        do { try cluster.validate() } catch { throw .invalidCluster(error) }
        guard graph.taskCount <= EventQueue.maxIndex, graph.edgeCount <= EventQueue.maxIndex else {
            throw .invalidSchedule("graphs are limited to \(EventQueue.maxIndex) tasks and edges")
        }
        self.graph = graph
        self.costs = CostModel(cluster)
        self.state = SimulationState(graph: graph, costs: costs)
    }

    public var cluster: Cluster { costs.cluster }

    /// Runs one simulated step of `schedule`. Same inputs, same report, bit for bit.
    public mutating func run(_ schedule: Schedule) throws(SimulationError) -> SimulationReport {
        if let problem = schedule.problem(taskCount: graph.taskCount, deviceCount: costs.deviceCount,
                                          scratch: &state.seenScratch) {
            throw .invalidSchedule(problem)
        }
        state.makeUnique(graph: graph, costs: costs)
        try state.execute(schedule, cluster: costs.cluster)
        return state.report(cluster: costs.cluster)
    }

    /// Start, end and device of every task, and every transfer, of the last successful run.
    public func timeline() -> Timeline { state.timeline() }

    /// Whether runs keep every change of a device's bytes in use (`memoryLog`); off by default.
    public var recordsMemory: Bool {
        get { state.recordsMemory }
        set { state.recordsMemory = newValue }
    }

    /// Each device's bytes in use over the last run, when `recordsMemory` was on (else empty).
    public var memoryLog: MemoryLog { state.memoryLog }
}

/// Why a simulation could not run.
public enum SimulationError: Error, Sendable, CustomStringConvertible {
    case invalidCluster(ClusterError)
    case invalidSchedule(String)
    /// The orders cannot complete: `completed` of `total` tasks ran; `stuck` says where each waiting
    /// device is blocked.
    case deadlock(stuck: [StuckDevice], completed: Int, total: Int)

    public var description: String {
        switch self {
        case .invalidCluster(let e): return "invalid cluster:\n\(e)"
        case .invalidSchedule(let m): return "invalid schedule: \(m)"
        case .deadlock(let stuck, let completed, let total):
            return "the device orders deadlock after \(completed) of \(total) tasks:\n"
                + stuck.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

/// A device that cannot go on: its next task waits for values whose producers have not run.
public struct StuckDevice: Hashable, Sendable, CustomStringConvertible {
    public var device: Int
    public var deviceName: String
    /// The task the device waits to start, and its position in the device's order.
    public var task: Int
    public var position: Int
    /// Each missing input: the value, its producer, the producer's device and order position.
    public var waitingFor: [(value: Int, producer: Int, producerDevice: Int, producerPosition: Int)]

    public static func == (a: StuckDevice, b: StuckDevice) -> Bool {
        a.device == b.device && a.task == b.task && a.position == b.position
            && a.waitingFor.elementsEqual(b.waitingFor) { $0 == $1 }
    }

    public func hash(into h: inout Hasher) {
        h.combine(device)
        h.combine(task)
    }

    public var description: String {
        let needs = waitingFor.map {
            "value \($0.value) of task \($0.producer) (#\($0.producerPosition) on device \($0.producerDevice))"
        }.joined(separator: ", ")
        return "device \(device) '\(deviceName)' waits at task \(task) (#\(position) in its order) for \(needs)"
    }
}

/// Every device's bytes in use over a run (`Simulator.recordsMemory`): the level at time 0
/// (weights, and a copy of each graph input a device reads) and each change after it, in the
/// order the simulator made it, so replaying the changes meets the report's peaks exactly.
public struct MemoryLog: Hashable, Sendable {
    public struct Change: Hashable, Sendable {
        public var time: Double
        public var device: Int
        /// Bytes allocated (positive) or freed (negative).
        public var bytes: Int
    }

    public var initial: [Int]
    public var changes: [Change]
}

/// When everything happened in one simulated step.
public struct Timeline: Hashable, Sendable {
    public struct Transfer: Hashable, Sendable {
        public var value: Int
        public var source: Int
        public var destination: Int
        public var start: Double
        public var end: Double
    }

    public var taskStart: [Double]
    public var taskEnd: [Double]
    public var placement: [Int]
    public var transfers: [Transfer]
}
