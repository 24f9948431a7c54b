/// What fusing tasks saves and keeps, beyond what the cost graph's own arrays say. The IR adaptor
/// (`TaskGraph`) builds a graph of one task per IR node with this, then fuses it by the fusion
/// groups: so the fused task graph and any later regrouping of it (the policy's merges) are
/// costed by one rule. Without it (graphs built by hand), every internal read and write of a
/// value saves its bytes, no task holds only weights, and a value is an output if marked so.
public struct FusionAccounting: Sendable, Hashable {
    /// Per edge (in `consumers` order): the bytes its consumer reads of the value from memory,
    /// saved when the consumer joins the producer's group (0 for a weight, which is read from
    /// memory inside a group too, and for a consumer that reads nothing, a view).
    public var edgeReadBytes: ContiguousArray<Double>
    /// Per value: the bytes its producer writes, saved when the value stays inside its group and
    /// is no graph output (0 for a weight, which is never written).
    public var valueWriteBytes: ContiguousArray<Double>
    /// Per value: whether it is an output of the graph.
    public var valueIsGraphOutput: ContiguousArray<Bool>
    /// Per task: the bytes of weights it keeps on its device. A task of weights only holds them in
    /// its output values (never freed), so its `residentBytes` are 0; otherwise they are equal.
    public var weightBytes: ContiguousArray<Int>
    /// Per task: whether it is made of weights only.
    public var weightsOnly: ContiguousArray<Bool>

    public init(edgeReadBytes: ContiguousArray<Double>, valueWriteBytes: ContiguousArray<Double>,
                valueIsGraphOutput: ContiguousArray<Bool>, weightBytes: ContiguousArray<Int>, weightsOnly: ContiguousArray<Bool>) {
        self.edgeReadBytes = edgeReadBytes
        self.valueWriteBytes = valueWriteBytes
        self.valueIsGraphOutput = valueIsGraphOutput
        self.weightBytes = weightBytes
        self.weightsOnly = weightsOnly
    }
}

/// The result of fusing a cost graph: the smaller graph and how old tasks and values map into it.
public struct FusedCostGraph: Sendable {
    public var graph: CostGraph
    /// The fused task (group) of each original task.
    public var taskGroup: [Int]
    /// The fused value of each original value, or nil when fusion made it internal to a group.
    public var valueMap: [Int?]
}

