import CMPI
import Foundation
import MoegcRuntime

/// This process's MPI: `MPI_Init_thread` with `MPI_THREAD_MULTIPLE` (the workers send while the
/// receiver and the heartbeat probe), errors returned rather than fatal (`MPI_ERRORS_RETURN`), and
/// three communicators duplicated from the world so their messages never match each other's:
/// `values` (the plan's transfers, tagged by value index), `beats` (the heartbeat) and `control`
/// (barriers, reductions, the gather of outputs on rank 0).
///
/// Every MPI call of moegc goes through this file and `MPILink`; the calls that wait poll
/// (`MPI_Test`) rather than block, so the heartbeat's watchdog can stop a process whose peer died
/// in the middle of any of them.
public final class MPISession: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    let values: Int32
    let beats: Int32
    let control: Int32
    /// The largest tag (MPI_TAG_UB): a plan's value indices must fit below it.
    public let tagLimit: Int
    private(set) var heartbeat: Heartbeat?
    private var finished = false

    /// Initialises MPI. Call once per process; `rankTimeout` is how long a silent peer may stay
    /// silent before this process reports it and exits.
    public static func start(rankTimeout: Double) throws(ExecutionError) -> MPISession {
        var message = [CChar](repeating: 0, count: 1024)
        guard cmpi_load(&message, Int32(message.count)) == 0 else {
            let why = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ExecutionError("MPI is not available: the MPI backend loads MPICH's libmpich.so.12 (Debian's mpich package; `make deps` installs it): \(why)")
        }
        var provided: Int32 = 0
        let rc = cmpi_init_multiple(&provided)
        guard rc == cmpi_success() else { throw ExecutionError("MPI_Init_thread failed: \(MPISession.describe(rc))") }
        let world = cmpi_world()
        guard cmpi_errors_return(world) == cmpi_success() else { throw ExecutionError("MPI could not be set to return errors") }
        guard provided >= cmpi_thread_multiple() else {
            throw ExecutionError("this MPI provides thread level \(provided), and the MPI backend needs MPI_THREAD_MULTIPLE (\(cmpi_thread_multiple())); MPICH provides it")
        }
        var r: Int32 = 0, n: Int32 = 0
        _ = cmpi_comm_rank(world, &r)
        _ = cmpi_comm_size(world, &n)
        var comms: [Int32] = []
        for _ in 0..<3 {
            var c = world
            let rc = cmpi_comm_dup(world, &c)
            guard rc == cmpi_success() else { throw ExecutionError("MPI_Comm_dup failed: \(MPISession.describe(rc))") }
            _ = cmpi_errors_return(c)
            comms.append(c)
        }
        let session = MPISession(rank: Int(r), size: Int(n), values: comms[0], beats: comms[1], control: comms[2],
                                 tagLimit: Int(cmpi_tag_ub(world)))
        // Every rank is up before anyone's silence is timed.
        try session.barrier("start")
        session.heartbeat = Heartbeat(session: session, timeout: rankTimeout)
        return session
    }

    private init(rank: Int, size: Int, values: Int32, beats: Int32, control: Int32, tagLimit: Int) {
        self.rank = rank
        self.size = size
        self.values = values
        self.beats = beats
        self.control = control
        self.tagLimit = tagLimit
    }

    /// Names a rank in the watchdog's message ("rank 1 (device gpu1)").
    public func describeRanks(_ name: @escaping @Sendable (Int) -> String) { heartbeat?.describe = name }

    /// MPI's own words for an error code.
    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = cmpi_error_string(code, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func check(_ rc: Int32, _ what: @autoclosure () -> String) throws(ExecutionError) {
        guard rc == cmpi_success() else { throw ExecutionError("\(what()) failed: \(MPISession.describe(rc))") }
    }

    /// Polls a request to completion.
    func wait(_ request: inout Int32, _ what: @autoclosure () -> String) throws(ExecutionError) {
        var done: Int32 = 0, spins = 0
        while true {
            try check(cmpi_test(&request, &done), what())
            if done != 0 { return }
            spins += 1
            if spins > 100 { usleep(50) } else { sched_yield() }
        }
    }

    /// Every rank reaches this point.
    public func barrier(_ what: String) throws(ExecutionError) {
        var request = cmpi_request_null()
        try check(cmpi_ibarrier(control, &request), "MPI_Ibarrier (\(what))")
        try wait(&request, "the barrier (\(what))")
    }

    /// Element-wise maximum over the ranks, on every rank.
    public func maximum(_ values: [Int64]) throws(ExecutionError) -> [Int64] {
        var out = [Int64](repeating: 0, count: values.count)
        var request = cmpi_request_null()
        try values.withUnsafeBufferPointer { (i) throws(ExecutionError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(ExecutionError) in
                try check(cmpi_iallreduce_max_i64(i.baseAddress, o.baseAddress, Int32(values.count), control, &request), "MPI_Iallreduce")
                try wait(&request, "the reduction")
            }
        }
        return out
    }

    /// Element-wise maximum over the ranks, on every rank.
    public func maximum(_ values: [Double]) throws(ExecutionError) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        var request = cmpi_request_null()
        try values.withUnsafeBufferPointer { (i) throws(ExecutionError) in
            try out.withUnsafeMutableBufferPointer { (o) throws(ExecutionError) in
                try check(cmpi_iallreduce_max_f64(i.baseAddress, o.baseAddress, Int32(values.count), control, &request), "MPI_Iallreduce")
                try wait(&request, "the reduction")
            }
        }
        return out
    }

    /// Whether every rank got here without an error: each passes its own (nil: none). A launch
    /// that is wrong for one rank is then an error on all of them, never a hang of the others.
    public func allSucceeded(_ failed: Bool) throws(ExecutionError) -> Bool {
        try maximum([failed ? 1 : 0])[0] == 0
    }

    /// Stops the heartbeat and finalises MPI (after a barrier: no rank is still sending).
    public func finish() {
        guard !finished else { return }
        finished = true
        do {
            try barrier("finish")
            heartbeat?.stop()
            // Every rank has stopped beating: what is still in flight is drained, then MPI ends.
            try barrier("heartbeats stopped")
            heartbeat?.drain()
        } catch {
            MPISession.stop("error: rank \(rank): \(error.message)")
        }
        _ = cmpi_finalize()
    }

    /// Ends every rank at once after an error on this one (MPI_Abort: the launcher stops the rest).
    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        fflush(nil)
        _ = cmpi_abort(cmpi_world(), 1)
        exit(1)
    }

    /// Prints and exits this process at once (its peers' watchdogs see it go), without MPI: for a
    /// process whose peer died, where any MPI call may wait forever.
    static func stop(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
        fflush(nil)
        _exit(1)
    }
}
