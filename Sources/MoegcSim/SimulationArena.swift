/// Flat, fixed-size storage for one simulator: the graph's and topology's arrays copied once, and
/// every per-run array, each allocated with its exact size when the simulator is made.
///
/// This file and the sift loops of `EventQueue` are the module's only unsafe code. The pointers are
/// allocated and initialised in `init`, freed in `deinit`, never handed out of the simulator, and
/// indexed only with task, value, edge, device and channel numbers of a graph and schedule that were
/// validated before the run (`Schedule.problem`, `CostGraph.init`); `check` asserts them in debug
/// builds. Unchecked access is what makes the event loop allocation- and check-free.
final class SimulationArena: @unchecked Sendable {
    let taskCount: Int, valueCount: Int, edgeCount: Int, deviceCount: Int, channelCount: Int
    /// Room for every transfer a run can make: at most one per (value, consuming device), ≤ edges.
    var transferCapacity: Int { edgeCount }

    // Graph (read-only).
    let flops: Buffer<Double>, bytesAccessed: Buffer<Double>, launches: Buffer<Double>, resident: Buffer<Int>
    let valueProducer: Buffer<Int32>, valueBytes: Buffer<Int>, valueIsOutput: Buffer<Bool>, consumerStart: Buffer<Int32>, consumers: Buffer<Int32>
    let edgeValue: Buffer<Int32>, inputStart: Buffer<Int32>, inputEdges: Buffer<Int32>, inputValues: Buffer<Int32>
    let outputStart: Buffer<Int32>, outputValues: Buffer<Int32>
    // Cluster (read-only).
    let inversePeak: Buffer<Double>, inverseBandwidth: Buffer<Double>, launchOverhead: Buffer<Double>, capacity: Buffer<Int>
    let pathChannels: Buffer<Int32>, pathLength: Buffer<Int32>, pathLatency: Buffer<Double>, pathInverseBandwidth: Buffer<Double>
    // Schedule of the current run.
    let placement: Buffer<Int32>, order: Buffer<Int32>, orderStart: Buffer<Int32>
    // Per task.
    let missing: Buffer<Int32>, duration: Buffer<Double>, taskStart: Buffer<Double>, taskEnd: Buffer<Double>, done: Buffer<Bool>
    // Per edge / value.
    let copySlot: Buffer<Int32>, copyRefs: Buffer<Int32>, homeRefs: Buffer<Int32>
    // Per device.
    let cursor: Buffer<Int32>, running: Buffer<Bool>, busy: Buffer<Double>, memory: Buffer<Int>, peak: Buffer<Int>
    let oomTime: Buffer<Double>, oomBytes: Buffer<Int>, stamp: Buffer<Int32>, firstEdge: Buffer<Int32>
    // Per channel.
    let channelFree: Buffer<Double>, channelBytes: Buffer<Double>, channelBusy: Buffer<Double>
    // Transfers of the current run.
    let xValue: Buffer<Int32>, xSource: Buffer<Int32>, xDestination: Buffer<Int32>, xStart: Buffer<Double>, xEnd: Buffer<Double>
    /// The event heap: at most one pending task end per device and two events per transfer.
    let events: Buffer<EventQueue.Event>

