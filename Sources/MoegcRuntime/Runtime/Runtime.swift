import MoegcIR
import MoegcKernels
import MoegcPlan
import MoegcSupport
import Synchronization

/// The multithreaded runtime: one worker per simulated device (or several devices per OS thread
/// with `threads`), each running its nodes in the plan's order with the CPU kernels. A value a
/// node on another device needs is copied into that device's memory and posted to its mailbox, as
/// a real device would receive it; a sender never blocks, so a plan that passes
/// `ExecutionPlan.problems()` cannot deadlock. Weights are materialised once per runtime, on the
/// device that holds them, and every matmul weight is packed once for the packed-weight kernel
/// (`PackedWeights`, the same table as the reference interpreter's, read by all workers). OpenBLAS
/// runs single-threaded inside every worker.
///
/// Algorithm (one worker thread):
///
///     loop while any of my devices has nodes left:
///         for each of my devices d:  next node n of d's order
///             if every operand of n is local to d, or has arrived in d's mailbox:
///                 run n (a fused elementwise chain runs as one pass); keep results d needs later;
///                 copy each result to every other device that uses it (post to its mailbox)
///         if nothing ran: sleep until a mailbox of mine receives a value
///
/// A runtime may serve only some of the plan's devices (`devices:`, the MPI backend's rank): the
/// others run in other processes, a value one of them needs goes to the step's `RemoteLink`, and
/// the values this process needs from them arrive through the `RemoteInbox` the link is handed.
/// Only the weights its own devices hold, or its own matmuls multiply by (packed), are made.
public struct Runtime: Sendable {
    public let plan: ExecutionPlan
    /// OS threads; the i-th of `devices` runs on thread i % threads.
    public let threads: Int
    /// The devices this runtime serves, ascending (every device of the plan unless given).
    public let devices: [Int]
    /// For each device of the plan, the thread that serves it here, or -1 when another process does.
    let threadOf: [Int]
    let executor: NodeExecutor
    let weights: [Int: HostTensor]
    let program: Program
    let pool: WorkerPoolHandle
    let indexRanges: [InputCheck.IndexRange]

    public init(plan: ExecutionPlan, seed: UInt64, threads: Int? = nil, weights: [String: HostTensor] = [:],
                devices: [Int]? = nil) throws(ExecutionError) {
        let problems = plan.problems()
        guard problems.isEmpty else { throw ExecutionError("invalid plan: " + problems.joined(separator: "; ")) }
        let local = devices.map { Array(Set($0)).sorted() } ?? Array(0..<plan.deviceCount)
        guard let first = local.first, first >= 0, local.last! < plan.deviceCount else {
            throw ExecutionError("a runtime must serve some of the plan's devices 0..<\(plan.deviceCount), got \(devices ?? [])")
        }
        // The interpreter's checks (lowered, kernels exist, types), its weight materialisation and
        // packing: its executor is the runtime's, so both run the same kernels. Memory is checked
        // for what this process holds.
        let materialising = local.count == plan.deviceCount ? nil : Runtime.weightsNeeded(plan, on: local)
        try RunMemory.checkRuntime(plan, devices: local, weights: materialising)
        let reference = try ReferenceInterpreter(graph: plan.graph, seed: seed, weights: weights, checkMemory: false,
                                                 materialising: materialising)
        self.plan = plan
        self.devices = local
        self.threads = max(1, min(threads ?? local.count, local.count))
        var threadOf = [Int](repeating: -1, count: plan.deviceCount)
        for (i, d) in local.enumerated() { threadOf[d] = i % self.threads }
        self.threadOf = threadOf
        self.executor = reference.executor
        self.weights = reference.weights
        self.program = Program(plan)
        self.pool = WorkerPoolHandle(count: self.threads)
        self.indexRanges = reference.indexRanges
    }

    /// One step: outputs, wall time, each device's measured peak of live bytes, and (when asked) the
    /// timeline of nodes and transfers.
    public struct Step: Sendable {
        public var outputs: [HostTensor]
        /// Each output when this runtime made it (or it is a graph input), nil when another process did.
        public var partialOutputs: [HostTensor?]
        public var seconds: Double
        public var peakBytes: [Int]
        public var trace: [TraceEvent]
    }

    /// The weights a runtime serving `devices` makes: those its devices hold, and those its
    /// matmuls multiply by (each is packed where it is used, so the kernel is the same as in one
    /// process), by `param` node index.
    static func weightsNeeded(_ plan: ExecutionPlan, on devices: [Int]) -> Set<Int> {
        let g = plan.graph, local = Set(devices)
        var needed = Set<Int>()
        for (i, node) in g.nodes.enumerated() where local.contains(plan.device[i]) {
            if node.op.schema.isWeight { needed.insert(i) }
            if node.op == .matmul, let p = g.values[node.operands[1].index].producer, g.nodes[p.index].op.schema.isWeight {
                needed.insert(p.index)
            }
        }
        return needed
    }

