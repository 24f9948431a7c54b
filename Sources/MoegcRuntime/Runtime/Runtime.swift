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
public struct Runtime: Sendable {
    public let plan: ExecutionPlan
    /// OS threads; device d runs on thread d % threads.
    public let threads: Int
    let executor: NodeExecutor
    let weights: [Int: HostTensor]
    let program: Program
    let pool: WorkerPoolHandle
    let indexRanges: [InputCheck.IndexRange]

    public init(plan: ExecutionPlan, seed: UInt64, threads: Int? = nil, weights: [String: HostTensor] = [:]) throws(ExecutionError) {
        let problems = plan.problems()
        guard problems.isEmpty else { throw ExecutionError("invalid plan: " + problems.joined(separator: "; ")) }
        // The interpreter's checks (lowered, kernels exist, types), its weight materialisation and
        // packing: its executor is the runtime's, so both run the same kernels.
        try RunMemory.checkRuntime(plan)
        let reference = try ReferenceInterpreter(graph: plan.graph, seed: seed, weights: weights, checkMemory: false)
        self.plan = plan
        self.threads = max(1, min(threads ?? plan.deviceCount, plan.deviceCount))
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
        public var seconds: Double
        public var peakBytes: [Int]
        public var trace: [TraceEvent]
    }

    public func run(_ inputs: [HostTensor], trace: Bool = false) throws(ExecutionError) -> Step {
        try InputCheck.validate(inputs, for: plan.graph)
        try InputCheck.validateIndices(inputs, for: plan.graph, ranges: indexRanges)
        let shared = SharedRun(deviceCount: plan.deviceCount, threads: threads)
        let clock = ContinuousClock()
        let start = clock.now
        let states = (0..<threads).map { w in
            WorkerState(runtime: self, devices: Array(stride(from: w, to: plan.deviceCount, by: threads)),
                        inputs: inputs, shared: shared, start: start, trace: trace)
        }
        pool.pool.run { w in states[w].run() }
        let seconds = Double((clock.now - start) / .nanoseconds(1)) * 1e-9
        if let error = shared.error { throw error }
        var outputs: [HostTensor] = []
        for v in plan.graph.outputs {
            if let p = plan.graph.values[v.index].producer {
                let d = plan.device[p.index]
                outputs.append(states[d % threads].device(d).local[v.index]!)
            } else {
                outputs.append(inputs[plan.graph.values[v.index].resultIndex])
            }
        }
        var peaks = [Int](repeating: 0, count: plan.deviceCount)
        for s in states { for d in s.devices { peaks[d] = s.device(d).peakBytes } }
        return Step(outputs: outputs, seconds: seconds, peakBytes: peaks,
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

/// What the workers of one step share: one mailbox per worker thread, and the first error.
final class SharedRun: @unchecked Sendable {
    let mailboxes: [Mailbox]
    private let errorLock = Monitor()
    private var firstError: ExecutionError?
    let threads: Int

    init(deviceCount: Int, threads: Int) {
        self.threads = threads
        mailboxes = (0..<threads).map { _ in Mailbox() }
    }

    func post(_ t: HostTensor, value: Int, to device: Int) {
        let box = mailboxes[device % threads]
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
