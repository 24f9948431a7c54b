import MoegcIR
import MoegcKernels

/// Comparisons, logic, selection, and the integer forms of the arithmetic ops: booleans are i32 0
/// and 1, operands broadcast NumPy-style.
extension NodeExecutor {
    /// f(a[i…], b[i…]) over the broadcast of the two shapes.
    static func zipBroadcast<A, B, R>(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ x: [A], _ y: [B],
                                      _ f: (A, B) -> R) -> [R] {
        let count = shape.reduce(1, *)
        if x.count == count && y.count == count { return (0..<count).map { f(x[$0], y[$0]) } }
        if x.count == count && y.count == 1 { return x.map { f($0, y[0]) } }
        var out: [R] = []
        out.reserveCapacity(count)
        strided(shape, [sa, sb]) { _, o in out.append(f(x[o[0]], y[o[1]])) }
        return out
    }

    func compare(_ op: CompareOp, _ a: HostTensor, _ b: HostTensor) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(a.shape, b.shape)
        switch (a.storage, b.storage) {
        case (.f32(let x), .f32(let y)): return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { op.apply($0, $1) })
        case (.i32(let x), .i32(let y)): return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { op.apply($0, $1) })
        default: preconditionFailure("comparison of f32 with i32 (the registry checks the operands agree)")
        }
    }

    func logical(_ op: LogicOp, _ a: HostTensor, _ b: HostTensor) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(a.shape, b.shape)
        return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, a.ints, b.ints) { op.apply($0, $1) })
    }

    func logicalNot(_ x: HostTensor) -> HostTensor {
        HostTensor(x.shape, ints: x.ints.map { $0 == 0 ? 1 : 0 })
    }

    /// c ? a : b over the broadcast of all three shapes.
    func select(_ c: HostTensor, _ a: HostTensor, _ b: HostTensor) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(NodeExecutor.broadcastShape(c.shape, a.shape), b.shape)
        let cond = c.ints
        func pick<T>(_ x: [T], _ y: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            NodeExecutor.strided(shape, [c.shape, a.shape, b.shape]) { _, o in out.append(cond[o[0]] != 0 ? x[o[1]] : y[o[2]]) }
            return out
        }
        switch (a.storage, b.storage) {
        case (.f32(let x), .f32(let y)): return HostTensor(shape, floats: pick(x, y))
        case (.i32(let x), .i32(let y)): return HostTensor(shape, ints: pick(x, y))
        default: preconditionFailure("'where' of f32 with i32 (the registry checks the operands agree)")
        }
    }

    /// The arithmetic ops on i32 operands: wrapping add, sub and mul, division truncated toward
    /// zero (as ONNX and C), max and min. Division by zero is an error naming the node.
    func integerBinary(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor, _ name: String) throws(ExecutionError) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(a.shape, b.shape)
        let x = a.ints, y = b.ints
        switch op {
        case .add: return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { $0 &+ $1 })
        case .sub: return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { $0 &- $1 })
        case .mul: return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { $0 &* $1 })
        case .max: return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { Swift.max($0, $1) })
        case .min: return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { Swift.min($0, $1) })
        case .div:
            if y.contains(0) { throw ExecutionError("integer division by zero at %\(name)") }
            return HostTensor(shape, ints: NodeExecutor.zipBroadcast(shape, a.shape, b.shape, x, y) { $0.dividedReportingOverflow(by: $1).partialValue })
        case .pow:
            throw ExecutionError("'pow' at %\(name) takes floating-point operands")
        }
    }
}
