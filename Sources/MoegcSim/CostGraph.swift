/// The simulator's input: tasks with roofline costs, and the values flowing between them.
///
/// Built from the IR by an adaptor; the simulator knows nothing else about the model. Tasks are
/// `0..<taskCount`, values `0..<valueCount`. Every value has one producer task, a size, and a list of
/// consumer tasks; graph inputs are values of zero-cost source tasks. Stored as flat arrays with CSR
/// adjacency (consumers of a value, inputs and outputs of a task) so the simulator's hot loop indexes
/// arrays only.
///
/// Byte accounting convention (which `fused(groups:)` relies on): `bytesAccessed` of a task counts
/// one read of each input value, one write of each output value, plus any other traffic (weights).
public struct CostGraph: Sendable {
    /// Floating-point operations of each task (a multiply-add is 2).
    public let flops: ContiguousArray<Double>
    /// Bytes each task moves to and from device memory.
    public let bytesAccessed: ContiguousArray<Double>
    /// Op launches each task pays (1 for one op; a fused group pays 1).
    public let launches: ContiguousArray<Int32>
    /// Bytes held for the whole run by the device that runs the task (weights).
    public let residentBytes: ContiguousArray<Int>

    public let valueProducer: ContiguousArray<Int32>
    public let valueBytes: ContiguousArray<Int>
    /// Graph outputs: never freed on their producer's device.
    public let valueIsOutput: ContiguousArray<Bool>
    /// Consumers of value v: `consumers[consumerStart[v] ..< consumerStart[v + 1]]`. Index e into
    /// `consumers` names the *edge* v → consumers[e].
    public let consumerStart: ContiguousArray<Int32>
    public let consumers: ContiguousArray<Int32>
    /// The value of each edge.
    public let edgeValue: ContiguousArray<Int32>
    /// Edges into task t: `inputEdges[inputStart[t] ..< inputStart[t + 1]]`.
    public let inputStart: ContiguousArray<Int32>
    public let inputEdges: ContiguousArray<Int32>
    /// Values produced by task t: `outputValues[outputStart[t] ..< outputStart[t + 1]]`.
    public let outputStart: ContiguousArray<Int32>
    public let outputValues: ContiguousArray<Int32>
    /// A topological order of the tasks (Kahn's algorithm, smallest ready index first).
    public let topologicalOrder: ContiguousArray<Int32>
    /// What fusing this graph's tasks saves and keeps, when it says more than the defaults
    /// (``FusionAccounting``); nil for graphs built by hand.
    public let accounting: FusionAccounting?
    /// The graph's inputs (values no task produces) and the tasks that read each:
    /// `graphInputReaders[graphInputReaderStart[i] ..< graphInputReaderStart[i + 1]]`, distinct.
    /// Every device that runs a reader holds a copy for the whole step, as the runtime copies each
    /// input to the devices that read it (`withGraphInputs`; none for graphs built without them).
    public private(set) var graphInputBytes: ContiguousArray<Int> = []
    public private(set) var graphInputReaderStart: ContiguousArray<Int32> = [0]
    public private(set) var graphInputReaders: ContiguousArray<Int32> = []
    /// Bytes of graph inputs each task reads (empty when the graph has none).
    public private(set) var graphInputBytesPerTask: ContiguousArray<Int> = []

    public var taskCount: Int { flops.count }
    public var valueCount: Int { valueBytes.count }
    public var edgeCount: Int { consumers.count }

    /// The cost of one task.
    public struct Task: Hashable, Sendable {
        public var flops: Double
        public var bytesAccessed: Double
        public var launches: Int
        public var residentBytes: Int

        public init(flops: Double, bytesAccessed: Double, launches: Int = 1, residentBytes: Int = 0) {
            self.flops = flops
            self.bytesAccessed = bytesAccessed
            self.launches = launches
            self.residentBytes = residentBytes
        }
    }

    /// One value: its producer, size in bytes, consumers, and whether it is a graph output.
    public struct Value: Hashable, Sendable {
        public var producer: Int
        public var bytes: Int
        public var consumers: [Int]
        public var isOutput: Bool

        public init(producer: Int, bytes: Int, consumers: [Int], isOutput: Bool = false) {
            self.producer = producer
            self.bytes = bytes
            self.consumers = consumers
            self.isOutput = isOutput
        }
    }

    /// Builds and checks a graph. Duplicate consumers of one value are merged.
    public init(tasks: [Task], values: [Value]) throws(CostGraphError) {
        var start = ContiguousArray<Int32>([0])
        var flat = ContiguousArray<Int32>()
        for v in values {
            for c in v.consumers { flat.append(Int32(truncatingIfNeeded: c)) }
            start.append(Int32(flat.count))
        }
        try self.init(
            flops: ContiguousArray(tasks.map(\.flops)), bytesAccessed: ContiguousArray(tasks.map(\.bytesAccessed)),
            launches: ContiguousArray(tasks.map { Int32(clamping: $0.launches) }),
            residentBytes: ContiguousArray(tasks.map(\.residentBytes)),
            valueProducer: ContiguousArray(values.map { Int32(clamping: $0.producer) }),
            valueBytes: ContiguousArray(values.map(\.bytes)), valueIsOutput: ContiguousArray(values.map(\.isOutput)),
            consumerStart: start, consumers: flat)
    }

