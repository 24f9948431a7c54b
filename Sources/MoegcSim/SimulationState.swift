/// The simulator's working memory and its event loop (the algorithm is described on `Simulator`).
/// Every array is sized once for the graph and cluster and reset, not reallocated, by each run.
struct SimulationState: Sendable {
    static let taskEnd = 0, transferStart = 1, transferEnd = 2

    // Per task.
    var missing: ContiguousArray<Int32>
    var taskStart: ContiguousArray<Double>
    var taskEnd: ContiguousArray<Double>
    var done: ContiguousArray<Bool>
    var seenScratch: [Bool]
    // Per edge: the edge holding the reference count of the copy this edge's consumer reads
    // (-1: the producer's own copy), and that count where the edge holds it.
    var copySlot: ContiguousArray<Int32>
    var copyRefs: ContiguousArray<Int32>
    // Per value: references to the producer's copy (local consumers + outgoing transfers).
    var homeRefs: ContiguousArray<Int32>
    // Per device.
    var placement = ContiguousArray<Int32>()
    var order = ContiguousArray<Int32>()
    var orderEnd: ContiguousArray<Int32>
    var cursor: ContiguousArray<Int32>
    var running: ContiguousArray<Bool>
    var busy: ContiguousArray<Double>
    var memory: ContiguousArray<Int>
    var peak: ContiguousArray<Int>
    var capacity: ContiguousArray<Int>
    var oomTime: ContiguousArray<Double>
    var oomBytes: ContiguousArray<Int>
    var stamp: ContiguousArray<Int32>
    var firstEdge: ContiguousArray<Int32>
    // Per channel.
    var channelFree: ContiguousArray<Double>
    var channelBytes: ContiguousArray<Double>
    var channelBusy: ContiguousArray<Double>

    var transfers = TransferLog()
    var queue = EventQueue()
    var now = 0.0
    var completed = 0
    var events = 0

    init(graph: CostGraph, deviceCount d: Int, channelCount c: Int) {
        let t = graph.taskCount
        missing = ContiguousArray(repeating: 0, count: t)
        taskStart = ContiguousArray(repeating: 0, count: t)
        taskEnd = ContiguousArray(repeating: 0, count: t)
        done = ContiguousArray(repeating: false, count: t)
        seenScratch = [Bool](repeating: false, count: t)
        copySlot = ContiguousArray(repeating: -1, count: graph.edgeCount)
        copyRefs = ContiguousArray(repeating: 0, count: graph.edgeCount)
        homeRefs = ContiguousArray(repeating: 0, count: graph.valueCount)
        orderEnd = ContiguousArray(repeating: 0, count: d)
        cursor = ContiguousArray(repeating: 0, count: d)
        running = ContiguousArray(repeating: false, count: d)
        busy = ContiguousArray(repeating: 0, count: d)
        memory = ContiguousArray(repeating: 0, count: d)
        peak = ContiguousArray(repeating: 0, count: d)
        capacity = ContiguousArray(repeating: 0, count: d)
        oomTime = ContiguousArray(repeating: .nan, count: d)
        oomBytes = ContiguousArray(repeating: 0, count: d)
        stamp = ContiguousArray(repeating: -1, count: d)
        firstEdge = ContiguousArray(repeating: -1, count: d)
        channelFree = ContiguousArray(repeating: 0, count: c)
        channelBytes = ContiguousArray(repeating: 0, count: c)
        channelBusy = ContiguousArray(repeating: 0, count: c)
        queue.reserveCapacity(2 * d + 16)
    }

    mutating func reset(graph: CostGraph, costs: CostModel, schedule: Schedule) {
        placement = schedule.placement
        order = schedule.order
        let d = costs.deviceCount
        for t in 0..<graph.taskCount {
            missing[t] = graph.inputStart[t + 1] - graph.inputStart[t]
            done[t] = false
        }
        for i in 0..<d {
            cursor[i] = schedule.orderStart[i]
            orderEnd[i] = schedule.orderStart[i + 1]
            running[i] = false
            busy[i] = 0
            memory[i] = 0
            capacity[i] = costs.cluster.memoryCapacity(i)
            oomTime[i] = .nan
            oomBytes[i] = 0
            stamp[i] = -1
        }
        for t in 0..<graph.taskCount { memory[Int(placement[t])] += graph.residentBytes[t] }
        for i in 0..<d {
            peak[i] = memory[i]
            if memory[i] > capacity[i] {
                oomTime[i] = 0
                oomBytes[i] = memory[i]
            }
        }
        for c in channelFree.indices {
            channelFree[c] = 0
            channelBytes[c] = 0
            channelBusy[c] = 0
        }
        transfers.removeAll()
        queue.removeAll()
        now = 0
        completed = 0
        events = 0
    }

    mutating func execute(graph: CostGraph, costs: CostModel, schedule: Schedule) throws(SimulationError) {
        reset(graph: graph, costs: costs, schedule: schedule)
        for d in 0..<costs.deviceCount { tryStart(d, graph, costs) }
        while let event = queue.pop() {
            now = event.time
            events += 1
            switch event.kind {
            case Self.taskEnd: finishTask(event.index, graph, costs)
            case Self.transferStart:
                let x = event.index
                allocate(Int(transfers.destination[x]), graph.valueBytes[Int(transfers.value[x])])
            default: arrive(event.index, graph, costs)
            }
        }
        if completed < graph.taskCount { throw deadlock(graph: graph, costs: costs) }
    }

