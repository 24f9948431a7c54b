import MoegcIR
import MoegcPlan

/// The other processes of a distributed step (the MPI backend, `MoegcDistributed`): a runtime that
/// serves only some of a plan's devices hands every value a device elsewhere needs to its link, and
/// the link delivers the values this process's devices need through the step's `RemoteInbox`.
///
/// Per step: `begin` before any worker runs (from then on the link may deliver), `send` from the
/// worker threads as each value is produced (it must not block: the worker goes on with its order),
/// `end` once every local node has run (the link finishes its sends; a value delivered after it
/// belongs to the next step).
public protocol RemoteLink: AnyObject, Sendable {
    func begin(_ inbox: RemoteInbox)
    /// `t` is value `value`'s result; `devices` are the devices of other processes that read it.
    func send(_ t: HostTensor, value: Int, to devices: [Int])
    func end() throws(ExecutionError)
}

/// Where a link delivers, during one step, the values other processes produced for this one.
public final class RemoteInbox: Sendable {
    private let shared: SharedRun
    private let graph: Graph
    /// For each value, the devices served here that read it from another process.
    private let readers: [[Int]]

    init(shared: SharedRun, runtime: Runtime) {
        self.shared = shared
        self.graph = runtime.plan.graph
        let plan = runtime.plan
        readers = runtime.program.remoteDevices.enumerated().map { v, devices in
            guard let p = plan.graph.values[v].producer, runtime.threadOf[plan.device[p.index]] < 0 else { return [] }
            return devices.filter { runtime.threadOf[$0] >= 0 }
        }
    }

    /// Whether value `value` is one this process receives from another.
    public func expects(_ value: Int) -> Bool { value >= 0 && value < readers.count && !readers[value].isEmpty }

    /// Hands a received value to each device here that reads it, after checking it fits the value's
    /// type (a message that does not is an error, not a tensor the kernels would misread).
    public func deliver(_ t: HostTensor, value: Int) throws(ExecutionError) {
        guard expects(value) else { throw ExecutionError("received value #\(value), which no device of this process reads from another") }
        let v = graph.values[value], type = v.type!
        let fits = t.dtype == type.dtype && t.rank == type.rank
            && zip(t.shape, type.dims).allSatisfy { $1.isDynamic ? $0 <= $1.size : $0 == $1.size }
        guard fits else { throw ExecutionError("received %\(v.name) as \(t.type), typed \(type)") }
        let devices = readers[value]
        for (i, d) in devices.enumerated() { shared.post(i == devices.count - 1 ? t : t.copied(), value: value, to: d) }
    }

    /// Stops the step's workers; the step throws `error`.
    public func fail(_ error: ExecutionError) { shared.fail(error) }
}
