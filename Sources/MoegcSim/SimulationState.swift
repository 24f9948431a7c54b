/// The simulator's event loop (the algorithm is described on `Simulator`), working on the flat
/// buffers of a `SimulationArena` that are reset, never reallocated, by each run.
struct SimulationState: Sendable {
    static let taskEnd = 0, transferStart = 1, transferEnd = 2

    private(set) var arena: SimulationArena
    private var queue: EventQueue
    var seenScratch: [Bool]
    var now = 0.0
    var completed = 0
    var events = 0
    var transferCount = 0
    /// Keep every change of a device's bytes in use (`Simulator.recordsMemory`); off, the event
    /// loop pays one branch per change.
    var recordsMemory = false
    private(set) var memoryLog = MemoryLog(initial: [], changes: [])
    /// The graph's inputs and their readers (`CostGraph.graphInputBytes`).
    let inputBytes: ContiguousArray<Int>
    let inputReaderStart: ContiguousArray<Int32>
    let inputReaders: ContiguousArray<Int32>

    init(graph: CostGraph, costs: CostModel) {
        arena = SimulationArena(graph: graph, costs: costs)
        queue = EventQueue(storage: arena.events)
        seenScratch = [Bool](repeating: false, count: graph.taskCount)
        inputBytes = graph.graphInputBytes
        inputReaderStart = graph.graphInputReaderStart
        inputReaders = graph.graphInputReaders
    }

    /// Gives this state its own arena if a copy of the simulator shares it (value semantics).
    mutating func makeUnique(graph: CostGraph, costs: CostModel) {
        if !isKnownUniquelyReferenced(&arena) {
            arena = SimulationArena(graph: graph, costs: costs)
            queue = EventQueue(storage: arena.events)
        }
    }

    mutating func reset(_ schedule: Schedule) {
        let a = arena
        a.placement.assign(schedule.placement)
        a.order.assign(schedule.order)
        a.orderStart.assign(schedule.orderStart)
        for d in 0..<a.deviceCount {
            a.cursor[d] = a.orderStart[d]
            a.running[d] = false
            a.busy[d] = 0
            a.memory[d] = 0
            a.oomTime[d] = .nan
            a.oomBytes[d] = 0
            a.stamp[d] = -1
        }
        for t in 0..<a.taskCount {
            let d = Int(a.placement[t])
            a.missing[t] = a.inputStart[t + 1] - a.inputStart[t]
            a.done[t] = false
            a.duration[t] = max(a.flops[t] * a.inversePeak[d], a.bytesAccessed[t] * a.inverseBandwidth[d])
                + a.launchOverhead[d] * a.launches[t]
            a.memory[d] += a.resident[t]
        }
        // Each graph input on every device that runs a reader, for the whole step.
        if !inputBytes.isEmpty {
            var holds = [Int](repeating: -1, count: a.deviceCount)
            for i in inputBytes.indices {
                for r in Int(inputReaderStart[i])..<Int(inputReaderStart[i + 1]) {
                    let d = Int(a.placement[Int(inputReaders[r])])
                    if holds[d] != i {
                        holds[d] = i
                        a.memory[d] += inputBytes[i]
                    }
                }
            }
        }
        memoryLog.changes.removeAll(keepingCapacity: true)
        memoryLog.initial = recordsMemory ? (0..<a.deviceCount).map { a.memory[$0] } : []
        for d in 0..<a.deviceCount {
            a.peak[d] = a.memory[d]
            if a.memory[d] > a.capacity[d] {
                a.oomTime[d] = 0
                a.oomBytes[d] = a.memory[d]
            }
        }
        for c in 0..<a.channelCount {
            a.channelFree[c] = 0
            a.channelBytes[c] = 0
            a.channelBusy[c] = 0
        }
        queue.removeAll()
        now = 0
        completed = 0
        events = 0
        transferCount = 0
    }

    /// Runs the event loop to the end; throws `.deadlock` if tasks remain that can never start.
    mutating func execute(_ schedule: Schedule, cluster: Cluster) throws(SimulationError) {
        reset(schedule)
        for d in 0..<arena.deviceCount { tryStart(d) }
        while let event = queue.pop() {
            now = event.time
            events += 1
            switch event.kind {
            case Self.taskEnd: finishTask(event.index)
            case Self.transferStart:
                let x = event.index
                allocate(Int(arena.xDestination[x]), arena.valueBytes[arena.xValue[x]])
            default: arrive(event.index)
            }
        }
        if completed < arena.taskCount { throw deadlock(cluster: cluster) }
    }

    @inline(__always)
    private mutating func allocate(_ d: Int, _ bytes: Int) {
        let a = arena
        if recordsMemory { memoryLog.changes.append(.init(time: now, device: d, bytes: bytes)) }
        let inUse = a.memory[d] + bytes
        a.memory[d] = inUse
        if inUse > a.peak[d] {
            a.peak[d] = inUse
            if inUse > a.capacity[d] && a.oomTime[d].isNaN {
                a.oomTime[d] = now
                a.oomBytes[d] = inUse
            }
        }
    }

