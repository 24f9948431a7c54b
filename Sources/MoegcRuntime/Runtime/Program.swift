import MoegcIR
import MoegcPlan

/// What the workers precompute from a plan once: for every value, which other devices need a copy
/// of it; for every device, how many of its nodes use each value (so it can free a value after its
/// last local use) and which graph inputs it reads.
struct Program: Sendable {
    /// Devices other than the producer's that use value v.
    let remoteDevices: [[Int]]
    /// For each device: value index → uses by that device's nodes (+1 on the producer for outputs).
    let localUses: [[Int: Int]]
    /// For each device: the graph inputs its nodes read.
    let inputsUsed: [[Int]]
    /// For each device: fused elementwise chains by the position of their head in its order.
    var chains: [[Int: FusedChain]] = []
    /// Each node's registry context when none of its operands has a data-dependent dimension (the
    /// run-time types are then the IR's), so a worker need not rebuild it every step.
    let contexts: [OpContext?]

    init(_ plan: ExecutionPlan) {
        let g = plan.graph
        var remote = [Set<Int>](repeating: [], count: g.values.count)
        var uses = [[Int: Int]](repeating: [:], count: plan.deviceCount)
        var inputs = [Set<Int>](repeating: [], count: plan.deviceCount)
        for (i, node) in g.nodes.enumerated() {
            let d = plan.device[i]
            for v in node.operands {
                uses[d][v.index, default: 0] += 1
                if let p = g.values[v.index].producer {
                    if plan.device[p.index] != d { remote[v.index].insert(d) }
                } else {
                    inputs[d].insert(v.index)
                }
            }
        }
        for v in g.outputs {
            if let p = g.values[v.index].producer { uses[plan.device[p.index]][v.index, default: 0] += 1 }
        }
        contexts = g.nodes.map { node in
            let types = node.operands.map { g.values[$0.index].type! }
            guard !types.contains(where: { $0.dims.contains(where: \.isDynamic) }) else { return nil }
            let plain = types.map { TensorType($0.dtype, shape: $0.shape) }
            return OpContext(schema: node.op.schema, operandTypes: plain, attributes: node.attributes,
                             declaredResultTypes: node.results.map { g.values[$0.index].type })
        }
        remoteDevices = remote.map { $0.sorted() }
        localUses = uses
        inputsUsed = inputs.map { $0.sorted() }
        chains = (0..<plan.deviceCount).map { FusedChain.find(plan, device: $0, program: self) }
    }
}

/// One device's state during a step, touched only by the thread that serves the device.
struct DeviceState {
    var local: [Int: HostTensor] = [:]
    var uses: [Int: Int]
    var cursor = 0
    var liveBytes = 0
    var peakBytes = 0

    init(uses: [Int: Int]) { self.uses = uses }

    mutating func store(_ v: Int, _ t: HostTensor) {
        local[v] = t
        liveBytes += t.count * 4
        peakBytes = max(peakBytes, liveBytes)
    }

    /// One use of v done; frees it after the last.
    mutating func used(_ v: Int) {
        guard let n = uses[v] else { return }
        if n <= 1 {
            uses[v] = nil
            if let t = local.removeValue(forKey: v) { liveBytes -= t.count * 4 }
        } else {
            uses[v] = n - 1
        }
    }
}

extension HostTensor {
    /// A copy in new memory (what a transfer to another device delivers).
    func copied() -> HostTensor {
        guard count > 0 else { return self }
        switch storage {
        case .f32(let v):
            return HostTensor(shape, floats: [Float](unsafeUninitializedCapacity: v.count) { buf, n in
                _ = buf.initialize(from: v)
                n = v.count
            })
        case .i32(let v):
            return HostTensor(shape, ints: [Int32](unsafeUninitializedCapacity: v.count) { buf, n in
                _ = buf.initialize(from: v)
                n = v.count
            })
        }
    }
}
