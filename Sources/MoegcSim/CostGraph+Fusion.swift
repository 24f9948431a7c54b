/// The result of fusing a cost graph: the smaller graph and how old tasks and values map into it.
public struct FusedCostGraph: Sendable {
    public var graph: CostGraph
    /// The fused task (group) of each original task.
    public var taskGroup: [Int]
    /// The fused value of each original value, or nil when fusion made it internal to a group.
    public var valueMap: [Int?]
}

extension CostGraph {
    /// Fuses a partition of the tasks into groups, so fused and unfused graphs can be simulated side
    /// by side. `groups[t]` is task t's group; groups are `0..<G` and none may be empty.
    ///
    /// A group becomes one task that
    /// - adds its members' flops and resident bytes;
    /// - pays one launch (a one-task group keeps its own launch count);
    /// - skips the memory round trips inside it: each read of a value by a member of the producing
    ///   group is removed from `bytesAccessed`, and so is the value's write when no other group reads
    ///   it and it is not a graph output (then the value disappears: it never exists in memory).
    /// Values crossing groups keep their sizes; their consumers become the distinct consuming groups.
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
        var tasks = (0..<groupCount).map { _ in Task(flops: 0, bytesAccessed: 0, launches: 1, residentBytes: 0) }
        for t in 0..<taskCount {
            let g = groups[t]
            tasks[g].flops += flops[t]
            tasks[g].bytesAccessed += bytesAccessed[t]
            tasks[g].residentBytes += residentBytes[t]
            if members[g] == 1 { tasks[g].launches = Int(launches[t]) }
        }
        var values: [Value] = []
        var valueMap = [Int?](repeating: nil, count: valueCount)
        var seen = [Int](repeating: -1, count: groupCount)
        for v in 0..<valueCount {
            let g = groups[Int(valueProducer[v])]
            let size = Double(valueBytes[v])
            var outside: [Int] = []
            for c in consumers(of: v) {
                let h = groups[Int(c)]
                if h == g {
                    tasks[g].bytesAccessed -= size // the member reads it from registers, not memory
                } else if seen[h] != v {
                    seen[h] = v
                    outside.append(h)
                }
            }
            if outside.isEmpty && !valueIsOutput[v] {
                tasks[g].bytesAccessed -= size // never written out
                continue
            }
            valueMap[v] = values.count
            values.append(Value(producer: g, bytes: valueBytes[v], consumers: outside, isOutput: valueIsOutput[v]))
        }
        for g in tasks.indices { tasks[g].bytesAccessed = max(0, tasks[g].bytesAccessed) }
        do {
            return FusedCostGraph(graph: try CostGraph(tasks: tasks, values: values), taskGroup: groups, valueMap: valueMap)
        } catch {
            throw CostGraphError(problems: ["this fusion makes the graph cyclic: " + error.problems.joined(separator: "; ")])
        }
    }
}
