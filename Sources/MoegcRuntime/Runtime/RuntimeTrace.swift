import MoegcSupport

/// A measured runtime step as Chrome trace JSON, in the simulator's form (`ChromeTraceWriter`): a
/// track per device with its nodes, and a track per device's outgoing copies (`name:out`).
public enum RuntimeTrace {
    public static func json(_ events: [TraceEvent], devices: [String]) -> String {
        var trace = ChromeTraceWriter()
        for (d, name) in devices.enumerated() { trace.track(d, name: name) }
        for (d, name) in devices.enumerated() { trace.track(devices.count + d, name: "\(name):out") }
        for e in events {
            let track = e.destination == nil ? e.device : devices.count + e.device
            let label = e.destination.map { "\(e.name) \(devices[e.device])→\(devices[$0])" } ?? e.name
            trace.event(label, track: track, start: e.start, end: e.end)
        }
        return trace.json
    }
}