    /// One step. A runtime serving only some devices needs `remote`: it sends the values other
    /// processes need and delivers theirs; `Step.outputs` is then empty and `Step.partialOutputs`
    /// holds the outputs this process made (and the graph inputs that are outputs).
    public func run(_ inputs: [HostTensor], trace: Bool = false, remote: (any RemoteLink)? = nil) throws(ExecutionError) -> Step {
        try InputCheck.validate(inputs, for: plan.graph)
        try InputCheck.validateIndices(inputs, for: plan.graph, ranges: indexRanges)
        guard remote != nil || devices.count == plan.deviceCount else {
            throw ExecutionError("a runtime serving devices \(devices) of \(plan.deviceCount) needs a link to the other processes")
        }
        let shared = SharedRun(threadOf: threadOf, threads: threads, remote: remote)
        let clock = ContinuousClock()
        let start = clock.now
        let states = (0..<threads).map { w in
            WorkerState(runtime: self, devices: devices.filter { threadOf[$0] == w }, index: w,
                        inputs: inputs, shared: shared, start: start, trace: trace)
        }
        remote?.begin(RemoteInbox(shared: shared, runtime: self))
        pool.pool.run { w in states[w].run() }
        let ended: ExecutionError?
        do throws(ExecutionError) { try remote?.end(); ended = nil } catch { ended = error }
        let seconds = Double((clock.now - start) / .nanoseconds(1)) * 1e-9
        if let error = shared.error ?? ended { throw error }
        var outputs: [HostTensor?] = []
        for v in plan.graph.outputs {
            if let p = plan.graph.values[v.index].producer {
                let d = plan.device[p.index]
                outputs.append(threadOf[d] < 0 ? nil : states[threadOf[d]].device(d).local[v.index]!)
            } else {
                outputs.append(inputs[plan.graph.values[v.index].resultIndex])
            }
        }
        var peaks = [Int](repeating: 0, count: plan.deviceCount)
        for s in states { for d in s.devices { peaks[d] = s.device(d).peakBytes } }
        let complete = outputs.allSatisfy { $0 != nil } ? outputs.map { $0! } : []
        return Step(outputs: complete, partialOutputs: outputs, seconds: seconds, peakBytes: peaks,
                    trace: states.flatMap(\.events).sorted { ($0.start, $0.device) < ($1.start, $1.device) })
    }
}

/// One timed event of a step: a node on a device, or a copy to another device.
public struct TraceEvent: Sendable, Hashable {
    public var device: Int
    public var name: String
    public var start: Double
    public var end: Double
    /// For a transfer, the destination device (the event runs on `device`, the sender).
    public var destination: Int?

    public init(device: Int, name: String, start: Double, end: Double, destination: Int? = nil) {
        self.device = device
        self.name = name
        self.start = start
        self.end = end
        self.destination = destination
    }
}

/// The values posted to the devices one worker thread serves, and a version bumped on every post
/// so a sleeping worker knows there is news. Guarded by its own monitor.
final class Mailbox: @unchecked Sendable {
    let monitor = Monitor()
    /// Device → value index → tensor.
    var values: [Int: [Int: HostTensor]] = [:]
    var version = 0
    /// `version`, readable without the lock: a worker with nothing to run spins on it briefly before
    /// sleeping, so a hand-off that arrives within microseconds costs no wake-up.
    let posted = Atomic<Int>(0)
}

/// What the workers of one step share: one mailbox per worker thread, the link to other
/// processes (if any), and the first error.
final class SharedRun: @unchecked Sendable {
    let mailboxes: [Mailbox]
    private let errorLock = Monitor()
    private var firstError: ExecutionError?
    let threads: Int
    /// Device → the thread serving it here, or -1 (another process serves it).
    let threadOf: [Int]
    let remote: (any RemoteLink)?

    init(threadOf: [Int], threads: Int, remote: (any RemoteLink)?) {
        self.threads = threads
        self.threadOf = threadOf
        self.remote = remote
        mailboxes = (0..<threads).map { _ in Mailbox() }
    }

    func post(_ t: HostTensor, value: Int, to device: Int) {
        let box = mailboxes[threadOf[device]]
        box.monitor.locked {
            box.values[device, default: [:]][value] = t
            box.version += 1
            box.posted.store(box.version, ordering: .releasing)
            box.monitor.broadcast()
        }
    }

    var error: ExecutionError? { errorLock.locked { firstError } }

    func fail(_ e: ExecutionError) {
        errorLock.locked { if firstError == nil { firstError = e } }
        for box in mailboxes {
            box.monitor.locked {
                box.version += 1
                box.posted.store(box.version, ordering: .releasing)
                box.monitor.broadcast()
            }
        }
    }

    var cancelled: Bool { errorLock.locked { firstError != nil } }
}
