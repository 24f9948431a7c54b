/// What one simulated step measured.
public struct SimulationReport: Hashable, Sendable {
    /// Step time: when the last task finished, seconds.
    public var makespan: Double
    /// Time each device spent running tasks.
    public var deviceBusy: [Double]
    /// Highest live bytes on each device (weights + values).
    public var peakMemory: [Int]
    /// Devices that exceeded their capacity, by device index.
    public var outOfMemory: [OutOfMemory]
    /// Bytes carried and time held busy, per channel (`Topology.channelNames`).
    public var channelBytes: [Double]
    public var channelBusy: [Double]
    public var transferCount: Int
    /// Bytes moved between devices (each transfer counted once, not per channel).
    public var bytesTransferred: Double
    /// Events the simulator processed (task ends, deferred transfer starts, transfer ends).
    public var eventCount: Int

    /// Time each device spent idle within the step.
    public var deviceIdle: [Double] { deviceBusy.map { makespan - $0 } }
    /// Busy fraction of each device (0 when the step takes no time).
    public var utilization: [Double] { deviceBusy.map { makespan > 0 ? $0 / makespan : 0 } }
    /// True when no device ran out of memory.
    public var isFeasible: Bool { outOfMemory.isEmpty }
}

/// The first moment a device held more than its capacity.
public struct OutOfMemory: Hashable, Sendable, CustomStringConvertible {
    public var device: Int
    public var deviceName: String
    public var time: Double
    public var bytesInUse: Int
    public var capacity: Int

    public var description: String {
        "device \(device) '\(deviceName)' out of memory at t=\(time)s: \(bytesInUse) bytes in use, capacity \(capacity)"
    }
}

extension SimulationState {
    func report(graph: CostGraph, costs: CostModel) -> SimulationReport {
        var makespan = 0.0
        for t in 0..<graph.taskCount { makespan = max(makespan, taskEnd[t]) }
        var oom: [OutOfMemory] = []
        for d in 0..<costs.deviceCount where !oomTime[d].isNaN {
            oom.append(OutOfMemory(device: d, deviceName: costs.cluster.devices[d].name, time: oomTime[d],
                                   bytesInUse: oomBytes[d], capacity: capacity[d]))
        }
        var moved = 0.0
        for x in 0..<transfers.count { moved += Double(graph.valueBytes[Int(transfers.value[x])]) }
        return SimulationReport(
            makespan: makespan, deviceBusy: Array(busy), peakMemory: Array(peak), outOfMemory: oom,
            channelBytes: Array(channelBytes), channelBusy: Array(channelBusy), transferCount: transfers.count,
            bytesTransferred: moved, eventCount: events)
    }

    /// Where each unfinished device is stuck, once the event queue has run dry.
    func deadlock(graph: CostGraph, costs: CostModel) -> SimulationError {
        var position = [Int](repeating: 0, count: graph.taskCount)
        for d in 0..<costs.deviceCount {
            let first = d == 0 ? 0 : Int(orderEnd[d - 1])
            for i in first..<Int(orderEnd[d]) { position[Int(order[i])] = i - first }
        }
        var stuck: [StuckDevice] = []
        for d in 0..<costs.deviceCount where cursor[d] < orderEnd[d] {
            let t = Int(order[Int(cursor[d])])
            var waits: [(value: Int, producer: Int, producerDevice: Int, producerPosition: Int)] = []
            for i in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
                let v = Int(graph.edgeValue[Int(graph.inputEdges[i])])
                let p = Int(graph.valueProducer[v])
                if !done[p] { waits.append((v, p, Int(placement[p]), position[p])) }
            }
            stuck.append(StuckDevice(device: d, deviceName: costs.cluster.devices[d].name, task: t,
                                     position: position[t], waitingFor: waits))
        }
        return .deadlock(stuck: stuck, completed: completed, total: graph.taskCount)
    }
}
