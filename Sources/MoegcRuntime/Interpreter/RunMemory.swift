import MoegcIR
import MoegcPlan
import MoegcSupport

/// What a run will hold, sized from the graph's types before anything is allocated: every value
/// at the bound of its data-dependent dimensions (an f32 or i32 element is 4 bytes), the weights
/// (held for the whole run), their packed copies, and the values live at once. The reference
/// interpreter and the runtime check it against `ResourceLimits` when they are made, so an input
/// of `f32[1099511627776]` or a 10^12-element `param` is an error naming the value, its size and
/// the limit — never a failed allocation.
public enum RunMemory {
    /// The bytes of one value at its bound, or nil when that does not fit in 64 bits.
    static func bytes(_ type: TensorType) -> Int? { Sizes.product(type.elementCount ?? -1, 4) }

    /// How a value is named in messages: `input %x (f32[8])`, `weight %w (…)`, `value %h (…)`.
    static func describe(_ graph: Graph, _ v: Int) -> String {
        let value = graph.values[v], type = value.type.map { " (\($0))" } ?? ""
        if value.producer == nil { return "input %\(value.name)\(type)" }
        if let p = value.producer, graph.nodes[p.index].op.schema.isWeight { return "weight %\(value.name)\(type)" }
        return "value %\(value.name)\(type)"
    }

    /// Every value within the single-allocation ceiling; returns each value's bytes.
    static func checkValues(_ graph: Graph, _ limits: ResourceLimits) throws(ExecutionError) -> [Int] {
        var sizes: [Int] = []
        sizes.reserveCapacity(graph.values.count)
        for (v, value) in graph.values.enumerated() {
            let b = value.type.flatMap(bytes)
            do throws(ResourceError) { try limits.checkAllocation(describe(graph, v), bytes: b) } catch {
                throw ExecutionError(error.message)
            }
            sizes.append(b!)
        }
        return sizes
    }

    /// Bytes of the weights (`param` results) and of their packed copies (each matmul weight
    /// K · ⌈N/16⌉·16 floats per batch, plain and transposed uses counted apart), overflow-checked.
    /// `only` (the `param` node indices a process makes; nil: all) counts those and their packings.
    static func weightBytes(_ graph: Graph, _ sizes: [Int], only: Set<Int>? = nil) -> (weights: Int?, packed: Int?) {
        var weights: Int? = 0
        for (i, node) in graph.nodes.enumerated() where node.op.schema.isWeight && only?.contains(i) != false {
            weights = weights.flatMap { Sizes.sum($0, sizes[node.results[0].index]) }
        }
        var packed: Int? = 0
        var seen = Set<[Int]>()
        for node in graph.nodes where node.op == .matmul && node.operands.count == 2 {
            let b = node.operands[1].index
            guard let p = graph.values[b].producer, graph.nodes[p.index].op.schema.isWeight, only?.contains(p.index) != false,
                  let t = graph.values[b].type, t.rank >= 2 else { continue }
            let transposed = node.attributes["transpose_b"]?.boolValue ?? false
            guard seen.insert([b, transposed ? 1 : 0]).inserted else { continue }
            let (r, c) = (t.shape[t.rank - 2], t.shape[t.rank - 1])
            let columns = transposed ? r : c, rows = transposed ? c : r
            let padded = Sizes.product(Sizes.sum(columns, 15).map { $0 / 16 } ?? -1, 16)
            let matrix = padded.flatMap { Sizes.product([rows, $0, 4]) }
            let all = matrix.flatMap { m in Sizes.product(t.shape.dropLast(2)).flatMap { Sizes.product($0, m) } }
            packed = packed.flatMap { p in all.flatMap { Sizes.sum(p, $0) } }
        }
        return (weights, packed)
    }

