import MoegcIR
import MoegcSim

/// The MoE all-to-all volume bound (MISSION.md: bytes ≥ tokens·k·d_model·bytes·(1 − local fraction)),
/// made a lower bound on *time* that holds for every placement on a given cluster.
///
/// Each `moe_combine` is one routing level: its operand 0 is the rows `x` [T, d] the level routes,
/// operands 1–3 the routing (positions, tokens, weights), and the rest one output per *branch* (an
/// expert, or a whole group of a hierarchical MoE). A branch is everything its output depends on
/// back to `x` and the routing; its *entry* tasks are those reading `x` or the routing directly (the
/// dispatch), the rest its *body*. Let s be the bytes a body reads from its entries (the expert's
/// rows, ≈ T·k/n·d·4: summed over n branches, tokens·k·d_model·bytes).
///
/// Take any placement and let H be the device producing `x`; say r branches have some body task on
/// H and n − r have none (they are *remote*). Then:
///   - **traffic**: every remote body needs its rows off H. Either `x` itself leaves H (≥ |x| bytes),
///     or it never does, so every dispatch feeding a remote body runs on H and each remote body's rows
///     cross: ≥ (n − r)·s bytes. Everything leaving H crosses H's one outbound link channel, which
///     carries one transfer at a time, so the step takes ≥ min(|x|, (n − r)·s) / bandwidth(H:out).
///   - **compute**: the r local branches each run at least their cheapest body task on H: ≥ r·t_H,
///     t_H the least such task time on H over all branches.
///   - **memory**: each local branch keeps at least its lightest body task's weights on H, so
///     r ≤ capacity(H) / w (w the least such weights; no limit when some body task holds none).
/// So step ≥ min over H, min over feasible r of max(r·t_H, min(|x|, (n − r)·s) / bandwidth(H:out));
/// with one device nothing can be remote and r = n. A level whose `x` is a graph input gives no
/// bound (inputs are fed to every device before the step). Least values over branches (t_H, s, w) keep it a
/// bound when branches differ. Each level gives one bound; the largest is reported as
/// `moe-all-to-all`. Weaker than an exact min-cut, but valid for any placement, and it grows with what
/// the paper's §3 worries about: experts whose compute per byte moved is small.
/// Not counted: the return trip of expert outputs into the combine (a second, symmetric bound).
public enum MoEAllToAllBound {
    public static func bounds(graph: Graph, tasks: TaskGraph, costs: CostModel) -> [NamedBound] {
        var best = 0.0
        var seen = [Int32](repeating: -1, count: graph.nodes.count)
        var taskSeen = [Int32](repeating: -1, count: tasks.taskCount)
        var entry = [Int32](repeating: -1, count: graph.nodes.count) // stamp: the node is an entry of this branch
        var stamp: Int32 = 0
        for node in graph.nodes where node.op == .moe_combine && node.operands.count > 4 {
            let stops = Array(node.operands.prefix(4))
            let x = node.operands[0]
            // Graph inputs are on every device before the step: nothing need move.
            guard graph.values[x.index].producer != nil else { continue }
            let xBytes = graph.type(of: x).expectedBytes
            var minRows = Double.infinity, minWeights = Int.max
            var minTime = [Double](repeating: .infinity, count: costs.deviceCount)
            for y in node.operands.dropFirst(4) {
                stamp += 1
                guard let branch = region(graph, from: y, stops: stops, seen: &seen, stamp: stamp) else { continue }
                // Entry nodes read a stop value; the body is the rest.
                for i in branch where graph.nodes[i].operands.contains(where: { stops.contains($0) }) { entry[i] = stamp }
                var rows = 0.0
                var bodyTasks: [Int] = []
                for i in branch where entry[i] != stamp {
                    for v in graph.nodes[i].operands {
                        if let p = graph.values[v.index].producer?.index, entry[p] == stamp {
                            rows += graph.type(of: v).expectedBytes
                        }
                    }
                    let k = Int(tasks.nodeTask[i])
                    if taskSeen[k] != stamp && !tasks.members(of: k).contains(where: { entry[Int($0)] == stamp }) {
                        taskSeen[k] = stamp
                        bodyTasks.append(k)
                    }
                }
                guard !bodyTasks.isEmpty else { continue }
                minRows = min(minRows, rows)
                for d in 0..<costs.deviceCount {
                    for k in bodyTasks { minTime[d] = min(minTime[d], costs.time(of: k, in: tasks.costGraph, on: d)) }
                }
                for k in bodyTasks { minWeights = min(minWeights, tasks.weightBytes[k]) }
            }
            let n = node.operands.count - 4
            guard minRows.isFinite else { continue }
            best = max(best, levelBound(branches: n, xBytes: xBytes, rows: minRows, bodyTime: minTime,
                                        bodyWeights: minWeights, costs: costs))
        }
        return best > 0 ? [NamedBound("moe-all-to-all", seconds: best)] : []
    }

    /// min over H and feasible r of max(r·t_H, min(|x|, (n − r)·s) / bandwidth(H:out)).
    static func levelBound(branches n: Int, xBytes: Double, rows s: Double, bodyTime: [Double], bodyWeights w: Int,
                           costs: CostModel) -> Double {
        let devices = costs.deviceCount
        var best = Double.infinity
        for h in 0..<devices {
            let capacity = costs.cluster.memoryCapacity(h)
            let fit = w > 0 ? min(n, capacity / w) : n
            let bandwidth = costs.cluster.devices[h].link.bandwidth
            let t = bodyTime[h]
            let lowest = devices == 1 ? n : 0
            guard fit >= lowest else { continue } // cannot hold what must be local: infeasible, no bound from H
            for r in lowest...fit {
                let traffic = min(xBytes, Double(n - r) * s) / bandwidth
                best = min(best, max(Double(r) * t, traffic))
                if Double(r) * t >= traffic { break } // compute only grows from here
            }
        }
        return best.isFinite ? best : 0
    }

    /// Nodes `y` depends on, stopping at the `stops` values; nil if it reaches a graph input first
    /// (then `y` is not a branch of this routing).
    static func region(_ graph: Graph, from y: ValueID, stops: [ValueID], seen: inout [Int32], stamp: Int32) -> [Int]? {
        guard let p = graph.values[y.index].producer?.index else { return nil }
        var out: [Int] = [], stack = [p]
        seen[p] = stamp
        while let u = stack.popLast() {
            out.append(u)
            for v in graph.nodes[u].operands where !stops.contains(v) {
                guard let q = graph.values[v.index].producer?.index else { return nil }
                if seen[q] != stamp {
                    seen[q] = stamp
                    stack.append(q)
                }
            }
        }
        return out
    }
}
