import MoegcIR
import MoegcSim
import MoegcSupport

extension PlacementConstraints {
    /// Every task has a pinned device (a placement file placed every node).
    public var pinsEveryTask: Bool { !pin.isEmpty && !pin.contains { $0 < 0 } }
    /// A placement file fixed the devices' orders too (it places every node).
    public var pinsOrders: Bool { !pinnedOrder.isEmpty && !pinnedOrder.contains { $0 < 0 } }
    /// How many tasks are pinned.
    public var pinnedCount: Int { pin.lazy.filter { $0 >= 0 }.count }
}

extension PlacementProblem {
    /// The problem with the devices (and orders) of `file` pinned: every placer then keeps the
    /// pinned tasks where the file puts them (`enforce`) and places the others around them.
    ///
    /// A node's entry is the most specific that selects it (`PlacementFile`); a task is pinned
    /// when any of its nodes is. Errors, each at its entry's line: an entry that selects no node, a
    /// device the cluster lacks, two nodes of one fused task or of one binding co-location group
    /// sent to two devices, a task sent to a device its `devices` kinds exclude, more pinned weights
    /// than a device holds, and orders in a file that leaves nodes unplaced.
    public func pinned(by file: PlacementFile) throws(DiagnosticList) -> PlacementProblem {
        let path = file.source.path
        var diagnostics: [Diagnostic] = []
        func report(_ message: String, _ entry: Int?) {
            diagnostics.append(Diagnostic(.error, message, file: path, at: entry.flatMap { file.entries[$0].location }))
        }
        func line(_ entry: Int) -> String { file.entries[entry].location.map { "line \($0.line)" } ?? "the file" }
        func nodeName(_ i: Int) -> String { graph.nodes[i].results.first.map { "%" + graph[$0].name } ?? "a node" }

        // Devices.
        let knownNames = cluster.devices.prefix(8).map(\.name).joined(separator: ", ") + (cluster.deviceCount > 8 ? ", …" : "")
        var device = [Int](repeating: -1, count: file.entries.count)
        for (e, entry) in file.entries.enumerated() {
            switch entry.device {
            case .name(let name):
                if let d = cluster.deviceIndex(named: name) { device[e] = d } else {
                    report("cluster '\(cluster.name)' has no device '\(name)' (its devices: \(knownNames); or an index 0–\(deviceCount - 1))", e)
                }
            case .index(let i):
                if let d = cluster.deviceIndex(named: "\(i)") { device[e] = d }
                else if i < deviceCount { device[e] = i }
                else { report("device \(i) is out of range: cluster '\(cluster.name)' has \(deviceCount) devices (0–\(deviceCount - 1))", e) }
            }
        }

        // Selectors: one entry per selector.
        var byNode: [String: Int] = [:], byExpert: [Int: Int] = [:], byGroup: [String: Int] = [:]
        var duplicate = [Bool](repeating: false, count: file.entries.count)
        for (e, entry) in file.entries.enumerated() {
            let earlier: Int?
            switch entry.selector {
            case .node(let name): earlier = byNode[name]; if earlier == nil { byNode[name] = e }
            case .expert(let x): earlier = byExpert[x]; if earlier == nil { byExpert[x] = e }
            case .colocate(let name): earlier = byGroup[name]; if earlier == nil { byGroup[name] = e }
            }
            if let earlier {
                report("\(entry.selector) is placed twice (first at \(line(earlier)))", e)
                duplicate[e] = true
            }
        }

        // Each node's entry: its own name, then each shorter `.`-prefix, then colocate, then expert.
        // An entry that selects no node is a mistake; one that more specific entries override is not.
        var nodeEntry = [Int](repeating: -1, count: graph.nodes.count)
        var selects = [Bool](repeating: false, count: file.entries.count)
        for (i, node) in graph.nodes.enumerated() {
            func consider(_ e: Int?) {
                guard let e else { return }
                selects[e] = true
                if nodeEntry[i] < 0 { nodeEntry[i] = e }
            }
            if !byNode.isEmpty, let result = node.results.first {
                var name = Substring(graph[result].name)
                while true {
                    consider(byNode[String(name)])
                    guard let dot = name.lastIndex(of: ".") else { break }
                    name = name[..<dot]
                }
            }
            if let group = node.attributes["colocate"]?.stringValue { consider(byGroup[group]) }
            if let x = node.attributes["expert"]?.intValue { consider(byExpert[x]) }
        }
        for (e, entry) in file.entries.enumerated() where !selects[e] && !duplicate[e] {
            switch entry.selector {
            case .node(let name): report("no node of '\(graph.name)' is named %\(name) or has a name under %\(name).", e)
            case .expert(let x): report("no node of '\(graph.name)' has expert = \(x)", e)
            case .colocate(let name): report("no node of '\(graph.name)' has colocate = \"\(name)\"", e)
            }
        }
        guard diagnostics.isEmpty else { throw located(diagnostics, file) }

        // Tasks: one device and one order each.
        var pin = [Int32](repeating: -1, count: taskCount), order = [Int32](repeating: -1, count: taskCount)
        var pinNode = [Int](repeating: -1, count: taskCount)
        for i in graph.nodes.indices where nodeEntry[i] >= 0 {
            let e = nodeEntry[i], t = Int(tasks.nodeTask[i]), d = Int32(device[e])
            if pinNode[t] < 0 {
                pin[t] = d
                pinNode[t] = i
            } else if pin[t] != d {
                let weight = [i, pinNode[t]].contains { graph.nodes[$0].op.schema.fusion == .source }
                report("\(nodeName(i)) goes to \(cluster.devices[Int(d)].name), but it runs in one task with \(nodeName(pinNode[t])), which "
                    + "goes to \(cluster.devices[Int(pin[t])].name) (\(line(nodeEntry[pinNode[t]]))): "
                    + (weight ? "a weight or constant stays on the device of the node that reads it; place them together"
                              : "a fused task runs on one device; place them together, or compile with --no-fusion"), e)
                continue
            }
            if let o = file.entries[e].order {
                if order[t] >= 0 && order[t] != Int32(clamping: o) {
                    report("\(nodeName(i)) has order \(o), but it is fused with \(nodeName(pinNode[t])), whose order is \(order[t]): "
                        + "a fused task has one position on its device", e)
                }
                order[t] = Int32(clamping: o)
            }
        }
        for t in 0..<taskCount where pin[t] >= 0 {
            let d = Int(pin[t])
            if let allowed = constraints.allowed, !allowed[t * deviceCount + d] {
                let kinds = (0..<deviceCount).filter { allowed[t * deviceCount + $0] }.map { cluster.kind(of: $0).name }
                report("\(nodeName(pinNode[t])) may run only on devices of kind \(Array(Set(kinds)).sorted().joined(separator: ", ")) "
                    + "(its devices annotation, or a node it is grouped with); \(cluster.devices[d].name) is a \(cluster.kind(of: d).name)",
                       nodeEntry[pinNode[t]])
            }
        }
        // Binding co-location units keep one device.
        var unitPin = [Int](repeating: -1, count: unitCount)
        for t in 0..<taskCount where pin[t] >= 0 && constraints.binding[Int(unit[t])] {
            let u = Int(unit[t])
            if unitPin[u] < 0 { unitPin[u] = t; continue }
            let first = unitPin[u]
            if pin[first] != pin[t] {
                let why = graph.nodes[pinNode[t]].attributes["colocate"]?.stringValue.map { "colocate = \"\($0)\"" } ?? "one expert group"
                report("\(nodeName(pinNode[t])) goes to \(cluster.devices[Int(pin[t])].name), but it must share a device (\(why)) with "
                    + "\(nodeName(pinNode[first])), which goes to \(cluster.devices[Int(pin[first])].name) (\(line(nodeEntry[pinNode[first]])))",
                       nodeEntry[pinNode[t]])
            }
        }
        // Pinned weights within each device's capacity.
        var load = [Int](repeating: 0, count: deviceCount), heaviest = [Int](repeating: -1, count: deviceCount)
        for t in 0..<taskCount where pin[t] >= 0 {
            let d = Int(pin[t])
            load[d] += weights[t]
            if heaviest[d] < 0 || weights[t] > weights[heaviest[d]] { heaviest[d] = t }
        }
        for d in 0..<deviceCount where load[d] > cluster.memoryCapacity(d) {
            report("the weights placed on \(cluster.devices[d].name) need \(formatBytes(load[d])) (\(load[d]) bytes); it holds "
                + "\(formatBytes(cluster.memoryCapacity(d))) — the largest are \(nodeName(pinNode[heaviest[d]]))'s "
                + "(\(formatBytes(weights[heaviest[d]])))", nodeEntry[pinNode[heaviest[d]]])
        }
        // Orders fix a whole schedule.
        if let withOrder = file.entries.firstIndex(where: { $0.order != nil }) {
            let unplaced = (0..<taskCount).filter { pin[$0] < 0 }
            if let without = file.entries.firstIndex(where: { $0.order == nil }) {
                report("\(file.entries[without].selector) has no order (@ N) while other entries have one "
                    + "(\(line(withOrder))): give every entry an order, or none", without)
            } else if let first = unplaced.first {
                let node = graph.nodes.indices.first { Int(tasks.nodeTask[$0]) == first }!
                report("an order (@ N) fixes a device's whole schedule, so every node needs a device and an order: "
                    + "\(unplaced.count) of \(taskCount) tasks have none, the first \(nodeName(node)); drop the orders to pin "
                    + "only these nodes and let the placer place the rest", withOrder)
            }
        }
        guard diagnostics.isEmpty else { throw located(diagnostics, file) }
        var out = self
        out.constraints.pin = pin
        out.constraints.pinnedOrder = file.entries.contains { $0.order != nil } ? order : [Int32](repeating: -1, count: taskCount)
        return out
    }

    /// The first 20 diagnostics in file order.
    private func located(_ diagnostics: [Diagnostic], _ file: PlacementFile) -> DiagnosticList {
        let origin = SourceLocation(line: 0, column: 0)
        let sorted = diagnostics.enumerated().sorted { ($0.element.location ?? origin, $0.offset) < ($1.element.location ?? origin, $1.offset) }
        return DiagnosticList(sorted.prefix(20).map(\.element), source: file.source)
    }
}
