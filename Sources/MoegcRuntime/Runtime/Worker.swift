import MoegcIR
import MoegcPlan
import Synchronization

/// The devices one OS thread serves during a step, and its loop.
final class WorkerState: @unchecked Sendable {
    let runtime: Runtime
    let devices: [Int]
    let index: Int
    let shared: SharedRun
    let inputs: [HostTensor]
    let start: ContinuousClock.Instant
    let tracing: Bool
    private var states: [Int: DeviceState] = [:]
    private(set) var events: [TraceEvent] = []
    private let clock = ContinuousClock()
    /// Checks of the mailbox before a worker sleeps (~20–50 µs).
    static let spinLimit = 20_000

    init(runtime: Runtime, devices: [Int], index: Int, inputs: [HostTensor], shared: SharedRun, start: ContinuousClock.Instant, trace: Bool) {
        self.runtime = runtime
        self.devices = devices
        self.index = index
        self.shared = shared
        self.inputs = inputs
        self.start = start
        self.tracing = trace
    }

    func device(_ d: Int) -> DeviceState { states[d]! }

    private func now() -> Double { Double((clock.now - start) / .nanoseconds(1)) * 1e-9 }

    func run() {
        let plan = runtime.plan, graph = plan.graph, program = runtime.program
        for d in devices {
            var s = DeviceState(uses: program.localUses[d])
            // Graph inputs reach every device that reads them as a copy from the host.
            for v in program.inputsUsed[d] { s.store(v, inputs[graph.values[v].resultIndex].copied()) }
            states[d] = s
        }
        var left = devices.reduce(0) { $0 + plan.order[$1].count }
        while left > 0 {
            if shared.cancelled { return }
            let box = shared.mailboxes[index]
            let version = box.monitor.locked { box.version }
            var ran = false
            for d in devices {
                while states[d]!.cursor < plan.order[d].count {
                    let position = states[d]!.cursor
                    let chain = program.chains[d][position]
                    let span = plan.order[d][position...(position + (chain?.length ?? 0))]
                    let made = Set(span.dropLast().flatMap { graph.nodes[$0].results.map(\.index) })
                    guard span.allSatisfy({ receive(d, graph.nodes[$0], ignoring: made) }) else { break }
                    do {
                        if let chain { try executeChain(d, Array(span), chain) } else { try execute(d, span.first!) }
                    } catch {
                        shared.fail(error)
                        return
                    }
                    states[d]!.cursor += span.count
                    left -= span.count
                    ran = true
                }
            }
            if !ran {
                // Spin a little (a value from the other core is often microseconds away), then sleep.
                var spins = 0
                while spins < WorkerState.spinLimit && box.posted.load(ordering: .acquiring) == version { spins += 1 }
                if spins == WorkerState.spinLimit {
                    box.monitor.locked {
                        while box.version == version { box.monitor.wait() }
                    }
                }
            }
        }
    }

    /// Moves the node's operands that have arrived from the mailbox into local memory; true when
    /// every operand is local.
    private func receive(_ d: Int, _ node: Node, ignoring made: Set<Int>) -> Bool {
        var missing: [Int] = []
        // Once per value: a node may read one value twice (mul(x, x)), which arrives once.
        for v in node.operands where states[d]!.local[v.index] == nil && !made.contains(v.index) && !missing.contains(v.index) {
            missing.append(v.index)
        }
        guard !missing.isEmpty else { return true }
        var arrived: [(Int, HostTensor)] = []
        let box = shared.mailboxes[index]
        box.monitor.locked {
            for v in missing { if let t = box.values[d]?.removeValue(forKey: v) { arrived.append((v, t)) } }
        }
        for (v, t) in arrived { states[d]!.store(v, t) }
        return arrived.count == missing.count
    }

    /// Runs one node's kernel on its local operands.
    private func kernel(_ d: Int, _ nid: Int) throws(ExecutionError) -> [HostTensor] {
        let graph = runtime.plan.graph, node = graph.nodes[nid]
        if node.op.schema.isWeight, let w = runtime.weights[nid] { return [w] }
        var args: [HostTensor] = []
        args.reserveCapacity(node.operands.count)
        for v in node.operands { args.append(states[d]!.local[v.index]!) }
        let ctx = runtime.program.contexts[nid] ?? OpContext(schema: node.op.schema, operandTypes: args.map(\.type),
                                                              attributes: node.attributes,
                                                              declaredResultTypes: node.results.map { graph.values[$0.index].type })
        return try runtime.executor.execute(node, name: graph.values[node.results[0].index].name, args, ctx)
    }

    private func execute(_ d: Int, _ nid: Int) throws(ExecutionError) {
        let graph = runtime.plan.graph, node = graph.nodes[nid]
        let t0 = tracing ? now() : 0
        let results = try kernel(d, nid)
        if tracing { events.append(TraceEvent(device: d, name: graph.values[node.results[0].index].name, start: t0, end: now())) }
        finish(d, node, results)
    }

    /// A head node and its fused elementwise chain: the head's kernel, then every step in one pass
    /// over its output; the intermediate values never exist in device memory.
    private func executeChain(_ d: Int, _ nodes: [Int], _ chain: FusedChain) throws(ExecutionError) {
        let graph = runtime.plan.graph
        let t0 = tracing ? now() : 0
        var results = try kernel(d, nodes[0])
        var t = results.removeFirst()
        try chain.apply(to: &t) { v in states[d]!.local[v]! }
        let last = graph.nodes[nodes.last!]
        if tracing {
            let names = nodes.map { graph.values[graph.nodes[$0].results[0].index].name }
            events.append(TraceEvent(device: d, name: names.joined(separator: "+"), start: t0, end: now()))
        }
        // The head's and the inner nodes' operands are used up; the chain's value was never stored.
        for nid in nodes.dropLast() { for v in graph.nodes[nid].operands { states[d]!.used(v.index) } }
        finish(d, last, [t], skipping: Set(nodes.dropLast().flatMap { graph.nodes[$0].results.map(\.index) }))
    }

    /// Stores a node's results where they are used, posts copies to other devices, and frees the
    /// operands it used for the last time.
    private func finish(_ d: Int, _ node: Node, _ results: [HostTensor], skipping chained: Set<Int> = []) {
        let graph = runtime.plan.graph
        for (r, t) in zip(node.results, results) {
            if states[d]!.uses[r.index] != nil { states[d]!.store(r.index, t) }
            var away: [Int] = []
            for other in runtime.program.remoteDevices[r.index] {
                guard shared.threadOf[other] >= 0 else { away.append(other); continue }
                let s0 = tracing ? now() : 0
                let copy = t.copied()
                if tracing { events.append(TraceEvent(device: d, name: "%" + graph.values[r.index].name, start: s0, end: now(), destination: other)) }
                shared.post(copy, value: r.index, to: other)
            }
            // Devices of other processes: one message per value, sent as soon as it exists.
            if !away.isEmpty, let remote = shared.remote {
                let s0 = tracing ? now() : 0
                remote.send(t, value: r.index, to: away)
                if tracing { events.append(TraceEvent(device: d, name: "%" + graph.values[r.index].name, start: s0, end: now(), destination: away[0])) }
            }
        }
        for v in node.operands where !chained.contains(v.index) { states[d]!.used(v.index) }
    }
}
