import MoegcIR
import MoegcRuntime
import MoegcSupport

/// A model imported from ONNX: the moegc graph (primitives, shapes inferred and verified) and the
/// model's own weights, by the `param` value names of the graph (each `init = data`).
public struct ImportedModel: Sendable {
    public var graph: Graph
    public var weights: [String: HostTensor]
    /// ONNX opset of the default domain, producer, and counts, for the driver's summary.
    public var opset: Int64
    public var producer: String
    public var onnxNodes: Int
}

/// The ONNX front end: an `ONNXModel` → a moegc `Graph` of primitives and its weights.
///
/// Algorithm:
///
///     check opsets (13…28), every op known ── report every unknown (name, op, domain) at once
///     order the nodes (Kahn) ───────────────── a dangling name or a cycle is an error naming it
///     inputs: symbolic dims get sizes from --dim (an error naming the input otherwise)
///     initializers: known tensors (no node yet decides how they are stored)
///     for each node in order: its importer (ONNXOps) emits moegc primitives;
///         a primitive whose operands are all known is *evaluated* with moegc's own kernels
///         (NodeExecutor): shape arithmetic, transposed weights, masks fold here
///     rebuild: keep the nodes the outputs need that are not known; a known value a kept
///         node reads becomes a source: `constant` (integers), `fill` (one float repeated),
///         or `param {init = data}` with its data in the weights (every other float tensor)
///
/// Nothing here names a moegc op's semantics twice: folding runs the same kernels as `run`.
public enum ONNXImporter {
    /// Default-domain opsets moegc imports.
    public static let opsets: ClosedRange<Int64> = 13...28

