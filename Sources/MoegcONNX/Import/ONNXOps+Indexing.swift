import MoegcIR
import MoegcRuntime

/// Gathers, scatters, one-hot rows, triangles, running sums and top-k.
extension ONNXOps {
    static let indexing: [String: Importer] = [
        "Gather": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), idx = try ctx.input(n, 1)
            let axis = try ctx.axis(try n.int("axis", 0), rank: ctx.rank(x))
            guard ctx.type(idx).dtype == .i32 else { throw ctx.fail("its indices must be integers") }
            if let known = ctx.known[idx.index] {
                // Known indices: counted from the end and checked here, so the kernel needs no wrap.
                let size = ctx.shape(x)[axis]
                var ids = known.ints
                for i in ids.indices {
                    if ids[i] < 0 { ids[i] += Int32(size) }
                    guard ids[i] >= 0 && Int(ids[i]) < size else { throw ctx.fail("index \(known.ints[i]) is out of range for axis \(axis) of \(ctx.type(x))", .invalidGraph) }
                }
                let c = ctx.constant(HostTensor(known.shape, ints: ids), name: "indices")
                return [try ctx.emit(.gather, [x, c], [("axis", .int(axis))])]
            }
            return [try ctx.emit(.gather, [x, idx], [("axis", .int(axis)), ("wrap_negative", .bool(true))])]
        },
        "GatherElements": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), idx = try ctx.input(n, 1)
            return [try ctx.emit(.gather_elements, [x, idx], [("axis", .int(try ctx.axis(try n.int("axis", 0), rank: ctx.rank(x))))])]
        },
        "GatherND": { ctx, n throws(ONNXError) in
            [try ctx.emit(.gather_nd, [try ctx.input(n, 0), try ctx.input(n, 1)], [("batch_dims", .int(try n.int("batch_dims", 0)))])]
        },
        "ScatterElements": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0)
            let axis = try ctx.axis(try n.int("axis", 0), rank: ctx.rank(x))
            return [try ctx.emit(.scatter_elements, [x, try ctx.input(n, 1), try ctx.input(n, 2)],
                                 [("axis", .int(axis)), ("reduction", .symbol(try reduction(ctx, n)))])]
        },
        "ScatterND": { ctx, n throws(ONNXError) in
            [try ctx.emit(.scatter_nd, [try ctx.input(n, 0), try ctx.input(n, 1), try ctx.input(n, 2)],
                          [("reduction", .symbol(try reduction(ctx, n)))])]
        },
        "OneHot": { ctx, n throws(ONNXError) in
            var idx = try ctx.input(n, 0)
            if ctx.type(idx).dtype == .f32 { idx = try ctx.emit(.cast, [idx], [("to", .symbol("i32"))]) }
            let depth = try ctx.floats(try ctx.input(n, 1), "depth")
            guard depth.count == 1, depth[0] >= 1 else { throw ctx.fail("depth must be one number ≥ 1", .invalidGraph) }
            let values = try ctx.input(n, 2)
            let axis = try n.int("axis", -1)
            _ = try ctx.axis(axis, rank: ctx.rank(idx) + 1)
            return [try ctx.emit(.one_hot, [idx, values], [("depth", .int(Int(depth[0]))), ("axis", .int(axis))])]
        },
        "Trilu": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0)
            let k = try ctx.optionalInts(n, 1, "k")?.first ?? 0
            return [try ctx.emit(.trilu, [x], [("upper", .bool(try n.int("upper", 1) != 0)), ("k", .int(k))])]
        },
        "CumSum": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0)
            guard let a = try ctx.ints(try ctx.input(n, 1), "axis").first else { throw ctx.fail("axis must be one integer", .invalidGraph) }
            return [try ctx.emit(.cumsum, [x], [("axis", .int(try ctx.axis(a, rank: ctx.rank(x)))),
                                                ("exclusive", .bool(try n.int("exclusive", 0) != 0)),
                                                ("reverse", .bool(try n.int("reverse", 0) != 0))])]
        },
        "TopK": { ctx, n throws(ONNXError) in
            let x = try float(ctx, n, 0), r = ctx.rank(x)
            guard let k = try ctx.ints(try ctx.input(n, 1), "K").first else { throw ctx.fail("K must be one integer", .invalidGraph) }
            let axis = try ctx.axis(try n.int("axis", -1), rank: r)
            guard k >= 1, k <= ctx.shape(x)[axis] else { throw ctx.fail("K = \(k) is not in 1…\(ctx.shape(x)[axis]) (moegc's top_k keeps at least one element)") }
            let largest = try n.int("largest", 1) != 0
            // The axis moved last (top_k selects along the last axis); smallest as largest of −x.
            let perm = Array(0..<axis) + Array((axis + 1)..<r) + [axis]
            var inverse = [Int](repeating: 0, count: r)
            for (i, p) in perm.enumerated() { inverse[p] = i }
            var v = try ctx.transpose(x, perm)
            if !largest { v = try ctx.emit(.neg, [v]) }
            let out = try ctx.emitAll(.top_k, [v], [("k", .int(k))], results: 2)
            var values = out[0]
            if !largest { values = try ctx.emit(.neg, [values]) }
            return [try ctx.transpose(values, inverse), try ctx.transpose(out[1], inverse)]
        },
    ]

    static func reduction(_ ctx: ImportContext, _ n: NodeView) throws(ONNXError) -> String {
        let r = try n.string("reduction", "none")
        guard ["none", "add", "mul", "max", "min"].contains(r) else { throw ctx.fail("reduction '\(r)' is not an ONNX reduction", .invalidGraph) }
        return r
    }
}
