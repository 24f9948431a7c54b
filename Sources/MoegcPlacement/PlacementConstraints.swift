import MoegcIR
import MoegcSim

/// What a placement must respect beyond memory: the devices each task may run on (the device kinds
/// of its nodes' `devices` annotations, and a placement file's pins), and its co-location unit
/// (`PlacementProblem.unit`: `colocate` names, an expert's tasks). Every placer's decision goes
/// through `PlacementProblem.enforce`, so every placer honours them; m-ETF and HEFT also keep to
/// the allowed devices while they schedule.
public struct PlacementConstraints: Sendable {
    /// Flat `[task · devices + device]`: whether the task may run there; nil when every task may
    /// run everywhere.
    public private(set) var allowed: [Bool]?
    /// The device each task is pinned to (−1: free), and its pinned position in that device's
    /// order (−1: none).
    public internal(set) var pin: [Int32]
    public internal(set) var pinnedOrder: [Int32]
    /// Whether each co-location unit binds every placer (`PlacementProblem.init` says which do).
    public let binding: [Bool]
    /// Some binding unit has more than one task (nothing to co-locate otherwise).
    public let hasUnits: Bool
    let deviceCount: Int

    /// Whether any constraint could change a placer's decision.
    public var isEmpty: Bool { allowed == nil && !hasUnits && !pin.contains { $0 >= 0 } }

    /// Whether task `t` may run on device `d` (its kinds and its pin).
    @inline(__always)
    public func mayRun(_ t: Int, on d: Int) -> Bool {
        (pin[t] < 0 || Int(pin[t]) == d) && (allowed?[t * deviceCount + d] ?? true)
    }

    /// The kind restrictions of `graph`'s nodes, per task, on `cluster`.
    init(graph: Graph, tasks: TaskGraph, cluster: Cluster, unit: [Int32], unitCount: Int, binding: [Bool]) throws(PlacementError) {
        let t = tasks.taskCount, d = cluster.deviceCount
        deviceCount = d
        pin = [Int32](repeating: -1, count: t)
        pinnedOrder = [Int32](repeating: -1, count: t)
        self.binding = binding
        var size = [Int](repeating: 0, count: unitCount)
        for task in 0..<t { size[Int(unit[task])] += 1 }
        hasUnits = (0..<unitCount).contains { binding[$0] && size[$0] > 1 }
        var allowed: [Bool]? = nil
        let kindNames = cluster.kinds.map(\.name)
        for (i, node) in graph.nodes.enumerated() {
            guard let names = node.attributes["devices"]?.nameListValue else { continue }
            let name = node.results.first.map { "%" + graph[$0].name } ?? "a node"
            var kinds = Set<Int>()
            for kindName in names {
                guard let k = kindNames.firstIndex(of: kindName) else {
                    throw .invalidGraph("\(name) (\(node.op)) may run only on device kind '\(kindName)', which cluster '\(cluster.name)' "
                        + "does not have (its kinds: \(kindNames.joined(separator: ", ")))")
                }
                kinds.insert(k)
            }
            if allowed == nil { allowed = [Bool](repeating: true, count: t * d) }
            let task = Int(tasks.nodeTask[i])
            for device in 0..<d where !kinds.contains(cluster.devices[device].kind) { allowed![task * d + device] = false }
            if !(0..<d).contains(where: { allowed![task * d + $0] }) {
                throw .invalidGraph("\(name) (\(node.op)) may run only on \(names.joined(separator: ", ")), but the nodes fused "
                    + "with it exclude those kinds: no device of '\(cluster.name)' can run its task")
            }
        }
        // A binding unit runs where all its tasks may.
        if var a = allowed, hasUnits {
            var unitAllowed = [Bool](repeating: true, count: unitCount * d)
            for task in 0..<t where binding[Int(unit[task])] {
                for device in 0..<d where !a[task * d + device] { unitAllowed[Int(unit[task]) * d + device] = false }
            }
            for task in 0..<t where binding[Int(unit[task])] {
                let u = Int(unit[task])
                guard (0..<d).contains(where: { unitAllowed[u * d + $0] }) else {
                    let who = tasks.name(of: task, in: graph)
                    throw .invalidGraph("the co-location group of \(who) mixes device restrictions that no device of '\(cluster.name)' meets")
                }
                for device in 0..<d { a[task * d + device] = unitAllowed[u * d + device] }
            }
            allowed = a
        }
        self.allowed = allowed
    }
}