    /// Builds and checks a graph from flat arrays (the adaptor's fast path). Duplicate consumers of
    /// one value are merged; every problem found is reported.
    public init(flops: ContiguousArray<Double>, bytesAccessed: ContiguousArray<Double>, launches: ContiguousArray<Int32>,
                residentBytes: ContiguousArray<Int>, valueProducer: ContiguousArray<Int32>, valueBytes: ContiguousArray<Int>,
                valueIsOutput: ContiguousArray<Bool>, consumerStart: ContiguousArray<Int32>,
                consumers: ContiguousArray<Int32>, accounting: FusionAccounting? = nil) throws(CostGraphError) {
        var problems: [String] = []
        let t = flops.count, v = valueBytes.count
        if bytesAccessed.count != t || launches.count != t || residentBytes.count != t {
            problems.append("task arrays differ in length (flops \(t), bytes \(bytesAccessed.count), launches \(launches.count), resident \(residentBytes.count))")
        }
        if valueProducer.count != v || valueIsOutput.count != v || consumerStart.count != v + 1 {
            problems.append("value arrays differ in length (bytes \(v), producers \(valueProducer.count), outputs \(valueIsOutput.count), consumerStart \(consumerStart.count) ≠ \(v + 1))")
        }
        if let a = accounting, a.edgeReadBytes.count != consumers.count || a.valueWriteBytes.count != v
            || a.valueIsGraphOutput.count != v || a.weightBytes.count != t || a.weightsOnly.count != t {
            problems.append("fusion accounting arrays differ in length from the graph's")
        }
        guard problems.isEmpty else { throw CostGraphError(problems: problems) }
        for i in 0..<t {
            if !(flops[i].isFinite && flops[i] >= 0) { problems.append("task \(i): flops must be finite and ≥ 0, got \(flops[i])") }
            if !(bytesAccessed[i].isFinite && bytesAccessed[i] >= 0) {
                problems.append("task \(i): bytesAccessed must be finite and ≥ 0, got \(bytesAccessed[i])")
            }
            if launches[i] < 0 { problems.append("task \(i): launches must be ≥ 0, got \(launches[i])") }
            if residentBytes[i] < 0 { problems.append("task \(i): residentBytes must be ≥ 0, got \(residentBytes[i])") }
        }
        if consumerStart.first != 0 || consumerStart.last.map(Int.init) != consumers.count
            || zip(consumerStart, consumerStart.dropFirst()).contains(where: { $0 > $1 }) {
            problems.append("consumerStart must rise from 0 to the number of consumers (\(consumers.count))")
            throw CostGraphError(problems: problems)
        }
        // Merge duplicate consumers (their reads add up); check ranges and self-loops.
        var start = ContiguousArray<Int32>(repeating: 0, count: v + 1)
        var flat = ContiguousArray<Int32>()
        flat.reserveCapacity(consumers.count)
        var reads = ContiguousArray<Double>()
        var readEdge = ContiguousArray<Int32>(repeating: -1, count: accounting == nil ? 0 : t)
        var lastSeen = ContiguousArray<Int32>(repeating: -1, count: t)
        for value in 0..<v {
            let p = Int(valueProducer[value])
            if !(0..<t).contains(p) { problems.append("value \(value): producer \(p) is not a task (0..<\(t))") }
            if valueBytes[value] < 0 { problems.append("value \(value): bytes must be ≥ 0, got \(valueBytes[value])") }
            for e in Int(consumerStart[value])..<Int(consumerStart[value + 1]) {
                let c = Int(consumers[e])
                guard (0..<t).contains(c) else {
                    problems.append("value \(value): consumer \(c) is not a task (0..<\(t))")
                    continue
                }
                if c == p { problems.append("value \(value): task \(c) consumes its own output") }
                if lastSeen[c] == Int32(value) {
                    if let a = accounting { reads[Int(readEdge[c])] += a.edgeReadBytes[e] }
                    continue
                }
                lastSeen[c] = Int32(value)
                if let a = accounting {
                    readEdge[c] = Int32(reads.count)
                    reads.append(a.edgeReadBytes[e])
                }
                flat.append(Int32(c))
            }
            start[value + 1] = Int32(flat.count)
        }
        guard problems.isEmpty else { throw CostGraphError(problems: problems) }

        var edgeValue = ContiguousArray<Int32>(repeating: 0, count: flat.count)
        var inCount = ContiguousArray<Int32>(repeating: 0, count: t + 1)
        var outCount = ContiguousArray<Int32>(repeating: 0, count: t + 1)
        for value in 0..<v {
            outCount[Int(valueProducer[value]) + 1] += 1
            for e in Int(start[value])..<Int(start[value + 1]) {
                edgeValue[e] = Int32(value)
                inCount[Int(flat[e]) + 1] += 1
            }
        }
        for i in 0..<t {
            inCount[i + 1] += inCount[i]
            outCount[i + 1] += outCount[i]
        }
        var inputEdges = ContiguousArray<Int32>(repeating: 0, count: flat.count)
        var outputValues = ContiguousArray<Int32>(repeating: 0, count: v)
        var inFill = inCount, outFill = outCount
        for value in 0..<v {
            let p = Int(valueProducer[value])
            outputValues[Int(outFill[p])] = Int32(value)
            outFill[p] += 1
            for e in Int(start[value])..<Int(start[value + 1]) {
                let c = Int(flat[e])
                inputEdges[Int(inFill[c])] = Int32(e)
                inFill[c] += 1
            }
        }
        // Kahn's algorithm over task → task edges (a task waits for each of its input edges).
        var pending = ContiguousArray<Int32>(repeating: 0, count: t)
        for i in 0..<t { pending[i] = inCount[i + 1] - inCount[i] }
        var order = ContiguousArray<Int32>()
        order.reserveCapacity(t)
        for i in 0..<t where pending[i] == 0 { order.append(Int32(i)) }
        var head = 0
        while head < order.count {
            let task = Int(order[head])
            head += 1
            for o in Int(outCount[task])..<Int(outCount[task + 1]) {
                let value = Int(outputValues[o])
                for e in Int(start[value])..<Int(start[value + 1]) {
                    let c = Int(flat[e])
                    pending[c] -= 1
                    if pending[c] == 0 { order.append(Int32(c)) }
                }
            }
        }
        if order.count < t {
            let stuck = (0..<t).filter { pending[$0] > 0 }
            throw CostGraphError(problems: ["the graph has a cycle through tasks \(stuck.prefix(8).map(String.init).joined(separator: ", "))\(stuck.count > 8 ? ", …" : "")"])
        }

        self.flops = flops
        self.bytesAccessed = bytesAccessed
        self.launches = launches
        self.residentBytes = residentBytes
        self.valueProducer = valueProducer
        self.valueBytes = valueBytes
        self.valueIsOutput = valueIsOutput
        self.consumerStart = start
        self.consumers = flat
        self.edgeValue = edgeValue
        self.inputStart = inCount
        self.inputEdges = inputEdges
        self.outputStart = outCount
        self.outputValues = outputValues
        self.topologicalOrder = order
        if var a = accounting {
            a.edgeReadBytes = reads
            self.accounting = a
        } else {
            self.accounting = nil
        }
    }

