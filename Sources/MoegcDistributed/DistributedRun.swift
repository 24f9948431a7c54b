import CMPI
import Foundation
import MoegcIR
import MoegcPlan
import MoegcRuntime

/// A plan run across MPI ranks: rank r serves devices r·K ..< (r+1)·K (K = `devicesPerRank`, as
/// threads of one `Runtime`), makes only the weights those devices hold or multiply by, and
/// exchanges the plan's transfers with the other ranks through an `MPILink`. Each step starts
/// with a barrier; its time is the slowest rank's. After the last step the outputs are gathered
/// on rank 0 (on the `control` communicator, tag: the output's position) with every device's
/// peak of live bytes.
public struct DistributedRun: Sendable {
    public let session: MPISession
    public let devicesPerRank: Int
    public let runtime: Runtime
    let link: MPILink

    /// What rank 0 reports.
    public struct Report: Sendable {
        public var outputs: [HostTensor]
        /// Each step's time (the slowest rank's).
        public var seconds: [Double]
        public var peakBytes: [Int]
        /// The last step's timeline when traced: every rank's events, each rank's clock starting
        /// as it leaves the step's barrier (so the clocks agree to the barrier's skew, microseconds).
        public var trace: [TraceEvent]
    }

    /// Why `ranks` ranks of `devicesPerRank` devices cannot run `plan` (nil: they can).
    public static func launchProblem(_ plan: ExecutionPlan, ranks: Int, devicesPerRank: Int, tagLimit: Int) -> String? {
        let d = plan.deviceCount
        if d % devicesPerRank != 0 {
            return "--devices-per-rank \(devicesPerRank) does not divide the plan's \(d) devices"
        }
        if ranks == 1, d > devicesPerRank, let other = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"], other != "1" {
            return "this moegc runs on MPICH and was launched by Open MPI's mpiexec, so each of its \(other) processes is a rank of its own: launch it with MPICH's (`mpiexec.mpich -n \(d / devicesPerRank)`)"
        }
        if ranks * devicesPerRank != d {
            let per = devicesPerRank == 1 ? "one device per rank" : "\(devicesPerRank) devices per rank"
            return "the plan runs on \(d) devices, and mpiexec started \(ranks) rank\(ranks == 1 ? "" : "s") of \(per) (\(ranks * devicesPerRank) device\(ranks * devicesPerRank == 1 ? "" : "s")): launch it with `mpiexec -n \(d / devicesPerRank)`"
        }
        if plan.graph.values.count - 1 > tagLimit {
            return "the plan's graph has \(plan.graph.values.count) values, and this MPI's tags go up to \(tagLimit) (MPI_TAG_UB): too many to tag each transfer by its value"
        }
        return nil
    }

    /// This rank's part of the plan (the launch must pass `launchProblem`).
    public init(session: MPISession, plan: ExecutionPlan, seed: UInt64, devicesPerRank: Int, threads: Int? = nil,
                weights: [String: HostTensor] = [:]) throws(ExecutionError) {
        if let problem = DistributedRun.launchProblem(plan, ranks: session.size, devicesPerRank: devicesPerRank, tagLimit: session.tagLimit) {
            throw ExecutionError(problem)
        }
        let mine = Array((session.rank * devicesPerRank)..<((session.rank + 1) * devicesPerRank))
        self.session = session
        self.devicesPerRank = devicesPerRank
        runtime = try Runtime(plan: plan, seed: seed, threads: threads, weights: weights, devices: mine)
        let g = plan.graph
        let producerRank = g.values.map { v in v.producer.map { plan.device[$0.index] / devicesPerRank } ?? -1 }
        link = MPILink(session: session, rankOf: (0..<plan.deviceCount).map { $0 / devicesPerRank },
                       producerRank: producerRank, valueNames: g.values.map(\.name))
    }

    /// The devices rank r runs.
    public func devices(ofRank r: Int) -> Range<Int> { (r * devicesPerRank)..<((r + 1) * devicesPerRank) }

    /// Runs `steps` steps on every rank; rank 0 gets the report, the others nil. An error in a
    /// step (a kernel's, a malformed message) ends every rank (`MPISession.abort`).
    public func run(_ inputs: [HostTensor], steps: Int, trace: Bool = false) throws(ExecutionError) -> Report? {
        var seconds: [Double] = []
        var last: Runtime.Step?
        for s in 0..<steps {
            try session.barrier("step")
            let step: Runtime.Step
            do throws(ExecutionError) { step = try runtime.run(inputs, trace: trace && s == steps - 1, remote: link) } catch {
                session.abort("error: rank \(session.rank): \(error.message)")
            }
            seconds.append(step.seconds)
            last = step
        }
        let slowest = try session.maximum(seconds)
        let peaks = try session.maximum(last!.peakBytes.map(Int64.init)).map(Int.init)
        let outputs = try gather(last!.partialOutputs)
        let events = trace ? try gatherTrace(last!.trace) : []
        return session.rank == 0 ? Report(outputs: outputs!, seconds: slowest, peakBytes: peaks, trace: events) : nil
    }

    /// Every rank's trace events on rank 0 (one message from each other rank, after the outputs;
    /// tag: the number of outputs, past every output's tag).
    private func gatherTrace(_ mine: [TraceEvent]) throws(ExecutionError) -> [TraceEvent] {
        let tag = Int32(runtime.plan.graph.outputs.count)
        // Rank 0 has every output before any trace is sent (both come on `control`, probed by any tag).
        try session.barrier("outputs gathered")
        if session.rank != 0 {
            let buffer = TraceWire.encode(mine)
            guard buffer.count <= Int(Int32.max) else { throw ExecutionError("rank \(session.rank)'s trace is more than 2 GiB") }
            var request = cmpi_request_null()
            try session.check(cmpi_isend_bytes(buffer.base, Int32(buffer.count), 0, tag, session.control, &request), "sending the trace to rank 0")
            try session.wait(&request, "sending the trace to rank 0")
            return []
        }
        var events = mine, heard = Set<Int>(), spins = 0
        while heard.count < session.size - 1 {
            var flag: Int32 = 0, message = Int32(0), from: Int32 = 0, got: Int32 = 0, bytes: Int32 = 0
            try session.check(cmpi_improbe(session.control, -1, &flag, &message, &from, &got, &bytes), "probing for traces")
            guard flag != 0 else {
                spins += 1
                if spins > 100 { usleep(50) } else { sched_yield() }
                continue
            }
            let buffer = TensorWire.Buffer(count: Int(bytes))
            try session.check(cmpi_mrecv_bytes(buffer.base, bytes, &message), "receiving a trace from rank \(from)")
            guard got == tag, heard.insert(Int(from)).inserted else { throw ExecutionError("rank \(from) sent an unexpected message (tag \(got)) for the trace") }
            events += try TraceWire.decode(UnsafeRawBufferPointer(start: buffer.base, count: buffer.count), deviceCount: runtime.plan.deviceCount)
        }
        return events.sorted { ($0.start, $0.device) < ($1.start, $1.device) }
    }

    /// The outputs on rank 0 (nil elsewhere): each rank sends those its devices made.
    private func gather(_ mine: [HostTensor?]) throws(ExecutionError) -> [HostTensor]? {
        let plan = runtime.plan, g = plan.graph
        func owner(_ i: Int) -> Int {
            g.values[g.outputs[i].index].producer.map { plan.device[$0.index] / devicesPerRank } ?? 0
        }
        if session.rank != 0 {
            var pending: [(Int32, TensorWire.Buffer)] = []
            for i in g.outputs.indices where owner(i) == session.rank {
                let buffer = TensorWire.encode(mine[i]!)
                guard buffer.count <= Int(Int32.max) else { throw ExecutionError("output %\(g.values[g.outputs[i].index].name) is more than 2 GiB") }
                var request = cmpi_request_null()
                try session.check(cmpi_isend_bytes(buffer.base, Int32(buffer.count), 0, Int32(i), session.control, &request), "sending an output to rank 0")
                pending.append((request, buffer))
            }
            for (request, _) in pending {
                var r = request
                try session.wait(&r, "sending an output to rank 0")
            }
            return nil
        }
        var outputs = mine
        var spins = 0
        while outputs.contains(where: { $0 == nil }) {
            var flag: Int32 = 0, message = Int32(0), from: Int32 = 0, tag: Int32 = 0, bytes: Int32 = 0
            try session.check(cmpi_improbe(session.control, -1, &flag, &message, &from, &tag, &bytes), "probing for outputs")
            guard flag != 0 else {
                spins += 1
                if spins > 100 { usleep(50) } else { sched_yield() }
                continue
            }
            let buffer = TensorWire.Buffer(count: Int(bytes))
            try session.check(cmpi_mrecv_bytes(buffer.base, bytes, &message), "receiving an output from rank \(from)")
            let i = Int(tag)
            guard i >= 0, i < outputs.count, outputs[i] == nil, owner(i) == Int(from) else {
                throw ExecutionError("rank \(from) sent output #\(tag), which it does not own")
            }
            outputs[i] = try TensorWire.decode(UnsafeRawBufferPointer(start: buffer.base, count: buffer.count))
        }
        return outputs.map { $0! }
    }
}
