import MoegcIR

/// Contractions, normalisations and reductions: MatMul, Gemm, Einsum (ONNXOps+Einsum.swift),
/// Softmax, LogSoftmax, LayerNormalization, RMSNormalization, ReduceMean, ReduceSum, ReduceMax.
extension ONNXOps {
    static let math: [String: Importer] = [
        "MatMul": { ctx, n throws(ONNXError) in [try matmul(&ctx, try float(ctx, n, 0), try float(ctx, n, 1))] },
        "Gemm": { ctx, n throws(ONNXError) in
            let a = try float(ctx, n, 0), b = try float(ctx, n, 1)
            guard ctx.rank(a) == 2, ctx.rank(b) == 2 else { throw ctx.fail("Gemm takes matrices, got \(ctx.type(a)) and \(ctx.type(b))", .invalidGraph) }
            let alpha = try n.float("alpha", 1), beta = try n.float("beta", 1)
            var flags: [(String, AttributeValue)] = []
            if try n.int("transA", 0) != 0 { flags.append(("transpose_a", .bool(true))) }
            if try n.int("transB", 0) != 0 { flags.append(("transpose_b", .bool(true))) }
            var y = try ctx.emit(.matmul, [a, b], flags)
            if alpha != 1 { y = try ctx.emit(.scale, [y], [("factor", .float(Double(alpha)))]) }
            if let c = try ctx.optionalInput(n, 2) {
                var cc = c
                if beta != 1 { cc = try ctx.emit(.scale, [c], [("factor", .float(Double(beta)))]) }
                y = try ctx.emit(.add, [y, cc])
            }
            return [y]
        },
        "Einsum": { ctx, n throws(ONNXError) in [try einsum(&ctx, n)] },
        "Softmax": softmax(.softmax), "LogSoftmax": softmax(.log_softmax),
        "LayerNormalization": { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0), s = ctx.shape(x)
            let axis = try ctx.axis(try n.int("axis", -1), rank: s.count)
            let eps = Double(try n.float("epsilon", 1e-5))
            guard eps >= 0, eps <= 1 else { throw ctx.fail("epsilon \(eps) is outside 0…1") }
            var y: ValueID
            if axis == s.count - 1 {
                y = try ctx.emit(.normalize, [x], [("eps", .float(eps))])
            } else {
                let rows = try ctx.reshape(x, [s[..<axis].reduce(1, *), s[axis...].reduce(1, *)])
                y = try ctx.reshape(try ctx.emit(.normalize, [rows], [("eps", .float(eps))]), s)
            }
            y = try ctx.emit(.mul, [y, try ctx.input(n, 1)])
            if let b = try ctx.optionalInput(n, 2) { y = try ctx.emit(.add, [y, b]) }
            // The optional outputs, when asked for: the mean and 1/√(variance + ε), reduced axes kept.
            let wantsStats = n.node.outputs.dropFirst().contains { !$0.isEmpty }
            guard wantsStats else { return [y, nil, nil] }
            let axes: AttributeValue = .list((axis..<s.count).map { .int($0) })
            let mean = try ctx.emit(.reduce_mean, [x], [("axes", axes), ("keep_dims", .bool(true))])
            let d = try ctx.emit(.sub, [x, mean])
            let variance = try ctx.emit(.reduce_mean, [try ctx.emit(.mul, [d, d])], [("axes", axes), ("keep_dims", .bool(true))])
            let e = ctx.constant(floats: [Float(eps)], shape: [])
            let inv = try ctx.emit(.reciprocal, [try ctx.emit(.sqrt, [try ctx.emit(.add, [variance, e])])])
            return [y, mean, inv]
        },
        "RMSNormalization": { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0), r = ctx.rank(x)
            let axis = try ctx.axis(try n.int("axis", -1), rank: r)
            let eps = try n.float("epsilon", 1e-5)
            let meanSquare = try ctx.emit(.reduce_mean, [try ctx.emit(.mul, [x, x])],
                                          [("axes", .list((axis..<r).map { .int($0) })), ("keep_dims", .bool(true))])
            let e = ctx.constant(floats: [eps], shape: [])
            let rms = try ctx.emit(.sqrt, [try ctx.emit(.add, [meanSquare, e])])
            return [try ctx.emit(.mul, [try ctx.emit(.div, [x, rms]), try ctx.input(n, 1)])]
        },
        "ReduceMean": reduce(.reduce_mean, axesInputFrom: 18),
        "ReduceSum": reduce(.reduce_sum, axesInputFrom: 13),
        "ReduceMax": reduce(.reduce_max, axesInputFrom: 18),
    ]

    static func softmax(_ op: OpCode) -> Importer {
        { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0)
            return [try ctx.emit(op, [x], [("axis", .int(try ctx.axis(try n.int("axis", -1), rank: ctx.rank(x))))])]
        }
    }

    /// A reduction whose axes come from input 1 (from opset `axesInputFrom`) or the `axes`
    /// attribute; none given reduces every axis (or, with noop_with_empty_axes, none).
    static func reduce(_ op: OpCode, axesInputFrom: Int64) -> Importer {
        { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0), r = ctx.rank(x)
            let given = (try ctx.intsInputOrAttribute(n, 1, "axes")) ?? []
            let noop = try n.int("noop_with_empty_axes", 0) != 0
            if given.isEmpty && noop { return [x] }
            var axes = given.isEmpty ? Array(0..<r) : []
            for a in given { axes.append(try ctx.axis(a, rank: r)) }
            guard Set(axes).count == axes.count else { throw ctx.fail("an axis is listed twice", .invalidGraph) }
            if axes.isEmpty { return [x] }   // a scalar input reduced over its (no) axes
            return [try ctx.emit(op, [x], [("axes", .list(axes.sorted().map { .int($0) })), ("keep_dims", .bool(try n.int("keepdims", 1) != 0))])]
        }
    }

    /// ONNX MatMul (NumPy matmul): a 1-D operand gains and then loses a unit axis, batch axes
    /// broadcast (a batch of ones becomes a plain matrix, so the weight stays one matrix).
    static func matmul(_ ctx: inout ImportContext, _ a: ValueID, _ b: ValueID) throws(ONNXError) -> ValueID {
        var A = a, B = b
        let ra = ctx.rank(a), rb = ctx.rank(b)
        guard ra >= 1, rb >= 1 else { throw ctx.fail("MatMul of a scalar", .invalidGraph) }
        if ra == 1 { A = try ctx.reshape(a, [1, ctx.shape(a)[0]]) }
        if rb == 1 { B = try ctx.reshape(b, [ctx.shape(b)[0], 1]) }
        var sa = ctx.shape(A), sb = ctx.shape(B)
        guard sa[sa.count - 1] == sb[sb.count - 2] else {
            throw ctx.fail("MatMul contracts \(ctx.type(a)) with \(ctx.type(b)): inner dimensions differ", .invalidGraph)
        }
        if sb.count > 2 && sb.dropLast(2).allSatisfy({ $0 == 1 }) {
            B = try ctx.reshape(B, Array(sb.suffix(2)))
            sb = ctx.shape(B)
        }
        var batch: [Int] = Array(sa.dropLast(2))
        if sb.count > 2 {
            let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
            let nb = max(ba.count, bb.count)
            batch = []
            for i in 0..<nb {
                let x = i - (nb - ba.count) >= 0 ? ba[i - (nb - ba.count)] : 1
                let y = i - (nb - bb.count) >= 0 ? bb[i - (nb - bb.count)] : 1
                guard x == y || x == 1 || y == 1 else { throw ctx.fail("MatMul batch dimensions of \(ctx.type(a)) and \(ctx.type(b)) do not broadcast", .invalidGraph) }
                batch.append(max(x, y))
            }
            if ba != batch { A = try ctx.emit(.expand, [A], [("shape", .list((batch + sa.suffix(2)).map { .int($0) }))]) }
            if bb != batch { B = try ctx.emit(.expand, [B], [("shape", .list((batch + sb.suffix(2)).map { .int($0) }))]) }
            sa = ctx.shape(A)
        }
        let y = try ctx.emit(.matmul, [A, B])
        var out = batch + [sa[sa.count - 2], sb[sb.count - 1]]
        if rb == 1 { out.removeLast() }
        if ra == 1 { out.remove(at: out.count - (rb == 1 ? 1 : 2)) }
        return try ctx.reshape(y, out)
    }
}
