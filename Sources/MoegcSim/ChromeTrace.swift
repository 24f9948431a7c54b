/// Chrome trace JSON of a simulated step, for Perfetto (ui.perfetto.dev) or chrome://tracing.
///
/// One process (track) per device, named after it, holding a complete event (`"ph":"X"`) per task;
/// then one process per channel (`gpu0:out`, `h0:net-in`, …) holding an event per transfer that
/// crossed it. Times are in microseconds, as the format requires.
public enum ChromeTrace {
    public static func json(timeline: Timeline, graph: CostGraph, cluster: Cluster,
                            taskName: (Int) -> String = { "task \($0)" }) -> String {
        let topology = Topology(cluster)
        let d = cluster.deviceCount
        var out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n"
        var first = true
        func emit(_ event: String) {
            if !first { out += ",\n" }
            first = false
            out += event
        }
        func metadata(pid: Int, name: String) {
            emit("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(pid),\"args\":{\"name\":\(quoted(name))}}")
            emit("{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":\(pid),\"args\":{\"sort_index\":\(pid)}}")
        }
        for (i, device) in cluster.devices.enumerated() { metadata(pid: i, name: device.name) }
        for (c, name) in topology.channelNames.enumerated() { metadata(pid: d + c, name: name) }
        for t in timeline.taskStart.indices {
            let ts = timeline.taskStart[t] * 1e6, dur = (timeline.taskEnd[t] - timeline.taskStart[t]) * 1e6
            emit("{\"name\":\(quoted(taskName(t))),\"ph\":\"X\",\"pid\":\(timeline.placement[t]),\"tid\":0,"
                 + "\"ts\":\(number(ts)),\"dur\":\(number(dur)),\"args\":{\"task\":\(t),\"flops\":\(number(graph.flops[t]))}}")
        }
        for x in timeline.transfers {
            let ts = x.start * 1e6, dur = (x.end - x.start) * 1e6
            let name = "value \(x.value) \(cluster.devices[x.source].name)→\(cluster.devices[x.destination].name)"
            for c in topology.path(from: x.source, to: x.destination) {
                emit("{\"name\":\(quoted(name)),\"ph\":\"X\",\"pid\":\(d + c),\"tid\":0,\"ts\":\(number(ts)),"
                     + "\"dur\":\(number(dur)),\"args\":{\"value\":\(x.value),\"bytes\":\(graph.valueBytes[x.value])}}")
            }
        }
        out += "\n]}\n"
        return out
    }

    /// A JSON string literal.
    static func quoted(_ s: String) -> String {
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

    /// A finite JSON number (non-finite values, which a valid timeline never has, become 0).
    static func number(_ x: Double) -> String { x.isFinite ? formatNumber(x) : "0" }
}