    init(graph: CostGraph, costs: CostModel) {
        let t = graph.taskCount, d = costs.deviceCount, e = graph.edgeCount
        taskCount = t
        valueCount = graph.valueCount
        edgeCount = e
        deviceCount = d
        channelCount = costs.topology.channelCount
        flops = Buffer(graph.flops)
        bytesAccessed = Buffer(graph.bytesAccessed)
        launches = Buffer(ContiguousArray(graph.launches.map(Double.init)))
        resident = Buffer(graph.residentBytes)
        valueProducer = Buffer(graph.valueProducer)
        valueBytes = Buffer(graph.valueBytes)
        valueIsOutput = Buffer(graph.valueIsOutput)
        consumerStart = Buffer(graph.consumerStart)
        consumers = Buffer(graph.consumers)
        edgeValue = Buffer(graph.edgeValue)
        inputStart = Buffer(graph.inputStart)
        inputEdges = Buffer(graph.inputEdges)
        // The value of each input slot, so releasing inputs reads it in sequence.
        inputValues = Buffer(ContiguousArray(graph.inputEdges.map { graph.edgeValue[Int($0)] }))
        outputStart = Buffer(graph.outputStart)
        outputValues = Buffer(graph.outputValues)
        inversePeak = Buffer(costs.inversePeak)
        inverseBandwidth = Buffer(costs.inverseBandwidth)
        launchOverhead = Buffer(costs.launchOverhead)
        capacity = Buffer(ContiguousArray((0..<d).map { costs.cluster.memoryCapacity($0) }))
        pathChannels = Buffer(costs.topology.pathChannels)
        pathLength = Buffer(costs.topology.pathLength)
        pathLatency = Buffer(costs.topology.pathLatency)
        pathInverseBandwidth = Buffer(costs.topology.pathInverseBandwidth)
        placement = Buffer(count: t, 0)
        order = Buffer(count: t, 0)
        orderStart = Buffer(count: d + 1, 0)
        missing = Buffer(count: t, 0)
        duration = Buffer(count: t, 0)
        taskStart = Buffer(count: t, 0)
        taskEnd = Buffer(count: t, 0)
        done = Buffer(count: t, false)
        copySlot = Buffer(count: e, -1)
        copyRefs = Buffer(count: e, 0)
        homeRefs = Buffer(count: graph.valueCount, 0)
        cursor = Buffer(count: d, 0)
        running = Buffer(count: d, false)
        busy = Buffer(count: d, 0)
        memory = Buffer(count: d, 0)
        peak = Buffer(count: d, 0)
        oomTime = Buffer(count: d, .nan)
        oomBytes = Buffer(count: d, 0)
        stamp = Buffer(count: d, -1)
        firstEdge = Buffer(count: d, -1)
        channelFree = Buffer(count: channelCount, 0)
        channelBytes = Buffer(count: channelCount, 0)
        channelBusy = Buffer(count: channelCount, 0)
        xValue = Buffer(count: e, 0)
        xSource = Buffer(count: e, 0)
        xDestination = Buffer(count: e, 0)
        xStart = Buffer(count: e, 0)
        xEnd = Buffer(count: e, 0)
        events = Buffer(count: d + 2 * e + 1, EventQueue.Event(time: 0, key: 0))
    }

    deinit {
        for b in [flops, bytesAccessed, launches, inversePeak, inverseBandwidth, launchOverhead, pathLatency,
                  pathInverseBandwidth, duration, taskStart, taskEnd, busy, oomTime, channelFree, channelBytes,
                  channelBusy, xStart, xEnd] { b.free() }
        for b in [resident, valueBytes, capacity, memory, peak, oomBytes] { b.free() }
        for b in [valueProducer, consumerStart, consumers, edgeValue, inputStart, inputEdges, inputValues, outputStart, outputValues, pathChannels,
                  pathLength, placement, order, orderStart, missing, copySlot, copyRefs, homeRefs, cursor, stamp,
                  firstEdge, xValue, xSource, xDestination] { b.free() }
        for b in [valueIsOutput, done, running] { b.free() }
        events.free()
    }
}

/// A fixed-size buffer with unchecked (debug-asserted) indexing, owned by `SimulationArena`.
/// Sendable on the arena's terms: a simulator only writes to an arena it holds uniquely
/// (`SimulationState.makeUnique`, the copy-on-write discipline of the standard collections).
struct Buffer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, _ value: Element) {
        self.count = count
        base = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
        base.initialize(repeating: value, count: count)
    }

    init(_ array: ContiguousArray<Element>) {
        count = array.count
        base = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
        array.withUnsafeBufferPointer { source in
            if let s = source.baseAddress { base.initialize(from: s, count: count) }
        }
    }

    /// Only `SimulationArena.deinit` calls this; the elements are trivial types.
    func free() { base.deallocate() }

    @inline(__always)
    subscript(i: Int) -> Element {
        get {
            assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return base[i]
        }
        nonmutating set {
            assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            base[i] = newValue
        }
    }

    @inline(__always)
    subscript(i: Int32) -> Element {
        get { self[Int(i)] }
        nonmutating set { self[Int(i)] = newValue }
    }

    /// Copies `array` in (its length must equal `count`).
    func assign(_ array: ContiguousArray<Element>) {
        precondition(array.count == count, "buffer of \(count) assigned \(array.count) elements")
        array.withUnsafeBufferPointer { source in
            if let s = source.baseAddress { base.update(from: s, count: count) }
        }
    }

    func array(count n: Int? = nil) -> [Element] { Array(UnsafeBufferPointer(start: base, count: n ?? count)) }
}
