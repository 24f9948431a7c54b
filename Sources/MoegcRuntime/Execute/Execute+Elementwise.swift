import MoegcIR
import MoegcKernels
import MoegcSupport

/// Elementwise kernels: unary functions, broadcasting binary ops, fma, dropout, casts.
extension NodeExecutor {
    func unary(_ op: UnaryOp, _ x: HostTensor) -> HostTensor {
        x.withFloats { px in makeFloats(x.shape) { out, n in Kernels.unary(op, px, out: out, count: n) } }
    }

    func scale(_ x: HostTensor, _ factor: Float) -> HostTensor {
        x.withFloats { px in makeFloats(x.shape) { out, n in Kernels.affine(px, alpha: factor, out: out, count: n) } }
    }

    /// x·m/(1−rate) with m ~ Bernoulli(1−rate), one draw per element from the node's stream.
    func dropout(_ x: HostTensor, rate: Double, stream: Int) -> HostTensor {
        var g = generator(stream)
        let keep = Float(1 / (1 - rate)), threshold = Float(rate)
        return x.withFloats { px in
            makeFloats(x.shape) { out, n in
                for i in 0..<n { out[i] = g.nextFloat() >= threshold ? px[i] * keep : 0 }
            }
        }
    }

    func cast(_ x: HostTensor, to dtype: DType) -> HostTensor {
        switch (x.storage, dtype) {
        case (.f32(let v), .i32), (.f32(let v), .i64):
            return HostTensor(x.shape, ints: v.map { $0.isFinite ? Int32(clamping: Int64($0.rounded(.towardZero))) : 0 })
        case (.i32(let v), .f32), (.i32(let v), .f16), (.i32(let v), .bf16):
            return HostTensor(x.shape, floats: v.map { Float($0) })
        case (.f32(let v), .bool):
            return HostTensor(x.shape, floats: v.map { $0 != 0 ? 1 : 0 })
        default:
            return x
        }
    }

    /// The NumPy broadcast of two shapes (their shapes were checked by the registry).
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let n = max(a.count, b.count)
        return (0..<n).map { i in
            let da = i - (n - a.count) >= 0 ? a[i - (n - a.count)] : 1
            let db = i - (n - b.count) >= 0 ? b[i - (n - b.count)] : 1
            return da == 1 ? db : da
        }
    }

    /// Element strides of `shape` viewed in `out` (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], in out: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: out.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + out.count - shape.count
            strides[o] = shape[i] == 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// add, sub, mul, div, maximum and minimum: the f32 kernels, or their integer forms on i32.
    func arithmetic(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor, _ name: String) throws(ExecutionError) -> HostTensor {
        if case .i32 = a.storage { return try integerBinary(op, a, b, name) }
        return try binary(op, a, b)
    }

    func binary(_ op: BinaryOp, _ a: HostTensor, _ b: HostTensor) throws(ExecutionError) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(a.shape, b.shape)
        let count = shape.reduce(1, *)
        let cols = shape.last ?? 1, rows = cols == 0 ? 0 : count / cols
        return a.withFloats { pa in
            b.withFloats { pb in
                makeFloats(shape) { out, _ in
                    if a.count == count && b.count == count {
                        Kernels.binary(op, pa, pb, broadcast: .none, out: out, rows: 1, cols: count)
                    } else if a.count == count && b.count == 1 {
                        Kernels.binary(op, pa, pb, broadcast: .scalar, out: out, rows: 1, cols: count)
                    } else if a.count == count && b.count == cols && b.shape.last == cols {
                        Kernels.binary(op, pa, pb, broadcast: .row, out: out, rows: rows, cols: cols)
                    } else {
                        NodeExecutor.strided(shape, [a.shape, b.shape]) { i, offs in out[i] = op.apply(pa[offs[0]], pb[offs[1]]) }
                    }
                }
            }
        }
    }

    func fma(_ a: HostTensor, _ b: HostTensor, _ c: HostTensor) throws(ExecutionError) -> HostTensor {
        let shape = NodeExecutor.broadcastShape(NodeExecutor.broadcastShape(a.shape, b.shape), c.shape)
        let count = shape.reduce(1, *)
        return a.withFloats { pa in
            b.withFloats { pb in
                c.withFloats { pc in
                    makeFloats(shape) { out, _ in
                        if a.count == count && b.count == count && c.count == count {
                            Kernels.multiplyAdd(pa, pb, pc, out: out, count: count)
                        } else {
                            NodeExecutor.strided(shape, [a.shape, b.shape, c.shape]) { i, o in out[i] = pa[o[0]] * pb[o[1]] + pc[o[2]] }
                        }
                    }
                }
            }
        }
    }

    /// Visits every element of `shape` in row-major order with the matching element offset of
    /// each broadcast operand.
    static func strided(_ shape: [Int], _ operands: [[Int]], _ body: (Int, [Int]) -> Void) {
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let strides = operands.map { broadcastStrides($0, in: shape) }
        var index = [Int](repeating: 0, count: shape.count)
        var offs = [Int](repeating: 0, count: operands.count)
        for i in 0..<count {
            body(i, offs)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                for k in offs.indices { offs[k] += strides[k][d] }
                if index[d] < shape[d] { break }
                for k in offs.indices { offs[k] -= strides[k][d] * shape[d] }
                index[d] = 0
                d -= 1
            }
        }
    }
}
