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
    func report(cluster: Cluster) -> SimulationReport {
        let a = arena
        var makespan = 0.0
        for t in 0..<a.taskCount { makespan = max(makespan, a.taskEnd[t]) }
        var oom: [OutOfMemory] = []
        for d in 0..<a.deviceCount where !a.oomTime[d].isNaN {
            oom.append(OutOfMemory(device: d, deviceName: cluster.devices[d].name, time: a.oomTime[d],
                                   bytesInUse: a.oomBytes[d], capacity: a.capacity[d]))
        }
        var moved = 0.0
        for x in 0..<transferCount { moved += Double(a.valueBytes[a.xValue[x]]) }
        return SimulationReport(
            makespan: makespan, deviceBusy: a.busy.array(), peakMemory: a.peak.array(), outOfMemory: oom,
            channelBytes: a.channelBytes.array(), channelBusy: a.channelBusy.array(), transferCount: transferCount,
            bytesTransferred: moved, eventCount: events)
    }

    /// Start, end and device of every task, and every transfer, of the last run.
    func timeline() -> Timeline {
        let a = arena
        let transfers = (0..<transferCount).map {
            Timeline.Transfer(value: Int(a.xValue[$0]), source: Int(a.xSource[$0]), destination: Int(a.xDestination[$0]),
                              start: a.xStart[$0], end: a.xEnd[$0])
        }
        return Timeline(taskStart: a.taskStart.array(), taskEnd: a.taskEnd.array(),
                        placement: a.placement.array().map(Int.init), transfers: transfers)
    }

    /// Where each unfinished device is stuck, once the event queue has run dry.
    func deadlock(cluster: Cluster) -> SimulationError {
        let a = arena
        var position = [Int](repeating: 0, count: a.taskCount)
        for d in 0..<a.deviceCount {
            for i in Int(a.orderStart[d])..<Int(a.orderStart[d + 1]) { position[Int(a.order[i])] = i - Int(a.orderStart[d]) }
        }
        var stuck: [StuckDevice] = []
        for d in 0..<a.deviceCount where a.cursor[d] < a.orderStart[d + 1] {
            let t = Int(a.order[a.cursor[d]])
            var waits: [(value: Int, producer: Int, producerDevice: Int, producerPosition: Int)] = []
            for i in Int(a.inputStart[t])..<Int(a.inputStart[t + 1]) {
                let v = Int(a.edgeValue[a.inputEdges[i]])
                let p = Int(a.valueProducer[v])
                if !a.done[p] { waits.append((v, p, Int(a.placement[p]), position[p])) }
            }
            stuck.append(StuckDevice(device: d, deviceName: cluster.devices[d].name, task: t, position: position[t], waitingFor: waits))
        }
        return .deadlock(stuck: stuck, completed: completed, total: a.taskCount)
    }
}
