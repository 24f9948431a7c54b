#if canImport(Glibc)
import CDispatch
import Glibc
#endif

/// A mutex with a condition variable: the one synchronisation primitive the runtime's workers
/// share. The pthread objects live in heap memory this class owns and never moves.
final class Monitor: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Runs `body` holding the lock.
    @inline(__always)
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a signal; call with the lock held (inside `locked`).
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes every waiter.
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Runs `body` on a new OS thread with a large stack and joins it later.
final class WorkerThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
    }

    func start() {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 16 << 20)
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, &attributes, { raw in
            let me = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, box)
        pthread_attr_destroy(&attributes)
        precondition(rc == 0, "could not start a worker thread (error \(rc))")
    }

    /// Waits for the thread to end; a thread asked to join itself detaches instead.
    func join() {
        if pthread_equal(pthread_self(), thread) != 0 { pthread_detach(thread) } else { pthread_join(thread, nil) }
    }
}

/// OS threads kept alive across steps: each step hands every thread a job and waits until all are
/// done, so a step pays a wake-up, not a thread creation. The threads stop when the last owner of
/// the pool's handle goes away.
final class WorkerPool: @unchecked Sendable {
    private let monitor = Monitor()
    private var generation = 0
    private var job: (@Sendable (Int) -> Void)?
    private var pending = 0
    private var stopping = false
    private var threads: [WorkerThread] = []
    let count: Int

    init(count: Int) {
        self.count = count
        for i in 0..<count {
            let t = WorkerThread { [self] in self.serve(i) }
            threads.append(t)
            t.start()
        }
    }

    private func serve(_ index: Int) {
        var seen = 0
        while true {
            var work: (@Sendable (Int) -> Void)? = monitor.locked {
                while generation == seen && !stopping { monitor.wait() }
                seen = generation
                return stopping ? nil : job
            }
            guard work != nil else { return }
            work?(index)
            // Drop the job (and what it holds) before reporting done, so the caller, not this
            // thread, releases the last reference to the runtime.
            work = nil
            monitor.locked {
                pending -= 1
                if pending == 0 { monitor.broadcast() }
            }
        }
    }

    /// Runs `job(i)` on thread i for every thread, and returns when all have finished.
    func run(_ job: @escaping @Sendable (Int) -> Void) {
        monitor.locked {
            self.job = job
            pending = count
            generation += 1
            monitor.broadcast()
        }
        monitor.locked {
            while pending > 0 { monitor.wait() }
            self.job = nil
        }
    }

    func stop() {
        monitor.locked {
            stopping = true
            monitor.broadcast()
        }
        for t in threads { t.join() }
    }
}

/// Owns a pool: when the last reference goes, the pool's threads stop.
final class WorkerPoolHandle: @unchecked Sendable {
    let pool: WorkerPool
    init(count: Int) { pool = WorkerPool(count: count) }
    deinit { pool.stop() }
}