    @inline(__always)
    private mutating func release(_ d: Int, _ bytes: Int) {
        if recordsMemory { memoryLog.changes.append(.init(time: now, device: d, bytes: -bytes)) }
        arena.memory[d] -= bytes
    }

    /// Starts device d's next task if the device is idle and the task's inputs are all present.
    @inline(__always)
    private mutating func tryStart(_ d: Int) {
        let a = arena
        guard !a.running[d] else { return }
        let p = Int(a.cursor[d])
        guard p < Int(a.orderStart[d + 1]) else { return }
        let t = Int(a.order[p])
        guard a.missing[t] == 0 else { return }
        a.running[d] = true
        let end = now + a.duration[t]
        a.taskStart[t] = now
        a.taskEnd[t] = end
        for o in Int(a.outputStart[t])..<Int(a.outputStart[t + 1]) { allocate(d, a.valueBytes[a.outputValues[o]]) }
        queue.push(time: end, kind: Self.taskEnd, index: t)
    }

    private mutating func finishTask(_ t: Int) {
        let a = arena
        let d = Int(a.placement[t])
        a.running[d] = false
        a.cursor[d] += 1
        a.busy[d] += a.duration[t]
        a.done[t] = true
        completed += 1
        // Release the inputs.
        for i in Int(a.inputStart[t])..<Int(a.inputStart[t + 1]) {
            let v = Int(a.inputValues[i])
            let slot = Int(a.copySlot[a.inputEdges[i]])
            if slot < 0 {
                a.homeRefs[v] -= 1
                if a.homeRefs[v] == 0 && !a.valueIsOutput[v] { release(d, a.valueBytes[v]) }
            } else {
                a.copyRefs[slot] -= 1
                if a.copyRefs[slot] == 0 { release(d, a.valueBytes[v]) }
            }
        }
        // Publish the outputs: local consumers see them now, other devices get one transfer each.
        for o in Int(a.outputStart[t])..<Int(a.outputStart[t + 1]) {
            let v = Int(a.outputValues[o])
            var refs: Int32 = 0
            for e in Int(a.consumerStart[v])..<Int(a.consumerStart[v + 1]) {
                let c = Int(a.consumers[e])
                let dc = Int(a.placement[c])
                if dc == d {
                    a.copySlot[e] = -1
                    refs += 1
                    a.missing[c] -= 1
                } else if a.stamp[dc] != Int32(v) {
                    a.stamp[dc] = Int32(v)
                    a.firstEdge[dc] = Int32(e)
                    a.copySlot[e] = Int32(e)
                    a.copyRefs[e] = 1
                    refs += 1
                    startTransfer(v, from: d, to: dc)
                } else {
                    let f = Int(a.firstEdge[dc])
                    a.copySlot[e] = Int32(f)
                    a.copyRefs[f] += 1
                }
            }
            a.homeRefs[v] = refs
            if refs == 0 && !a.valueIsOutput[v] { release(d, a.valueBytes[v]) }
        }
        tryStart(d)
    }

    /// Admits a transfer of value v from src to dst now (see Topology for the contention model).
    @inline(__always)
    private mutating func startTransfer(_ v: Int, from src: Int, to dst: Int) {
        let a = arena
        let p = src * a.deviceCount + dst
        let length = Int(a.pathLength[p])
        var start = now
        for k in 0..<length { start = max(start, a.channelFree[a.pathChannels[p * 4 + k]]) }
        let bytes = a.valueBytes[v]
        let duration = a.pathLatency[p] + Double(bytes) * a.pathInverseBandwidth[p]
        let end = start + duration
        for k in 0..<length {
            let c = Int(a.pathChannels[p * 4 + k])
            a.channelFree[c] = end
            a.channelBytes[c] += Double(bytes)
            a.channelBusy[c] += duration
        }
        let x = transferCount
        transferCount += 1
        a.xValue[x] = Int32(v)
        a.xSource[x] = Int32(src)
        a.xDestination[x] = Int32(dst)
        a.xStart[x] = start
        a.xEnd[x] = end
        if start > now {
            queue.push(time: start, kind: Self.transferStart, index: x)
        } else {
            allocate(dst, bytes)
        }
        queue.push(time: end, kind: Self.transferEnd, index: x)
    }

    /// Transfer x has delivered its value: its consumers on the destination may start.
    private mutating func arrive(_ x: Int) {
        let a = arena
        let v = Int(a.xValue[x])
        let dst = Int(a.xDestination[x])
        for e in Int(a.consumerStart[v])..<Int(a.consumerStart[v + 1]) {
            let c = Int(a.consumers[e])
            if Int(a.placement[c]) == dst { a.missing[c] -= 1 }
        }
        a.homeRefs[v] -= 1
        if a.homeRefs[v] == 0 && !a.valueIsOutput[v] { release(Int(a.xSource[x]), a.valueBytes[v]) }
        tryStart(dst)
    }
}
