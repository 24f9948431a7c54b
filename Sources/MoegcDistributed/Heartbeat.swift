import CMPI
import Foundation
import MoegcRuntime

/// The watchdog: a thread that sends every other rank a one-byte beat every `period` seconds (on
/// the `beats` communicator) and drains theirs. A rank not heard from for `timeout` seconds died,
/// was killed or hangs; this process then says which and exits (status 1), whatever its other
/// threads are waiting for. The beats run beside the work, so a long kernel is no silence.
///
/// With MPICH's default launch (`mpiexec` without `-disable-auto-cleanup`) the launcher itself
/// kills the other ranks when one dies, and prints the dead one's pid; the watchdog is what stops
/// them when it does not (`-disable-auto-cleanup`, other launchers), or when a rank hangs.
final class Heartbeat: @unchecked Sendable {
    let session: MPISession
    let timeout: Double
    static let period = 0.1
    private let lock = NSLock()
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)
    private var pending: [Int32] = []
    private var describeRank: @Sendable (Int) -> String = { "rank \($0)" }
    private var byte: UnsafeMutablePointer<UInt8>

    var describe: @Sendable (Int) -> String {
        get { lock.withLock { describeRank } }
        set { lock.withLock { describeRank = newValue } }
    }

    init(session: MPISession, timeout: Double) {
        self.session = session
        self.timeout = timeout
        byte = .allocate(capacity: 1)
        byte.initialize(to: 1)
        guard session.size > 1 else { done.signal(); return }
        let thread = Thread { [self] in self.loop() }
        thread.name = "moegc-heartbeat"
        thread.start()
    }

    deinit { byte.deallocate() }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    private func loop() {
        let peers = (0..<session.size).filter { $0 != session.rank }
        var heard = [Double](repeating: now(), count: session.size)
        var lastBeat = 0.0
        var scratch = [UInt8](repeating: 0, count: 16)
        while !lock.withLock({ stopping }) {
            let t = now()
            if t - lastBeat >= Heartbeat.period {
                lastBeat = t
                for p in peers {
                    var request = cmpi_request_null()
                    let rc = cmpi_isend_bytes(byte, 1, Int32(p), 0, session.beats, &request)
                    if rc != cmpi_success() { fail(p, "sending it a heartbeat failed: \(MPISession.describe(rc))") }
                    pending.append(request)
                }
                pending = pending.filter { r in
                    var r = r, flag: Int32 = 0
                    return cmpi_test(&r, &flag) == cmpi_success() && flag == 0
                }
            }
            while true {
                var flag: Int32 = 0, message = Int32(0), from: Int32 = 0, tag: Int32 = 0, bytes: Int32 = 0
                let rc = cmpi_improbe(session.beats, -1, &flag, &message, &from, &tag, &bytes)
                if rc != cmpi_success() { MPISession.stop("error: rank \(session.rank): probing for heartbeats failed: \(MPISession.describe(rc))") }
                guard flag != 0 else { break }
                if Int(bytes) > scratch.count { scratch = [UInt8](repeating: 0, count: Int(bytes)) }
                _ = cmpi_mrecv_bytes(&scratch, bytes, &message)
                heard[Int(from)] = now()
            }
            let t1 = now()
            for p in peers where t1 - heard[p] > timeout {
                fail(p, "nothing heard from it for \(String(format: "%.1f", t1 - heard[p])) s (it died, was killed, or hangs)")
            }
            usleep(2_000)
        }
        done.signal()
    }

    private func fail(_ peer: Int, _ why: String) -> Never {
        MPISession.stop("error: \(describe(peer)) stopped answering: \(why); rank \(session.rank) exits")
    }

    /// Stops beating (the watchdog with it).
    func stop() {
        lock.withLock { stopping = true }
        done.wait()
    }

    /// After every rank stopped: receives the beats still in flight, completes this rank's.
    func drain() {
        guard session.size > 1 else { return }
        var scratch = [UInt8](repeating: 0, count: 16)
        var quiet = 0
        while quiet < 5 {
            var flag: Int32 = 0, message = Int32(0), from: Int32 = 0, tag: Int32 = 0, bytes: Int32 = 0
            guard cmpi_improbe(session.beats, -1, &flag, &message, &from, &tag, &bytes) == cmpi_success() else { return }
            if flag != 0 {
                if Int(bytes) > scratch.count { scratch = [UInt8](repeating: 0, count: Int(bytes)) }
                _ = cmpi_mrecv_bytes(&scratch, bytes, &message)
                quiet = 0
            } else {
                quiet += 1
                usleep(1_000)
            }
        }
        for r in pending {
            var r = r, flag: Int32 = 0
            for _ in 0..<1000 where cmpi_test(&r, &flag) == cmpi_success() && flag == 0 { usleep(100) }
        }
        pending = []
    }
}
