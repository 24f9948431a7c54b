import MoegcSim

/// The graph's topological order cut into contiguous segments, one per device in the cluster's
/// device order, at the cut points that minimise the step's compute and transfer time for that
/// order — the dynamic program pipeline and latency partitioners solve for a sequence of layers.
///
/// Algorithm
/// ---------
/// Tasks t₁ … tₙ in topological order; devices 1 … D in cluster order (a host's devices together).
/// A placement uses devices 1 … K for some K ≤ D, device k holding a non-empty run (iₖ₋₁, iₖ]:
///
///     t₁ … t_i₁ │ t_i₁₊₁ … t_i₂ │ … │ … tₙ
///       dev 1   │     dev 2     │   │ dev K          cost = Σₖ compute_k(iₖ₋₁, iₖ] + Σ cut(iₖ₋₁, k)
///
/// compute_k is the roofline time of the run on device k (prefix sums per device kind); cut(i, k) is
/// the time to move every value made before the cut and read after it, from device k−1 to device
/// k, at the path's latency per value and bandwidth (a value that crosses several cuts pays each:
/// the proxy errs against long jumps); a run's weights must fit its device's weight budget.
///
///     F_k(j) = P_k(j) + min over i ∈ [lo_k(j), j) of (F_{k−1}(i) − P_k(i) + cut(i, k)),   F_0(0) = 0
///
/// with P_k the prefix compute on device k and lo_k(j) the first i whose run (i, j] fits device k.
/// lo_k rises with j, so the inner minimum is a sliding-window minimum (a monotone deque): O(n)
/// per device, O(n · D) in all, linear in the graph. The answer is min over K of F_K(n), the
/// fewest devices on ties; cut points come from the argmins. It is optimal for the objective and
/// the order, not for the simulator: the placement is then ordered by b-level and simulated like
/// every other placer's, where parallel branches may overlap.
public struct LinearPartitionPlacer: Placer {
    public let name = "linear"
    public let summary = "the topological order cut into contiguous device runs by dynamic programming (compute + transfers, memory limits)"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, costs = problem.costs, cluster = problem.cluster
        let n = problem.taskCount, d = problem.deviceCount
        guard n > 0 else { return [] }
        let order = g.topologicalOrder.map(Int.init)
        var position = [Int](repeating: 0, count: n)
        for (p, t) in order.enumerated() { position[t] = p }

        // Prefix compute per device kind, prefix weights.
        let kinds = cluster.devices.map(\.kind)
        var prefix = [Int: [Double]]()
        for k in Set(kinds) {
            let device = kinds.firstIndex(of: k)!
            var p = [Double](repeating: 0, count: n + 1)
            for (i, t) in order.enumerated() { p[i + 1] = p[i] + costs.time(of: t, in: g, on: device) }
            prefix[k] = p
        }
        var weights = [Int](repeating: 0, count: n + 1)
        for (i, t) in order.enumerated() { weights[i + 1] = weights[i] + problem.weights[t] }

        // Bytes and values crossing the cut after i tasks (produced before it, read at or after it).
        var crossBytes = [Double](repeating: 0, count: n + 2), crossValues = [Double](repeating: 0, count: n + 2)
        for v in 0..<g.valueCount {
            let p = position[Int(g.valueProducer[v])]
            guard let last = g.consumers(of: v).map({ position[Int($0)] }).max(), last > p else { continue }
            crossBytes[p + 1] += Double(g.valueBytes[v]); crossBytes[last + 1] -= Double(g.valueBytes[v])
            crossValues[p + 1] += 1; crossValues[last + 1] -= 1
        }
        for i in 1...(n + 1) {
            crossBytes[i] += crossBytes[i - 1]
            crossValues[i] += crossValues[i - 1]
        }

        let infinity = Double.infinity
        var previous = [Double](repeating: infinity, count: n + 1)
        previous[0] = 0
        var argmin = [[Int32]]()
        var best: (cost: Double, devices: Int)? = nil
        for k in 0..<d {
            let p = prefix[kinds[k]]!, budget = problem.weightBudget(k)
            let latency = k > 0 ? costs.transferTime(bytes: 0, from: k - 1, to: k) : 0
            let perByte = k > 0 ? costs.transferTime(bytes: 1, from: k - 1, to: k) - latency : 0
            func key(_ i: Int) -> Double {
                let cut = i == 0 ? 0 : crossValues[i] * latency + crossBytes[i] * perByte
                return previous[i] - p[i] + cut
            }
            var current = [Double](repeating: infinity, count: n + 1)
            var arg = [Int32](repeating: -1, count: n + 1)
            var window = [Int](), head = 0, lo = 0
            for j in 1...n {
                let i = j - 1
                if previous[i] < infinity {
                    let ki = key(i)
                    while window.count > head && key(window[window.count - 1]) >= ki { window.removeLast() }
                    window.append(i)
                }
                while weights[j] - weights[lo] > budget { lo += 1 }
                while head < window.count && window[head] < lo { head += 1 }
                guard head < window.count else { continue }
                let i0 = window[head]
                current[j] = key(i0) + p[j]
                arg[j] = Int32(i0)
            }
            argmin.append(arg)
            if current[n] < (best?.cost ?? infinity) { best = (current[n], k + 1) }
            previous = current
        }
        guard let best else {
            let heaviest = order.max { problem.weights[$0] < problem.weights[$1] }!
            throw .infeasible("the topological order cannot be cut into runs that fit the devices' weight budgets "
                + "(the heaviest task, \(problem.tasks.name(of: heaviest, in: problem.graph)), holds \(formatBytes(problem.weights[heaviest])))")
        }
        var devices = [Int32](repeating: 0, count: n)
        var j = n
        for k in stride(from: best.devices - 1, through: 0, by: -1) {
            let i = Int(argmin[k][j])
            for q in i..<j { devices[order[q]] = Int32(k) }
            j = i
        }
        return devices
    }
}
