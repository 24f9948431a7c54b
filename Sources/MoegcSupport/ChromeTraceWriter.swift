/// Chrome trace JSON, for Perfetto (ui.perfetto.dev) or chrome://tracing: one writer for the
/// simulator's timelines and the runtime's measured ones.
///
/// Each track is a trace "process" with a name and a sort index; each event is a complete event
/// (`"ph":"X"`) on a track. Times are given in seconds and written in microseconds, as the format
/// requires; names are escaped as JSON strings, numbers as the shortest text that reads back.
public struct ChromeTraceWriter: Sendable {
    private var lines: [String] = []

    public init() {}

    /// Names track `id` (and orders it by `id` in the viewer).
    public mutating func track(_ id: Int, name: String) {
        lines.append("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(id),\"args\":{\"name\":\(Self.quoted(name))}}")
        lines.append("{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":\(id),\"args\":{\"sort_index\":\(id)}}")
    }

    /// An event on track `track` from `start` to `end` (seconds), with numeric arguments shown on
    /// selection.
    public mutating func event(_ name: String, track: Int, start: Double, end: Double, args: [(String, Double)] = []) {
        var line = "{\"name\":\(Self.quoted(name)),\"ph\":\"X\",\"pid\":\(track),\"tid\":0,"
            + "\"ts\":\(Self.number(start * 1e6)),\"dur\":\(Self.number((end - start) * 1e6))"
        if !args.isEmpty {
            line += ",\"args\":{" + args.map { "\(Self.quoted($0.0)):\(Self.number($0.1))" }.joined(separator: ",") + "}"
        }
        lines.append(line + "}")
    }

    /// The whole trace.
    public var json: String {
        "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + lines.joined(separator: ",\n") + "\n]}\n"
    }

    /// A JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A JSON number: the shortest text that reads back, without a trailing ".0"; a non-finite value
    /// (which no valid timeline has) becomes 0.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var s = "\(x)"
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}
