import MoegcIR
import MoegcRuntime

/// Shapes and layout: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split,
/// Slice, Expand, Tile, and the constant makers (Constant, ConstantOfShape, Range). moegc compiles
/// static shapes, so a shape, axes or a count must be known at import; every Shape is.
extension ONNXOps {
    static let shape: [String: Importer] = [
        "Shape": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), t = ctx.type(x)
            guard !t.dims.contains(where: \.isDynamic) else { throw ctx.fail("its input \(t) has a data-dependent size", .unresolved) }
            let r = t.rank
            func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + r : a, 0), r) }
            let start = clampAxis(try n.int("start", 0)), end = clampAxis(try n.int("end", r))
            let dims = start < end ? Array(t.shape[start..<end]) : []
            return [ctx.constant(ints: dims, name: "shape")]
        },
        "Size": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0)
            guard let count = ctx.type(x).elementCount, count <= Int(Int32.max) else { throw ctx.fail("its input has too many elements for i32") }
            return [ctx.constant(ints: [count], shape: [], name: "size")]
        },
        "Reshape": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), target = try ctx.ints(try ctx.input(n, 1), "shape")
            let allowZero = try n.int("allowzero", 0) != 0
            var shape = target
            for (i, s) in target.enumerated() where s == 0 && !allowZero {
                guard i < ctx.rank(x) else { throw ctx.fail("shape entry \(i) copies a dimension the input \(ctx.type(x)) does not have", .invalidGraph) }
                shape[i] = ctx.shape(x)[i]
            }
            if let i = shape.firstIndex(of: -1) {
                let known = shape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
                let total = ctx.shape(x).reduce(1, *)
                guard known > 0, total % known == 0 else { throw ctx.fail("cannot reshape \(ctx.type(x)) to \(target)", .invalidGraph) }
                shape[i] = total / known
            }
            return [try ctx.reshape(x, shape)]
        },
        "Flatten": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), s = ctx.shape(x)
            let a = try n.int("axis", 1)
            let axis = a < 0 ? a + s.count : a
            guard axis >= 0, axis <= s.count else { throw ctx.fail("axis \(a) is out of range for rank \(s.count)", .invalidGraph) }
            return [try ctx.reshape(x, [s[..<axis].reduce(1, *), s[axis...].reduce(1, *)])]
        },
        "Squeeze": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), s = ctx.shape(x)
            let axes = try ctx.intsInputOrAttribute(n, 1, "axes")
            var drop = Set<Int>()
            if let axes {
                for a in axes {
                    let axis = try ctx.axis(a, rank: s.count)
                    guard s[axis] == 1 else { throw ctx.fail("axis \(a) of \(ctx.type(x)) is not 1", .invalidGraph) }
                    drop.insert(axis)
                }
            } else {
                drop = Set(s.indices.filter { s[$0] == 1 })
            }
            return [try ctx.reshape(x, s.indices.filter { !drop.contains($0) }.map { s[$0] })]
        },
        "Unsqueeze": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), s = ctx.shape(x)
            guard let axes = try ctx.intsInputOrAttribute(n, 1, "axes") else { throw ctx.fail("it needs axes") }
            let rank = s.count + axes.count
            var inserted = Set<Int>()
            for a in axes {
                guard inserted.insert(try ctx.axis(a, rank: rank)).inserted else { throw ctx.fail("axis \(a) is listed twice", .invalidGraph) }
            }
            var shape: [Int] = [], j = 0
            for i in 0..<rank {
                if inserted.contains(i) { shape.append(1) } else { shape.append(s[j]); j += 1 }
            }
            return [try ctx.reshape(x, shape)]
        },
        "Transpose": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), r = ctx.rank(x)
            let perm = try n.ints("perm") ?? Array((0..<r).reversed())
            guard perm.sorted() == Array(0..<r) else { throw ctx.fail("perm \(perm) is not a permutation of \(r) axes", .invalidGraph) }
            return [try ctx.transpose(x, perm)]
        },
        "Concat": { ctx, n throws(ONNXError) in
            let xs = try ctx.inputs(n)
            guard let first = xs.first else { throw ctx.fail("it needs at least one input") }
            let axis = try ctx.axis(try n.int("axis", 0), rank: ctx.rank(first))
            if let other = xs.first(where: { ctx.rank($0) != ctx.rank(first) }) {
                throw ctx.fail("its inputs differ in rank (\(ctx.type(first)) and \(ctx.type(other)))", .invalidGraph)
            }
            let parts = xs.filter { ctx.shape($0)[axis] > 0 }
            if parts.isEmpty {
                var shape = ctx.shape(first)
                shape[axis] = 0
                return [ctx.constant(ctx.type(first).dtype == .f32 ? HostTensor(shape, floats: []) : HostTensor(shape, ints: []), name: "empty")]
            }
            if parts.count == 1 { return [parts[0]] }
            return [try ctx.emit(.concat, parts, [("axis", .int(axis))])]
        },
        "Split": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), s = ctx.shape(x)
            let axis = try ctx.axis(try n.int("axis", 0), rank: s.count)
            let outputs = n.node.outputs.count
            var sizes = try ctx.intsInputOrAttribute(n, 1, "split")
            if sizes == nil {
                let parts = try n.int("num_outputs", outputs)
                guard parts >= 1 else { throw ctx.fail("num_outputs must be ≥ 1", .invalidGraph) }
                let chunk = (s[axis] + parts - 1) / parts
                sizes = (0..<parts).map { min(chunk, max(0, s[axis] - $0 * chunk)) }
            }
            guard let sizes, sizes.count == outputs, sizes.reduce(0, +) == s[axis], sizes.allSatisfy({ $0 >= 0 }) else {
                throw ctx.fail("split sizes \(sizes ?? []) do not divide axis \(axis) of \(ctx.type(x)) into \(outputs) outputs", .invalidGraph)
            }
            var results: [ValueID?] = [], start = 0
            for size in sizes {
                if size == s[axis] { results.append(x) } else {
                    results.append(try ctx.emit(.slice, [x], [("axis", .int(axis)), ("start", .int(start)), ("end", .int(start + size))]))
                }
                start += size
            }
            return results
        },
        "Slice": { ctx, n throws(ONNXError) in
            var x = try ctx.input(n, 0)
            let s = ctx.shape(x)
            let starts = try ctx.ints(try ctx.input(n, 1), "starts"), ends = try ctx.ints(try ctx.input(n, 2), "ends")
            let axes = try ctx.optionalInts(n, 3, "axes") ?? Array(0..<starts.count)
            let steps = try ctx.optionalInts(n, 4, "steps") ?? [Int](repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
                throw ctx.fail("starts, ends, axes and steps differ in length", .invalidGraph)
            }
            var seen = Set<Int>()
            for k in axes.indices {
                let axis = try ctx.axis(axes[k], rank: s.count)
                guard seen.insert(axis).inserted else { throw ctx.fail("axis \(axes[k]) is sliced twice", .invalidGraph) }
                let dim = s[axis], step = steps[k]
                guard step != 0 else { throw ctx.fail("a step of 0", .invalidGraph) }
                var start = starts[k] < 0 ? starts[k] + dim : starts[k]
                var end = ends[k] < 0 ? ends[k] + dim : ends[k]
                if step > 0 {
                    start = min(max(start, 0), dim)
                    end = min(max(end, 0), dim)
                } else {
                    start = min(max(start, 0), dim - 1)
                    end = min(max(end, -1), dim - 1)
                }
                let picked = Array(stride(from: start, to: end, by: step))
                if picked.isEmpty, let t = ctx.known[x.index] {
                    // Shape arithmetic may slice a known tensor to nothing; it stays a known constant.
                    var shape = t.shape
                    shape[axis] = 0
                    return [ctx.constant(t.dtype == .f32 ? HostTensor(shape, floats: []) : HostTensor(shape, ints: []), name: "empty")]
                }
                if picked.count == dim && step == 1 { continue }
                if picked.isEmpty {
                    x = try ctx.emit(.slice, [x], [("axis", .int(axis)), ("start", .int(0)), ("end", .int(0))])
                } else if step == 1 {
                    x = try ctx.emit(.slice, [x], [("axis", .int(axis)), ("start", .int(start)), ("end", .int(end))])
                } else {
                    x = try ctx.emit(.gather, [x, ctx.constant(ints: picked, name: "indices")], [("axis", .int(axis))])
                }
            }
            return [x]
        },
        "Expand": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), shape = try ctx.ints(try ctx.input(n, 1), "shape")
            guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.fail("shape \(shape) has a negative entry", .invalidGraph) }
            let r = try ctx.emit(.expand, [x], [("shape", .list(shape.map { .int($0) }))])
            return [ctx.shape(r) == ctx.shape(x) ? x : r]
        },
        "Tile": { ctx, n throws(ONNXError) in
            let x = try ctx.input(n, 0), s = ctx.shape(x), repeats = try ctx.ints(try ctx.input(n, 1), "repeats")
            guard repeats.count == s.count, repeats.allSatisfy({ $0 >= 1 }) else {
                throw ctx.fail("repeats \(repeats) must give one count ≥ 1 per axis of \(ctx.type(x))", .invalidGraph)
            }
            if repeats.allSatisfy({ $0 == 1 }) { return [x] }
            // [a, b] tiled [p, q]: as [1, a, 1, b], expanded to [p, a, q, b], then [p·a, q·b].
            let spread = try ctx.reshape(x, s.flatMap { [1, $0] })
            let grown = try ctx.emit(.expand, [spread], [("shape", .list(zip(repeats, s).flatMap { [AttributeValue.int($0), .int($1)] }))])
            return [try ctx.reshape(grown, zip(repeats, s).map { $0 * $1 })]
        },
        "Constant": { ctx, n throws(ONNXError) in
            switch (n.attribute("value"), n.attribute("value_float"), n.attribute("value_floats"), n.attribute("value_int"), n.attribute("value_ints")) {
            case (.tensor(let t)?, _, _, _, _):
                let v = try ctx.value(of: t)
                return [ctx.constant(v.tensor, name: n.node.outputs.first ?? "c", clamped: v.clamped)]
            case (_, .float(let f)?, _, _, _): return [ctx.constant(floats: [f], shape: [])]
            case (_, _, .floats(let fs)?, _, _): return [ctx.constant(floats: fs)]
            case (_, _, _, .int(let i)?, _): return [ctx.constant(ints: [Int(clamping: i)], shape: [])]
            case (_, _, _, _, .ints(let is_)?): return [ctx.constant(ints: is_.map { Int(clamping: $0) })]
            default: throw ctx.fail("only tensor, float and int values are imported (not strings or sparse tensors)")
            }
        },
        "ConstantOfShape": { ctx, n throws(ONNXError) in
            let shape = try ctx.ints(try ctx.input(n, 0), "shape")
            guard shape.allSatisfy({ $0 >= 0 }) else { throw ctx.fail("shape \(shape) has a negative entry", .invalidGraph) }
            let count = try ctx.constantCount(shape, "the filled tensor")
            var fill = HostTensor([], floats: [0])
            if case .tensor(let t)? = n.attribute("value") {
                fill = try ctx.value(of: t).tensor
                guard fill.count == 1 else { throw ctx.fail("its value must hold one element", .invalidGraph) }
            }
            switch fill.storage {
            case .f32(let v): return [ctx.constant(HostTensor(shape, floats: [Float](repeating: v[0], count: count)), name: "filled")]
            case .i32(let v): return [ctx.constant(HostTensor(shape, ints: [Int32](repeating: v[0], count: count)), name: "filled")]
            }
        },
        "Range": { ctx, n throws(ONNXError) in
            let start = try ctx.input(n, 0)
            if ctx.type(start).dtype == .f32 {
                let a = try ctx.floats(start, "start"), b = try ctx.floats(try ctx.input(n, 1), "limit"), d = try ctx.floats(try ctx.input(n, 2), "delta")
                guard a.count == 1, b.count == 1, d.count == 1, d[0] != 0 else { throw ctx.fail("start, limit and delta must be scalars, delta ≠ 0", .invalidGraph) }
                let count = try Self.rangeCount((Double(b[0]) - Double(a[0])) / Double(d[0]), ctx)
                return [ctx.constant(floats: (0..<count).map { a[0] + Float($0) * d[0] }, name: "range")]
            }
            let a = try ctx.ints(start, "start"), b = try ctx.ints(try ctx.input(n, 1), "limit"), d = try ctx.ints(try ctx.input(n, 2), "delta")
            guard a.count == 1, b.count == 1, d.count == 1, d[0] != 0 else { throw ctx.fail("start, limit and delta must be scalars, delta ≠ 0", .invalidGraph) }
            let count = try Self.rangeCount((Double(b[0]) - Double(a[0])) / Double(d[0]), ctx)
            return [ctx.constant(ints: (0..<count).map { a[0] &+ $0 &* d[0] }, name: "range")]
        },
    ]

    /// The element count of a Range whose limit is `span` deltas from its start (0 when the limit
    /// is behind it: an empty range), checked against the limits before anything is made.
    static func rangeCount(_ span: Double, _ ctx: ImportContext) throws(ONNXError) -> Int {
        guard span.isFinite else { throw ctx.fail("the range's length (limit − start) / delta is not finite", .invalidGraph) }
        guard span > 0 else { return 0 }
        guard span < 0x1p62 else { throw ctx.fail("the range has \(span.rounded(.up)) elements, more than fit in 64 bits", .invalidGraph) }
        return try ctx.constantCount([Int(span.rounded(.up))], "the range")
    }
}
