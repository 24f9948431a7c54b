import CMPI
import Foundation
import MoegcRuntime

/// The runtime's `RemoteLink` over MPI. A value another rank's device reads is one tagged message
/// per reading rank (tag: the value's index, on the `values` communicator), posted with
/// `MPI_Isend` from the worker thread that produced it, the moment it exists. During a step a
/// receiver thread probes for any message (`MPI_Improbe`), receives it (`MPI_Mrecv`) and hands it
/// to the devices here that read it; a value is produced once per step and MPI keeps one sender's
/// messages of one tag in order, so a tag needs no step number (steps are separated by a barrier).
final class MPILink: RemoteLink, @unchecked Sendable {
    let session: MPISession
    /// Device → the rank that runs it.
    let rankOf: [Int]
    /// Value → the rank whose device produces it (-1: a graph input).
    let producerRank: [Int]
    let valueNames: [String]
    private let lock = NSLock()
    private var sends: [(request: Int32, buffer: TensorWire.Buffer, to: Int, value: Int)] = []
    private var receiving = false
    private var inbox: RemoteInbox?
    private let receiverDone = DispatchSemaphore(value: 0)
    private var receiveError: ExecutionError?

    init(session: MPISession, rankOf: [Int], producerRank: [Int], valueNames: [String]) {
        self.session = session
        self.rankOf = rankOf
        self.producerRank = producerRank
        self.valueNames = valueNames
    }

    func begin(_ inbox: RemoteInbox) {
        lock.withLock {
            self.inbox = inbox
            receiving = true
            receiveError = nil
        }
        let thread = Thread { [self] in self.receive(inbox) }
        thread.name = "moegc-mpi-receive"
        thread.start()
    }

    func send(_ t: HostTensor, value: Int, to devices: [Int]) {
        let buffer = TensorWire.encode(t)
        guard buffer.count <= Int(Int32.max) else {
            session.abort("error: rank \(session.rank): %\(valueNames[value]) is \(buffer.count) bytes, more than one MPI message of bytes holds (2 GiB)")
        }
        for rank in Set(devices.map { rankOf[$0] }).sorted() {
            var request = cmpi_request_null()
            let rc = cmpi_isend_bytes(buffer.base, Int32(buffer.count), Int32(rank), Int32(value), session.values, &request)
            guard rc == cmpi_success() else {
                MPISession.stop("error: rank \(session.rank): sending %\(valueNames[value]) to rank \(rank) failed: \(MPISession.describe(rc))")
            }
            lock.withLock { sends.append((request, buffer, rank, value)) }
        }
    }

    /// Completes the sends that are done (MPI_Test also drives MPI's progress); the rest stay.
    private func completeSends() {
        let current = lock.withLock { sends }
        var finished = Set<Int>()
        for (i, s) in current.enumerated() {
            var request = s.request, flag: Int32 = 0
            let rc = cmpi_test(&request, &flag)
            guard rc == cmpi_success() else {
                MPISession.stop("error: rank \(session.rank): sending %\(valueNames[s.value]) to rank \(s.to) failed: \(MPISession.describe(rc))")
            }
            if flag != 0 { finished.insert(i) }
        }
        guard !finished.isEmpty else { return }
        lock.withLock {
            // Sends appended meanwhile sit after the ones tested.
            sends = sends.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
        }
    }

    private func receive(_ inbox: RemoteInbox) {
        var idle = 0
        while lock.withLock({ receiving }) {
            var flag: Int32 = 0, message = Int32(0), from: Int32 = 0, tag: Int32 = 0, bytes: Int32 = 0
            let rc = cmpi_improbe(session.values, -1, &flag, &message, &from, &tag, &bytes)
            guard rc == cmpi_success() else {
                MPISession.stop("error: rank \(session.rank): probing for values failed: \(MPISession.describe(rc))")
            }
            guard flag != 0 else {
                idle += 1
                if idle % 64 == 0 { completeSends() }
                if idle > 200 { usleep(20) } else { sched_yield() }
                continue
            }
            idle = 0
            let buffer = TensorWire.Buffer(count: Int(bytes))
            let got = cmpi_mrecv_bytes(buffer.base, bytes, &message)
            guard got == cmpi_success() else {
                MPISession.stop("error: rank \(session.rank): receiving value #\(tag) from rank \(from) failed: \(MPISession.describe(got))")
            }
            do throws(ExecutionError) {
                let v = Int(tag)
                guard v >= 0, v < producerRank.count, producerRank[v] == Int(from) else {
                    throw ExecutionError("rank \(from) sent value #\(tag), which it does not produce")
                }
                let t = try TensorWire.decode(UnsafeRawBufferPointer(start: buffer.base, count: buffer.count))
                try inbox.deliver(t, value: v)
            } catch {
                let e = ExecutionError("rank \(session.rank): a message from rank \(from): \(error.message)")
                lock.withLock { receiveError = e }
                inbox.fail(e)
            }
        }
        receiverDone.signal()
    }

    func end() throws(ExecutionError) {
        lock.withLock { receiving = false }
        receiverDone.wait()
        lock.withLock { inbox = nil }
        var spins = 0
        while !lock.withLock({ sends.isEmpty }) {
            completeSends()
            spins += 1
            if spins > 100 { usleep(50) } else { sched_yield() }
        }
        if let e = lock.withLock({ receiveError }) { throw e }
    }
}