extension PlacementProblem {
    /// `devices` changed as little as the constraints need: pinned tasks to their pins, every task
    /// to a device it may use, every binding co-location unit onto one device — the device that
    /// already holds most of the unit's weights (then its compute) among those all its tasks may use
    /// and whose weight budget has room, else the allowed device with the most room. A decision that
    /// meets the constraints comes back unchanged. Memory is checked when the placement is evaluated.
    public func enforce(_ devices: [Int32]) throws(PlacementError) -> [Int32] {
        let c = constraints
        guard !c.isEmpty else { return devices }
        var out = devices
        let g = costGraph
        var ledger = WeightLedger(self)
        for task in 0..<taskCount { ledger.add(weights[task], on: Int(out[task])) }

        /// Moves `members` (a binding unit, or one task) onto one device they may all use.
        func gather(_ members: [Int]) throws(PlacementError) {
            let first = members[0]
            var pinned: Int32 = -1
            for task in members where c.pin[task] >= 0 {
                if pinned >= 0 && pinned != c.pin[task] {
                    throw .invalidPlacement("\(tasks.name(of: first, in: graph)) and the tasks it must share a device with are pinned "
                        + "to two devices, \(cluster.devices[Int(pinned)].name) and \(cluster.devices[Int(c.pin[task])].name)")
                }
                pinned = c.pin[task]
            }
            if members.allSatisfy({ out[$0] == out[first] && c.mayRun($0, on: Int(out[$0])) }) { return }
            let weight = members.reduce(0) { $0 + weights[$1] }
            var target: Int
            if pinned >= 0 {
                target = Int(pinned)
            } else {
                // Devices the tasks already sit on, most weights (then flops) first.
                var share = [Int: (weights: Int, flops: Double)]()
                for task in members {
                    let device = Int(out[task])
                    share[device, default: (0, 0)].weights += weights[task]
                    share[device, default: (0, 0)].flops += g.flops[task]
                }
                func fits(_ device: Int) -> Bool {
                    let here = members.reduce(0) { $0 + (Int(out[$1]) == device ? weights[$1] : 0) }
                    return ledger.free(device) + here >= weight
                }
                let allowed = (0..<deviceCount).filter { device in members.allSatisfy { c.mayRun($0, on: device) } }
                let sitting = share.keys.filter(allowed.contains)
                    .sorted { (share[$0]!.weights, share[$0]!.flops, -$0) > (share[$1]!.weights, share[$1]!.flops, -$1) }
                if let chosen = sitting.first(where: fits)
                    ?? allowed.filter(fits).max(by: { (ledger.free($0), -$0) < (ledger.free($1), -$1) }) {
                    target = chosen
                } else if let over = sitting.first ?? allowed.first {
                    target = over // over budget: the evaluation reports which device and by how much
                } else {
                    throw .infeasible("no device may run \(tasks.name(of: first, in: graph))"
                        + (members.count > 1 ? " and the tasks it must share a device with" : ""))
                }
            }
            for task in members where Int(out[task]) != target {
                ledger.remove(weights[task], from: Int(out[task]))
                ledger.add(weights[task], on: target)
                out[task] = Int32(target)
            }
        }

        for (u, members) in unitMembers().enumerated() {
            if c.binding[u] {
                try gather(members)
            } else {
                for task in members where !c.mayRun(task, on: Int(out[task])) { try gather([task]) }
            }
        }
        return out
    }
}
