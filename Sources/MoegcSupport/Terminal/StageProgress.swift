import Dispatch
import Foundation

/// A live progress line on standard error for long compiles and placements: the stage running,
/// how many of the run's stages are done, the time so far and an ETA (the time per finished stage
/// times the stages left — a rough guess, said so by "~"). It appears only once the run has taken
/// more than a second, only when standard error is a terminal, never with `--quiet`; it is
/// redrawn in place ten times a second by a timer and erased when the run ends, so what the
/// command prints afterwards starts on a clean line and logs never see it. Commands call `end`
/// before they print their result.
///
/// The one piece of shared state (the stage and its number) is guarded by a lock; the timer
/// thread only reads it.
public final class StageProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stage = ""
    private var done = -1
    private var drawn = false
    private let total: Int
    private let started = Date()
    private var timer: DispatchSourceTimer?

    /// A progress line over `stages` stages, drawn when `enabled` (by default: standard error is a terminal).
    public init(stages: Int, enabled: Bool = Output.stderrIsTerminal) {
        total = max(1, stages)
        guard enabled else { return }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        t.schedule(deadline: .now() + 1, repeating: 0.1)
        t.setEventHandler { [weak self] in self?.draw() }
        t.resume()
        timer = t
    }

    deinit { end() }

    /// The run has moved on to `name` (the previous stage is done).
    public func begin(_ name: String) {
        lock.lock()
        stage = name
        done += 1
        lock.unlock()
    }

    /// Stops the line and erases it.
    public func end() {
        timer?.cancel()
        timer = nil
        lock.lock()
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
        lock.unlock()
    }

    private func draw() {
        lock.lock()
        defer { lock.unlock() }
        guard timer != nil, done >= 0 else { return }
        let text = Self.line(stage: stage, done: done, total: total, elapsed: Date().timeIntervalSince(started))
        // The cursor goes back to the start of the line, so a message printed before `end` (an
        // error) writes over the line instead of after it.
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + "\r").utf8))
        drawn = true
    }

    /// The line for stage `done + 1` of `total` named `stage`, `elapsed` seconds in (tests read it).
    public static func line(stage: String, done: Int, total: Int, elapsed: Double) -> String {
        let eta = done > 0 && done < total ? "ETA ~" + ProgressBar.clock(elapsed / Double(done) * Double(total - done)) : "ETA —"
        return "moegc: \(stage) (stage \(min(done + 1, total))/\(total)), \(ProgressBar.clock(elapsed)) elapsed, \(eta)"
    }
}