    @inline(__always)
    mutating func allocate(_ d: Int, _ bytes: Int) {
        memory[d] += bytes
        if memory[d] > peak[d] {
            peak[d] = memory[d]
            if memory[d] > capacity[d] && oomTime[d].isNaN {
                oomTime[d] = now
                oomBytes[d] = memory[d]
            }
        }
    }

    /// Starts device d's next task if the device is idle and the task's inputs are all present.
    @inline(__always)
    mutating func tryStart(_ d: Int, _ graph: CostGraph, _ costs: CostModel) {
        guard !running[d] else { return }
        let p = Int(cursor[d])
        guard p < Int(orderEnd[d]) else { return }
        let t = Int(order[p])
        guard missing[t] == 0 else { return }
        running[d] = true
        let duration = costs.time(of: t, in: graph, on: d)
        taskStart[t] = now
        taskEnd[t] = now + duration
        for o in Int(graph.outputStart[t])..<Int(graph.outputStart[t + 1]) {
            allocate(d, graph.valueBytes[Int(graph.outputValues[o])])
        }
        queue.push(time: now + duration, kind: Self.taskEnd, index: t)
    }

    mutating func finishTask(_ t: Int, _ graph: CostGraph, _ costs: CostModel) {
        let d = Int(placement[t])
        running[d] = false
        cursor[d] += 1
        busy[d] += taskEnd[t] - taskStart[t]
        done[t] = true
        completed += 1
        // Release the inputs.
        for i in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
            let e = Int(graph.inputEdges[i])
            let v = Int(graph.edgeValue[e])
            let slot = Int(copySlot[e])
            if slot < 0 {
                homeRefs[v] -= 1
                if homeRefs[v] == 0 && !graph.valueIsOutput[v] { memory[d] -= graph.valueBytes[v] }
            } else {
                copyRefs[slot] -= 1
                if copyRefs[slot] == 0 { memory[d] -= graph.valueBytes[v] }
            }
        }
        // Publish the outputs: local consumers see them now, other devices get one transfer each.
        for o in Int(graph.outputStart[t])..<Int(graph.outputStart[t + 1]) {
            let v = Int(graph.outputValues[o])
            var refs: Int32 = 0
            for e in Int(graph.consumerStart[v])..<Int(graph.consumerStart[v + 1]) {
                let c = Int(graph.consumers[e])
                let dc = Int(placement[c])
                if dc == d {
                    copySlot[e] = -1
                    refs += 1
                    missing[c] -= 1
                } else if stamp[dc] != Int32(v) {
                    stamp[dc] = Int32(v)
                    firstEdge[dc] = Int32(e)
                    copySlot[e] = Int32(e)
                    copyRefs[e] = 1
                    refs += 1
                    startTransfer(v, from: d, to: dc, graph, costs)
                } else {
                    let f = Int(firstEdge[dc])
                    copySlot[e] = Int32(f)
                    copyRefs[f] += 1
                }
            }
            homeRefs[v] = refs
            if refs == 0 && !graph.valueIsOutput[v] { memory[d] -= graph.valueBytes[v] }
        }
        tryStart(d, graph, costs)
    }

    /// Admits a transfer of value v from src to dst now (see Topology for the contention model).
    @inline(__always)
    mutating func startTransfer(_ v: Int, from src: Int, to dst: Int, _ graph: CostGraph, _ costs: CostModel) {
        let topology = costs.topology
        let p = src * topology.deviceCount + dst
        let length = Int(topology.pathLength[p])
        var start = now
        for k in 0..<length { start = max(start, channelFree[Int(topology.pathChannels[p * 4 + k])]) }
        let bytes = graph.valueBytes[v]
        let duration = topology.pathLatency[p] + Double(bytes) * topology.pathInverseBandwidth[p]
        let end = start + duration
        for k in 0..<length {
            let c = Int(topology.pathChannels[p * 4 + k])
            channelFree[c] = end
            channelBytes[c] += Double(bytes)
            channelBusy[c] += duration
        }
        let x = transfers.count
        transfers.append(value: v, source: src, destination: dst, start: start, end: end)
        if start > now {
            queue.push(time: start, kind: Self.transferStart, index: x)
        } else {
            allocate(dst, bytes)
        }
        queue.push(time: end, kind: Self.transferEnd, index: x)
    }

    /// Transfer x has delivered its value: its consumers on the destination may start.
    mutating func arrive(_ x: Int, _ graph: CostGraph, _ costs: CostModel) {
        let v = Int(transfers.value[x])
        let dst = Int(transfers.destination[x])
        for e in Int(graph.consumerStart[v])..<Int(graph.consumerStart[v + 1]) {
            let c = Int(graph.consumers[e])
            if Int(placement[c]) == dst { missing[c] -= 1 }
        }
        homeRefs[v] -= 1
        if homeRefs[v] == 0 && !graph.valueIsOutput[v] { memory[Int(transfers.source[x])] -= graph.valueBytes[v] }
        tryStart(dst, graph, costs)
    }
}