extension CostGraph {
    /// Fuses a partition of the tasks into groups — the one fusion cost rule. `groups[t]` is task
    /// t's group; groups are `0..<G` and none may be empty.
    ///
    /// A group becomes one task that
    /// - adds its members' flops, bytes accessed and weights;
    /// - pays one launch if any member does (a one-task group keeps its own launch count);
    /// - skips the memory round trips inside it: the read of a value by a member of the producing
    ///   group is removed from `bytesAccessed` (`FusionAccounting.edgeReadBytes`), and so is the
    ///   value's write when no other group reads it and it is not a graph output (then the value
    ///   disappears: it never exists in memory);
    /// - when made of weights only, holds them in its output values, never freed.
    /// Values crossing groups keep their sizes; their consumers become the distinct consuming
    /// groups, in order of first appearance. Fusing twice is fusing once by the composed groups.
    /// Throws when the partition would create a cycle (a path leaving a group and coming back).
    public func fused(groups: [Int]) throws(CostGraphError) -> FusedCostGraph {
        guard groups.count == taskCount else {
            throw CostGraphError(problems: ["fusion needs a group for each of \(taskCount) tasks, got \(groups.count)"])
        }
        let groupCount = (groups.max() ?? -1) + 1
        var members = [Int](repeating: 0, count: groupCount)
        for (t, g) in groups.enumerated() {
            guard g >= 0 else { throw CostGraphError(problems: ["task \(t) has negative group \(g)"]) }
            members[g] += 1
        }
        if let empty = members.firstIndex(of: 0) {
            throw CostGraphError(problems: ["group \(empty) has no tasks (groups must be 0..<\(groupCount))"])
        }
        let a = accounting
        var flops = ContiguousArray<Double>(repeating: 0, count: groupCount)
        var bytes = ContiguousArray<Double>(repeating: 0, count: groupCount)
        var launches = ContiguousArray<Int32>(repeating: 0, count: groupCount)
        var weights = ContiguousArray<Int>(repeating: 0, count: groupCount)
        var weightsOnly = ContiguousArray<Bool>(repeating: a != nil, count: groupCount)
        for t in 0..<taskCount {
            let g = groups[t]
            flops[g] += self.flops[t]
            bytes[g] += bytesAccessed[t]
            weights[g] += a?.weightBytes[t] ?? residentBytes[t]
            launches[g] = members[g] == 1 ? self.launches[t] : min(1, launches[g] + self.launches[t])
            if let a, !a.weightsOnly[t] { weightsOnly[g] = false }
        }
        var valueProducer = ContiguousArray<Int32>(), valueBytes = ContiguousArray<Int>()
        var valueIsOutput = ContiguousArray<Bool>(), valueIsGraphOutput = ContiguousArray<Bool>()
        var valueWrites = ContiguousArray<Double>(), edgeReads = ContiguousArray<Double>()
        var consumerStart = ContiguousArray<Int32>([0]), outside = ContiguousArray<Int32>()
        var valueMap = [Int?](repeating: nil, count: valueCount)
        var edgeOf = [Int](repeating: -1, count: groupCount) // the new edge of a consuming group, for the value in hand
        var seen = [Int](repeating: -1, count: groupCount)
        for v in 0..<valueCount {
            let g = groups[Int(self.valueProducer[v])]
            let begin = outside.count
            for e in Int(self.consumerStart[v])..<Int(self.consumerStart[v + 1]) {
                let h = groups[Int(consumers[e])]
                let read = a?.edgeReadBytes[e] ?? Double(self.valueBytes[v])
                if h == g {
                    bytes[g] -= read // the member reads it from registers, not memory
                } else if seen[h] != v {
                    seen[h] = v
                    edgeOf[h] = outside.count
                    outside.append(Int32(h))
                    edgeReads.append(read)
                } else {
                    edgeReads[edgeOf[h]] += read
                }
            }
            let graphOutput = a?.valueIsGraphOutput[v] ?? self.valueIsOutput[v]
            if outside.count == begin && !graphOutput {
                bytes[g] -= a?.valueWriteBytes[v] ?? Double(self.valueBytes[v]) // never written out
                continue
            }
            valueMap[v] = valueProducer.count
            valueProducer.append(Int32(g))
            valueBytes.append(self.valueBytes[v])
            valueIsGraphOutput.append(graphOutput)
            valueIsOutput.append(graphOutput || (a != nil && weightsOnly[g]))
            valueWrites.append(a?.valueWriteBytes[v] ?? Double(self.valueBytes[v]))
            consumerStart.append(Int32(outside.count))
        }
        for g in 0..<groupCount { bytes[g] = max(0, bytes[g]) }
        let resident = ContiguousArray((0..<groupCount).map { weightsOnly[$0] ? 0 : weights[$0] })
        let accounting = a.map { _ in
            FusionAccounting(edgeReadBytes: edgeReads, valueWriteBytes: valueWrites, valueIsGraphOutput: valueIsGraphOutput,
                             weightBytes: weights, weightsOnly: weightsOnly)
        }
        do {
            var graph = try CostGraph(flops: flops, bytesAccessed: bytes, launches: launches, residentBytes: resident,
                                      valueProducer: valueProducer, valueBytes: valueBytes, valueIsOutput: valueIsOutput,
                                      consumerStart: consumerStart, consumers: outside, accounting: accounting)
            if !graphInputBytes.isEmpty {
                graph = try graph.withGraphInputs(bytes: Array(graphInputBytes), readers: graphInputBytes.indices.map { i in
                    graphInputReaders(of: i).map { groups[Int($0)] }
                })
            }
            return FusedCostGraph(graph: graph, taskGroup: groups, valueMap: valueMap)
        } catch {
            throw CostGraphError(problems: ["this fusion makes the graph cyclic: " + error.problems.joined(separator: "; ")])
        }
    }
}