    /// Reads and imports the model at `path`; `dims` gives sizes to symbolic input dimensions.
    public static func load(path: String, dims: [String: Int] = [:]) throws(ONNXError) -> ImportedModel {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw ONNXError(.notAModel, error.description) }
        let model = try ONNXDecoder.decode(bytes, path: path)
        return try importModel(model, directory: directory(of: path), path: path, dims: dims)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func importModel(_ model: ONNXModel, directory: String, path: String, dims: [String: Int] = [:]) throws(ONNXError) -> ImportedModel {
        func fail(_ code: ONNXError.Code, _ m: String) -> ONNXError { ONNXError(code, "\(path): error: \(m)") }
        guard let opset = model.defaultOpset else { throw fail(.unsupportedVersion, "the model imports no opset of the default domain (ai.onnx)") }
        guard opsets.contains(opset) else {
            throw fail(.unsupportedVersion, "opset \(opset) of the default domain is not supported (moegc imports opsets \(opsets.lowerBound) to \(opsets.upperBound))")
        }
        let g = model.graph
        // Every op known, or every unknown one listed.
        var unknown: [String] = []
        for (i, n) in g.nodes.enumerated() where ONNXOps.importer(domain: n.domain, opType: n.opType) == nil {
            let domain = n.domain.isEmpty ? "ai.onnx" : n.domain
            unknown.append("  node '\(n.name.isEmpty ? "#\(i)" : n.name)': \(n.opType) (domain \(domain))")
        }
        guard unknown.isEmpty else {
            throw fail(.unsupported, "\(unknown.count) node\(unknown.count == 1 ? "" : "s") use\(unknown.count == 1 ? "s" : "") an op moegc does not import:\n" + unknown.joined(separator: "\n"))
        }
        for n in g.nodes where !n.domain.isEmpty && n.domain != "ai.onnx" && model.opsets[n.domain] == nil {
            throw fail(.invalidGraph, "node '\(n.name)' uses domain \(n.domain), which the model does not import")
        }
        let order = try topologicalOrder(g, fail)
        var ctx = ImportContext(opset: opset, directory: directory, path: path)
        ctx.graph.name = g.name.isEmpty ? "model" : ImportContext.identifier(g.name)
        try ctx.addInputs(g, dims: dims)
        try ctx.addInitializers(g)
        for i in order {
            let node = g.nodes[i]
            let view = NodeView(node: node, index: i)
            guard let importer = ONNXOps.importer(domain: node.domain, opType: node.opType) else { continue }
            ctx.current = view
            let results = try importer(&ctx, view)
            for (k, name) in node.outputs.enumerated() where !name.isEmpty {
                guard k < results.count, let v = results[k] else {
                    throw fail(.unsupported, "node '\(view.label)' (\(node.opType)): moegc does not compute its output \(k) ('\(name)')")
                }
                ctx.bind(name, v)
            }
        }
        var weights: [String: HostTensor] = [:]
        let graph = try ctx.rebuild(outputs: g.outputs, weights: &weights)
        return ImportedModel(graph: graph, weights: weights, opset: opset, producer: model.producer, onnxNodes: g.nodes.count)
    }

    /// The nodes in an order where every input is defined first (Kahn's algorithm, ties in file
    /// order, so a sorted file keeps its order).
    static func topologicalOrder(_ g: ONNXGraph, _ fail: (ONNXError.Code, String) -> ONNXError) throws(ONNXError) -> [Int] {
        var producer: [String: Int] = [:]
        var defined = Set<String>(g.inputs.map(\.name))
        for t in g.initializers { defined.insert(t.name) }
        for (i, n) in g.nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if defined.contains(o) || producer[o] != nil {
                    throw fail(.invalidGraph, "value '\(o)' is defined twice (again by node '\(NodeView(node: n, index: i).label)')")
                }
                producer[o] = i
            }
        }
        var waiting = [Int](repeating: 0, count: g.nodes.count)
        var consumers = [[Int]](repeating: [], count: g.nodes.count)
        for (i, n) in g.nodes.enumerated() {
            for input in Set(n.inputs) where !input.isEmpty {
                if let p = producer[input] {
                    waiting[i] += 1
                    consumers[p].append(i)
                } else if !defined.contains(input) {
                    throw fail(.invalidGraph, "node '\(NodeView(node: n, index: i).label)' (\(n.opType)) reads '\(input)', which nothing defines")
                }
            }
        }
        var ready = Heap(g.nodes.indices.filter { waiting[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(g.nodes.count)
        while let i = ready.popMin() {
            order.append(i)
            for c in consumers[i] {
                waiting[c] -= 1
                if waiting[c] == 0 { ready.insert(c) }
            }
        }
        guard order.count == g.nodes.count else {
            let stuck = g.nodes.indices.filter { waiting[$0] > 0 }.prefix(5).map { "'\(NodeView(node: g.nodes[$0], index: $0).label)'" }
            throw fail(.invalidGraph, "the graph has a cycle through node\(stuck.count == 1 ? "" : "s") \(stuck.joined(separator: ", "))")
        }
        for o in g.outputs where producer[o.name] == nil && !defined.contains(o.name) {
            throw fail(.invalidGraph, "graph output '\(o.name)' is not defined by any node, input or initializer")
        }
        return order
    }
}

/// A min-heap of node indices (the ready set of the ordering: the earliest node in the file first).
struct Heap {
    private var items: [Int]
    init(_ items: [Int]) {
        self.items = []
        for i in items { insert(i) }
    }
    mutating func insert(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p] <= items[i] { break }
            items.swapAt(p, i)
            i = p
        }
    }
    mutating func popMin() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l] < items[m] { m = l }
            if r < items.count && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return first
    }
}

/// One ONNX node as its importer sees it: inputs by position, attributes by name and kind.
struct NodeView {
    let node: ONNXNode
    let index: Int

    /// The node's name, or `#index` for an unnamed node.
    var label: String { node.name.isEmpty ? "#\(index)" : node.name }
    var op: String { node.opType }

    /// Whether input `i` is given (present and not the empty name of a left-out optional input).
    func has(_ i: Int) -> Bool { i < node.inputs.count && !node.inputs[i].isEmpty }

    func attribute(_ name: String) -> ONNXAttribute? { node.attributes[name] }
}

extension ONNXImporter {
    /// Every ONNX op (default domain) the importer imports, sorted.
    public static var supportedOps: [String] { ONNXOps.claimed }

    /// A tensor file (one `onnx.TensorProto`, as the backend tests' `input_0.pb`) as a HostTensor.
    public static func loadTensor(path: String) throws(ONNXError) -> HostTensor {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw ONNXError(.notAModel, error.description) }
        let t = try ONNXDecoder.decodeTensor(bytes, path: path)
        let v: TensorValue
        do { v = try t.value(directory: directory(of: path), "tensor '\(t.name)'") } catch {
            throw ONNXError(error.code, "\(path): error: \(error.message)")
        }
        guard !v.clamped else { throw ONNXError(.unsupported, "\(path): error: tensor '\(t.name)' holds INT64 values outside i32") }
        return v.tensor
    }
}