    /// The most bytes of non-weight values live at once when `order` runs on one device that also
    /// receives every operand it does not produce: inputs from the start, results from their
    /// node, each freed after its last use in `order` (graph outputs kept), plus the largest
    /// value as a kernel's scratch.
    static func livePeak(_ graph: Graph, _ sizes: [Int], order: [Int], keepsOutputs: Bool = true) -> Int? {
        var lastUse = [Int](repeating: -1, count: graph.values.count)
        for (k, i) in order.enumerated() { for v in graph.nodes[i].operands { lastUse[v.index] = k } }
        if keepsOutputs { for o in graph.outputs { lastUse[o.index] = Int.max } }
        var isWeight = [Bool](repeating: false, count: graph.values.count)
        for node in graph.nodes where node.op.schema.isWeight { isWeight[node.results[0].index] = true }
        var live: Int? = 0, peak = 0, largest = 0
        var present = [Bool](repeating: false, count: graph.values.count)
        func add(_ v: Int) {
            guard !isWeight[v], !present[v], lastUse[v] >= 0 else { return }
            present[v] = true
            live = live.flatMap { Sizes.sum($0, sizes[v]) }
        }
        for v in graph.inputs { add(v.index) }
        for (k, i) in order.enumerated() {
            let node = graph.nodes[i]
            for v in node.operands { add(v.index) }
            for r in node.results {
                add(r.index)
                largest = max(largest, sizes[r.index])
            }
            guard let l = live else { return nil }
            peak = max(peak, l)
            for v in node.operands where lastUse[v.index] == k && present[v.index] {
                present[v.index] = false
                live = live.map { $0 - sizes[v.index] }
            }
        }
        return Sizes.sum(peak, largest)
    }

    /// Checks a reference-interpreter run of `graph`: every value within one allocation, and the
    /// weights, their packed copies and the values live at once in node order within the run.
    public static func checkInterpreter(_ graph: Graph, limits: ResourceLimits = .current) throws(ExecutionError) {
        let sizes = try checkValues(graph, limits)
        let (weights, packed) = weightBytes(graph, sizes)
        let live = livePeak(graph, sizes, order: Array(graph.nodes.indices))
        try checkRun("running graph '\(graph.name)'", weights, packed, live, limits)
    }

    /// Checks a runtime step of `plan`: as the interpreter, with every device's live values (each
    /// holds its own copies of what it reads) and every copy in flight between devices at once.
    /// With `devices` (a process serving only those, the MPI backend's rank): their weights
    /// (`weights`, the `param` nodes it makes), their live values, and the copies they send or
    /// receive.
    public static func checkRuntime(_ plan: ExecutionPlan, devices: [Int]? = nil, weights only: Set<Int>? = nil,
                                    limits: ResourceLimits = .current) throws(ExecutionError) {
        let graph = plan.graph
        let local = devices.map(Set.init) ?? Set(0..<plan.deviceCount)
        let sizes = try checkValues(graph, limits)
        let (weights, packed) = weightBytes(graph, sizes, only: only)
        var live: Int? = 0
        for d in local.sorted() where live != nil {
            live = livePeak(graph, sizes, order: plan.order[d]).flatMap { p in live.flatMap { Sizes.sum($0, p) } }
        }
        // Copies in flight: one per (value, other device that reads it).
        var copies = Set<[Int]>()
        for (j, node) in graph.nodes.enumerated() {
            for v in node.operands {
                if let p = graph.values[v.index].producer, plan.device[p.index] != plan.device[j],
                   local.contains(plan.device[p.index]) || local.contains(plan.device[j]) { copies.insert([v.index, plan.device[j]]) }
            }
        }
        for c in copies where live != nil { live = live.flatMap { Sizes.sum($0, sizes[c[0]]) } }
        let which = local.count == plan.deviceCount ? ""
            : " (device\(local.count == 1 ? "" : "s") \(local.sorted().map(String.init).joined(separator: ", ")) here)"
        try checkRun("running plan of '\(graph.name)' on \(plan.deviceCount) device\(plan.deviceCount == 1 ? "" : "s")\(which)", weights, packed, live, limits)
    }

    private static func checkRun(_ what: String, _ weights: Int?, _ packed: Int?, _ live: Int?, _ limits: ResourceLimits) throws(ExecutionError) {
        let total = weights.flatMap { w in packed.flatMap { p in live.flatMap { Sizes.sum([w, p, $0]) } } }
        func spell(_ x: Int?) -> String { x.map { Quantity.bytes(Double($0)) } ?? "more than 2^63 bytes" }
        do throws(ResourceError) {
            try limits.checkRun("\(what) (weights \(spell(weights)), their packed copies \(spell(packed)), values live at once \(spell(live)))",
                                bytes: total)
        } catch {
            throw ExecutionError(error.message)
        }
    }
}
