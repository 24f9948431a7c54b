import MoegcPlacement
import MoegcSim

/// The fusion decisions the policy's fusion head makes on top of the rule-based fusion pass: a task
/// whose every input comes from one other task (its *sole producer*) may be merged into that task's
/// group, when both are on the same device. A merged group runs as one kernel launch and skips the
/// memory round trips of the values between its members (the cost model's rule for any fused group,
/// ``CostGraph/fused(groups:)``); in exchange it starts only when all its inputs are ready and its
/// outputs appear only when all of it has run, so merging can delay a consumer on another device.
/// Whether that trade pays is what the head learns.
///
/// Merges never create a cycle: every merged member's only inputs come from inside its group, so a
/// path that leaves the group can re-enter it only through the group's first task, which would close
/// a cycle in the (acyclic) task graph. Merges never cross a device boundary (like the fusion pass).
public struct TaskMerging: Sendable, Hashable {
    /// The sole producer task of each task, or −1 (no inputs, or inputs from several tasks).
    public let soleProducer: [Int32]
    /// Tasks with a sole producer, in increasing order: the fusion head's decisions, one each.
    public let candidates: [Int32]

    public init(_ graph: CostGraph) {
        var sole = [Int32](repeating: -1, count: graph.taskCount)
        var candidates: [Int32] = []
        for t in 0..<graph.taskCount {
            // One pass over t's input edges, no array per task (this runs on 400k-task graphs).
            var producer: Int32 = -1
            for i in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
                let p = graph.valueProducer[Int(graph.edgeValue[Int(graph.inputEdges[i])])]
                if producer == -1 { producer = p } else if p != producer { producer = -2; break }
            }
            guard producer >= 0 else { continue }
            sole[t] = producer
            candidates.append(Int32(t))
        }
        self.soleProducer = sole
        self.candidates = candidates
    }

    /// The group of every task when candidate `candidates[i]` is merged into its producer's group
    /// wherever `merge[i]` is true and both sit on the same device in `placement`; groups numbered
    /// `0..<G` in order of their lowest-numbered task. Nil when nothing merges (the graph is unchanged).
    public func groups(merge: [Bool], placement: [Int]) -> (groups: [Int], count: Int)? {
        precondition(merge.count == candidates.count, "TaskMerging: one decision per candidate")
        var sets = DisjointSets(soleProducer.count)
        var merged = false
        for (i, t) in candidates.enumerated() where merge[i] {
            let p = Int(soleProducer[Int(t)])
            guard placement[p] == placement[Int(t)] else { continue }
            sets.union(p, Int(t))
            merged = true
        }
        guard merged else { return nil }
        let (labels, count) = sets.labels()
        return (labels.map { Int($0) }, count)
    }
}
