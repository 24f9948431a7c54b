import MoegcSupport

/// Chrome trace JSON of a simulated step (`ChromeTraceWriter`'s format, as the runtime's trace).
///
/// One track per device, named after it, holding an event per task; then one track per channel
/// (`gpu0:out`, `h0:net-in`, …) holding an event per transfer that crossed it.
public enum ChromeTrace {
    public static func json(timeline: Timeline, graph: CostGraph, cluster: Cluster,
                            taskName: (Int) -> String = { "task \($0)" }) -> String {
        let topology = Topology(cluster)
        let d = cluster.deviceCount
        var trace = ChromeTraceWriter()
        for (i, device) in cluster.devices.enumerated() { trace.track(i, name: device.name) }
        for (c, name) in topology.channelNames.enumerated() { trace.track(d + c, name: name) }
        for t in timeline.taskStart.indices {
            trace.event(taskName(t), track: Int(timeline.placement[t]), start: timeline.taskStart[t], end: timeline.taskEnd[t],
                        args: [("task", Double(t)), ("flops", graph.flops[t])])
        }
        for x in timeline.transfers {
            let name = "value \(x.value) \(cluster.devices[x.source].name)→\(cluster.devices[x.destination].name)"
            for c in topology.path(from: x.source, to: x.destination) {
                trace.event(name, track: d + c, start: x.start, end: x.end,
                            args: [("value", Double(x.value)), ("bytes", Double(graph.valueBytes[x.value]))])
            }
        }
        return trace.json
    }
}
