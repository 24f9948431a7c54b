import Foundation
import MoegcSupport

/// A measured step as `moegc run --trace` writes it (Chrome trace JSON, `RuntimeTrace`): tracks
/// named after the devices hold the kernels each ran, tracks `NAME:out` the sends from it.
/// Times are read in microseconds and kept in seconds, from the earliest event.
public struct MeasuredTrace: Sendable, Equatable {
    public struct Track: Sendable, Equatable {
        public var name: String
        public var intervals: [TimelineChart.Interval]
    }

    public var tracks: [Track]
    /// From the first event's start to the last one's end, seconds.
    public var span: Double

    /// Reads the trace at `path`; a file that is not such a trace is an error naming the file and
    /// what is wrong (never a crash).
    public static func read(_ path: String) throws(ReportError) -> MeasuredTrace {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw ReportError("\(error.description)") }
        return try parse(bytes, path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(ReportError) -> MeasuredTrace {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(bytes)) } catch {
            throw ReportError("\(path): error: not a JSON trace (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any], let events = top["traceEvents"] as? [Any] else {
            throw ReportError("\(path): error: not a Chrome trace: no \"traceEvents\" array (write one with `moegc run PLAN --trace FILE`)")
        }
        var names: [Int: String] = [:]
        var intervals: [Int: [TimelineChart.Interval]] = [:]
        var first = Double.infinity, last = -Double.infinity
        for (i, any) in events.enumerated() {
            guard let e = any as? [String: Any], let ph = e["ph"] as? String else {
                throw ReportError("\(path): error: traceEvents[\(i)] is not an event object with \"ph\"")
            }
            guard let pid = (e["pid"] as? NSNumber)?.intValue else {
                throw ReportError("\(path): error: traceEvents[\(i)] has no numeric \"pid\"")
            }
            if ph == "M" {
                if e["name"] as? String == "process_name", let args = e["args"] as? [String: Any], let n = args["name"] as? String {
                    names[pid] = n
                }
                continue
            }
            guard ph == "X" else { continue }
            guard let ts = (e["ts"] as? NSNumber)?.doubleValue, let dur = (e["dur"] as? NSNumber)?.doubleValue,
                  ts.isFinite, dur.isFinite, dur >= 0 else {
                throw ReportError("\(path): error: traceEvents[\(i)] needs finite \"ts\" and \"dur\" ≥ 0 (microseconds)")
            }
            let start = ts * 1e-6, end = (ts + dur) * 1e-6
            first = min(first, start)
            last = max(last, end)
            intervals[pid, default: []].append(.init(start: start, end: end, label: e["name"] as? String ?? "event"))
        }
        guard first.isFinite else { throw ReportError("\(path): error: the trace holds no complete (\"ph\":\"X\") events") }
        let tracks = intervals.keys.sorted().map { pid in
            Track(name: names[pid] ?? "track \(pid)",
                  intervals: intervals[pid]!.map { .init(start: $0.start - first, end: $0.end - first, label: $0.label) })
        }
        return MeasuredTrace(tracks: tracks, span: last - first)
    }
}