    /// The tasks consuming value `v`.
    public func consumers(of v: Int) -> ArraySlice<Int32> { consumers[Int(consumerStart[v])..<Int(consumerStart[v + 1])] }

    /// The tasks whose values task `t` consumes (with repetition if it reads several of one producer's values).
    public func predecessors(of t: Int) -> [Int] {
        (Int(inputStart[t])..<Int(inputStart[t + 1])).map { Int(valueProducer[Int(edgeValue[Int(inputEdges[$0])])]) }
    }

    /// The graph with inputs of `bytes` read by the tasks of `readers` (one list per input; tasks
    /// may repeat). Throws when a reader is not a task.
    public func withGraphInputs(bytes: [Int], readers: [[Int]]) throws(CostGraphError) -> CostGraph {
        var out = self
        out.graphInputBytes = ContiguousArray(bytes.map { max(0, $0) })
        out.graphInputReaderStart = [0]
        out.graphInputReaders = []
        out.graphInputBytesPerTask = bytes.isEmpty ? [] : ContiguousArray(repeating: 0, count: taskCount)
        for (i, list) in readers.enumerated() {
            for t in Set(list).sorted() {
                guard (0..<taskCount).contains(t) else {
                    throw CostGraphError(problems: ["graph input \(i) is read by task \(t), which does not exist (\(taskCount) tasks)"])
                }
                out.graphInputReaders.append(Int32(t))
                let (sum, overflow) = out.graphInputBytesPerTask[t].addingReportingOverflow(out.graphInputBytes[i])
                out.graphInputBytesPerTask[t] = overflow ? .max : sum
            }
            out.graphInputReaderStart.append(Int32(out.graphInputReaders.count))
        }
        return out
    }

    /// The readers of graph input `i`.
    public func graphInputReaders(of i: Int) -> ArraySlice<Int32> {
        graphInputReaders[Int(graphInputReaderStart[i])..<Int(graphInputReaderStart[i + 1])]
    }

    /// Bytes live while task `t` runs, wherever it is placed: its weights, inputs and outputs.
    public func workingSet(of t: Int) -> Int {
        var bytes = residentBytes[t]
        for i in Int(inputStart[t])..<Int(inputStart[t + 1]) { bytes += valueBytes[Int(edgeValue[Int(inputEdges[i])])] }
        for o in Int(outputStart[t])..<Int(outputStart[t + 1]) { bytes += valueBytes[Int(outputValues[o])] }
        return bytes
    }
}

/// A cost graph that cannot be built: every problem found.
public struct CostGraphError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { problems.map { "error: \($0)" }.joined(separator: "\n") }
}
