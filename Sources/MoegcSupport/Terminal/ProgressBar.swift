import Foundation

/// A one-line live progress display on standard error, redrawn in place (`\r`), for long runs such
/// as `moegc place --train-policy`. Silent when standard error is not a terminal, so logs and CI
/// output stay clean; at most ten redraws a second.
public struct ProgressBar {
    /// Steps in all; may be corrected as the run learns it (cloning can stop early).
    public var total: Int
    public let enabled: Bool
    private var lastDraw = Date.distantPast
    private let start = Date()
    private var drawn = false

    public init(total: Int, enabled: Bool = Output.stderrIsTerminal) {
        self.total = max(total, 1)
        self.enabled = enabled
    }

    /// The line for `done` of `total` steps with a status text (also used by tests).
    public static func line(done: Int, total: Int, elapsed: Double, status: String, width: Int = 24) -> String {
        let fraction = min(1, Double(done) / Double(max(total, 1)))
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let eta = done > 0 && done < total ? elapsed / Double(done) * Double(total - done) : 0
        return "[\(bar)] \(done)/\(total) \(status) ETA \(clock(eta))"
    }

    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// Redraws the line (rate-limited unless `force`).
    public mutating func update(done: Int, status: String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let text = Self.line(done: done, total: total, elapsed: now.timeIntervalSince(start), status: status)
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
        drawn = true
    }

    /// Ends the line so later output starts on a fresh one.
    public mutating func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        drawn = false
    }
}
