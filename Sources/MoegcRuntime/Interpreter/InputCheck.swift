import MoegcIR

/// Checks run inputs against a graph's inputs before anything executes.
public enum InputCheck {
    /// One tensor per graph input, each of the declared dtype and shape (data-dependent dimensions
    /// within their bound).
    public static func validate(_ inputs: [HostTensor], for graph: Graph) throws(ExecutionError) {
        guard inputs.count == graph.inputs.count else {
            let names = graph.inputs.map { "%" + graph.values[$0.index].name }.joined(separator: ", ")
            throw ExecutionError("graph '\(graph.name)' takes \(graph.inputs.count) inputs (\(names)), got \(inputs.count)")
        }
        for (v, t) in zip(graph.inputs, inputs) {
            let value = graph.values[v.index], type = graph.type(of: v)
            guard t.dtype == type.dtype else {
                throw ExecutionError("input %\(value.name) must be \(type.dtype), got \(t.dtype)")
            }
            let fits = t.rank == type.rank && zip(t.shape, type.dims).allSatisfy { $1.isDynamic ? $0 <= $1.size : $0 == $1.size }
            guard fits else {
                throw ExecutionError("input %\(value.name) must have shape \(type), got [\(t.shape.map(String.init).joined(separator: ", "))]")
            }
        }
    }

    /// Rejects NaN and infinite floats (the user asked for checking).
    public static func requireFinite(_ inputs: [HostTensor], for graph: Graph) throws(ExecutionError) {
        for (v, t) in zip(graph.inputs, inputs) {
            guard case .f32(let xs) = t.storage, let i = xs.firstIndex(where: { !$0.isFinite }) else { continue }
            throw ExecutionError("input %\(graph.values[v.index].name) holds \(xs[i]) at flat index \(i) (checking for NaN and infinity was requested)")
        }
    }

    /// Where the kernels index with an integer value: operand 1 of `gather` (its axis of the table;
    /// with `wrap_negative`, −size..<0 counts from the end), `pick` (the last axis) and
    /// `scatter_add` (the result's rows). nil for other operands.
    static func indexBound(_ graph: Graph, _ node: Node, operand: Int) -> (bound: Int, what: String, wraps: Bool)? {
        guard operand == 1 else { return nil }
        func name(_ v: ValueID) -> String { "%" + graph.values[v.index].name }
        switch node.op {
        case .gather:
            guard let table = graph.values[node.operands[0].index].type, table.rank > 0 else { return nil }
            let given = node.attributes["axis"]?.intValue ?? 0, axis = given < 0 ? given + table.rank : given
            guard (0..<table.rank).contains(axis) else { return nil }
            let what = axis == 0 ? "the rows of \(name(node.operands[0]))" : "axis \(axis) of \(name(node.operands[0]))"
            return (table.dims[axis].size, what, node.attributes["wrap_negative"]?.boolValue ?? false)
        case .pick: return graph.values[node.operands[0].index].type.flatMap { $0.dims.last.map { ($0.size, "the classes of \(name(node.operands[0]))", false) } }
        case .scatter_add: return node.attributes["rows"]?.intValue.map { ($0, "the rows of \(name(node.results[0]))", false) }
        default: return nil
        }
    }

    /// A range a graph input's values index: input `input` (its position among the graph's inputs)
    /// must hold values in `lower`..<`bound` (`lower` 0, or −`bound` where negative indices count
    /// from the end), `what` says what they index.
    public struct IndexRange: Sendable, Hashable {
        public var input: Int
        public var lower: Int
        public var bound: Int
        public var what: String
    }

    /// The integer inputs the kernels use as indices (token ids into an embedding table, targets
    /// into the softmax's classes, directly or through reshapes), each with the tightest range it
    /// is read with. Computed once per graph (an interpreter or runtime keeps it).
    public static func indexRanges(for graph: Graph) -> [IndexRange] {
        var consumers = [[(Int, Int)]](repeating: [], count: graph.values.count)
        for (i, node) in graph.nodes.enumerated() { for (k, v) in node.operands.enumerated() { consumers[v.index].append((i, k)) } }
        var out: [IndexRange] = []
        for (position, v) in graph.inputs.enumerated() where graph.values[v.index].type?.dtype.isInteger ?? false {
            var bound: (bound: Int, what: String, wraps: Bool)? = nil
            var frontier = [v.index], seen = Set<Int>()
            while let x = frontier.popLast() {
                guard seen.insert(x).inserted else { continue }
                for (i, k) in consumers[x] {
                    let node = graph.nodes[i]
                    if node.op == .reshape { frontier.append(node.results[0].index); continue }
                    if let b = indexBound(graph, node, operand: k),
                       bound.map({ b.bound < $0.bound || (b.bound == $0.bound && !b.wraps) }) ?? true { bound = b }
                }
            }
            if let bound { out.append(IndexRange(input: position, lower: bound.wraps ? -bound.bound : 0, bound: bound.bound, what: bound.what)) }
        }
        return out
    }

    /// Checks the inputs against `ranges` before anything runs: the message names the input, the
    /// position of the first value out of range, and the range.
    public static func validateIndices(_ inputs: [HostTensor], for graph: Graph, ranges: [IndexRange]? = nil) throws(ExecutionError) {
        for r in ranges ?? indexRanges(for: graph) where r.input < inputs.count {
            let t = inputs[r.input]
            guard case .i32(let ids) = t.storage, let flat = ids.firstIndex(where: { Int($0) < r.lower || Int($0) >= r.bound }) else { continue }
            var position: [Int] = [], rest = flat
            for extent in t.shape.reversed() {
                position.insert(extent > 0 ? rest % extent : 0, at: 0)
                rest = extent > 0 ? rest / extent : 0
            }
            let name = graph.values[graph.inputs[r.input].index].name
            throw ExecutionError("input '\(name)' holds \(ids[flat]) at [\(position.map(String.init).joined(separator: ", "))] (flat index \(flat)): its values index \(r.what) and must be in \(r.lower)..<\(r.bound)")
        }
    }
}
