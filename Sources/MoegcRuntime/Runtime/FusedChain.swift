import MoegcIR
import MoegcKernels
import MoegcPlan

/// An elementwise epilogue fused into the node before it: `matmul → add(bias) → relu`, say, runs
/// the matmul, then every elementwise step over the matmul's output in place, block by block, so
/// the output crosses memory once instead of once per step. The steps are the kernels the nodes
/// would run alone, in the same order, so results are bitwise the same.
struct FusedChain: Sendable {
    enum Step: Sendable {
        case unary(UnaryOp)
        case affine(Float)
        /// chain = op(chain, operand), the operand a value read from device memory.
        case binary(BinaryOp, operand: Int)
    }

    /// Positions in the device order the chain covers after its head.
    var length: Int
    var steps: [Step]
    /// The value the chain's last node defines.
    var result: Int

    /// The step one node contributes when `chain` (the value the previous node made) is the
    /// running value, or nil when the node cannot join.
    static func step(_ node: Node, chain: Int) -> Step? {
        let ops = node.operands.map(\.index)
        switch NodeExecutor.elementwiseKernel(node) {
        case .unary(let op):
            return ops == [chain] ? .unary(op) : nil
        case .affine(let factor):
            return ops == [chain] ? .affine(factor) : nil
        case .binary(let op):
            guard ops.count == 2 else { return nil }
            if ops[0] == chain, ops[1] != chain { return .binary(op, operand: ops[1]) }
            // a + chain and a · chain are chain + a and chain · a, bit for bit.
            if ops[1] == chain, ops[0] != chain, op == .add || op == .mul { return .binary(op, operand: ops[0]) }
            return nil
        case nil:
            return nil
        }
    }

    /// Chains by head position, for one device's order. A node joins when it is in the head's
    /// fusion group, takes the running value, and that value is used by nothing else (not by a
    /// later node, another device or the graph's outputs).
    static func find(_ plan: ExecutionPlan, device d: Int, program: Program) -> [Int: FusedChain] {
        guard let group = plan.group else { return [:] }
        let g = plan.graph, order = plan.order[d]
        let outputs = Set(g.outputs.map(\.index))
        var chains: [Int: FusedChain] = [:]
        var i = 0
        while i < order.count {
            let head = g.nodes[order[i]]
            var running = head.results[0].index, steps: [Step] = [], j = i + 1
            while head.results.count == 1, j < order.count, group[order[j]] == group[order[i]] {
                let node = g.nodes[order[j]]
                guard node.results.count == 1, let out = g.values[node.results[0].index].type, out.dtype == .f32,
                      let cur = g.values[running].type, cur.dtype == .f32, out.sameShape(as: cur),
                      program.localUses[d][running] == 1, program.remoteDevices[running].isEmpty, !outputs.contains(running),
                      let s = step(node, chain: running) else { break }
                if case .binary(_, let v) = s, let o = g.values[v].type, !broadcastsSimply(o, into: cur) { break }
                steps.append(s)
                running = node.results[0].index
                j += 1
            }
            if !steps.isEmpty { chains[i] = FusedChain(length: steps.count, steps: steps, result: running) }
            i = j
        }
        return chains
    }

    /// Whether `o` reaches every element of `t` the way the binary kernel broadcasts: the same
    /// shape, a scalar, or one row of t's last axis.
    static func broadcastsSimply(_ o: TensorType, into t: TensorType) -> Bool {
        if o.sameShape(as: t) { return true }
        guard !o.dims.contains(where: \.isDynamic), let n = o.elementCount else { return false }
        return n == 1 || (o.dims.last?.size == t.dims.last?.size && n == o.dims.last?.size)
    }

    /// Applies the steps to `t` in place, a block of whole rows at a time.
    func apply(to t: inout HostTensor, operand: (Int) -> HostTensor) throws(ExecutionError) {
        let (rows, cols) = t.rowsAndCols
        let others = steps.map { step -> HostTensor? in if case .binary(_, let v) = step { return operand(v) } else { return nil } }
        var modes: [Broadcast] = []
        for o in others {
            guard let o else { modes.append(.none); continue }
            if o.count == t.count && o.shape == t.shape { modes.append(.none) }
            else if o.count == 1 { modes.append(.scalar) }
            else if o.count == cols && o.shape.last == cols { modes.append(.row) }
            else { throw ExecutionError("internal error: a fused operand of shape \(o.shape) does not broadcast to \(t.shape)") }
        }
        let blockRows = max(1, 4096 / max(1, cols))
        t.mutateFloats { x, _ in
            var r0 = 0
            while r0 < rows {
                let n = min(blockRows, rows - r0), block = x + r0 * cols
                for (s, step) in steps.enumerated() {
                    switch step {
                    case .unary(let op): Kernels.unary(op, inPlace: block, count: n * cols)
                    case .affine(let f): Kernels.affine(block, alpha: f, out: block, count: n * cols)
                    case .binary(let op, _):
                        others[s]!.withFloats { b in
                            let bb = modes[s] == .none ? b + r0 * cols : b
                            Kernels.binary(op, block, bb, broadcast: modes[s], out: block, rows: n, cols: cols)
                        }
                    }
                }
                r0 += n
            }
        }
    }
}

extension HostTensor {
    /// Mutates the floats in place; the storage is uniquely held during `body` when nothing else
    /// references it (otherwise it is copied first, as arrays are).
    mutating func mutateFloats(_ body: (UnsafeMutablePointer<Float>, Int) -> Void) {
        guard case .f32(var v) = storage else { preconditionFailure("i32 tensor mutated as f32") }
        storage = .f32([])
        v.withUnsafeMutableBufferPointer { buf in
            if let base = buf.baseAddress { body(base, buf.count) }
        }
        storage = .f32(v)
    }
}
