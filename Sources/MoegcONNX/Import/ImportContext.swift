import MoegcIR
import MoegcRuntime
import MoegcSupport

/// The importer's working state: the moegc graph being built, which of its values are known at
/// import (initializers, constants, and everything computed from them alone), and the map from
/// ONNX names to moegc values. Op importers (ONNXOps) read inputs and emit primitives through it.
struct ImportContext {
    let opset: Int64
    let directory: String
    let path: String
    var graph = Graph(name: "model")
    /// Values known at import, by value index.
    var known: [Int: HostTensor] = [:]
    /// Known values holding an INT64 clamped to i32 (usable as bounds only).
    var clamped = Set<Int>()
    /// ONNX value name → moegc value.
    var names: [String: ValueID] = [:]
    /// Values named after an op, to be renamed after the ONNX output they turn out to define.
    var provisional = Set<Int>()
    var usedNames = Set<String>()
    /// The node being imported, for messages.
    var current: NodeView?
    let executor = NodeExecutor(seed: 0)

    init(opset: Int64, directory: String, path: String) {
        self.opset = opset
        self.directory = directory
        self.path = path
    }

    // MARK: Messages

    /// An error about the current node: `path: error: node 'n' (Op): message`.
    func fail(_ message: String, _ code: ONNXError.Code = .unsupported) -> ONNXError {
        guard let n = current else { return ONNXError(code, "\(path): error: \(message)") }
        return ONNXError(code, "\(path): error: node '\(n.label)' (\(n.op)): \(message)")
    }

    /// The element count of a constant of `shape` the import is about to make (4-byte elements),
    /// checked against the limits before anything is allocated: an error naming the node otherwise.
    func constantCount(_ shape: [Int], _ what: String) throws(ONNXError) -> Int {
        guard let count = Sizes.product(shape) else {
            throw fail("\(what) of shape \(shape) has more elements than fit in 64 bits, or a negative entry", .invalidGraph)
        }
        do { try ResourceLimits.current.checkAllocation("\(what) of shape \(shape)", count: count, elementSize: 4) } catch {
            throw fail(error.description, .invalidGraph)
        }
        return count
    }

    // MARK: Names

    /// A moegc value name for an ONNX one: characters outside [A-Za-z0-9_.] become '_'.
    static func sanitize(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            let ok = (ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || (ch >= "0" && ch <= "9") || ch == "_" || ch == "."
            out.unicodeScalars.append(ok ? ch : "_")
        }
        return out.isEmpty ? "v" : out
    }

    /// A NAME token (graph and dimension names): sanitized, starting with a letter or '_'.
    static func identifier(_ s: String) -> String {
        let n = sanitize(s)
        guard let first = n.unicodeScalars.first, (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") || first == "_" else {
            return "_" + n
        }
        return n
    }

    mutating func freshName(_ base: String) -> String {
        let b = ImportContext.sanitize(base)
        if usedNames.insert(b).inserted { return b }
        var i = 1
        while !usedNames.insert("\(b).\(i)").inserted { i += 1 }
        return "\(b).\(i)"
    }

    /// Makes ONNX name `name` stand for `v`; a value this node's import made takes the name.
    mutating func bind(_ name: String, _ v: ValueID) {
        names[name] = v
        if provisional.remove(v.index) != nil {
            usedNames.remove(graph.values[v.index].name)
            graph.values[v.index].name = freshName(name)
        }
    }

    // MARK: Inputs of the current node

    /// Input `i` of the node (it must be given).
    func input(_ n: NodeView, _ i: Int) throws(ONNXError) -> ValueID {
        guard n.has(i) else { throw fail("input \(i) is required") }
        guard let v = names[n.node.inputs[i]] else { throw fail("input '\(n.node.inputs[i])' has no value", .invalidGraph) }
        return v
    }

    func optionalInput(_ n: NodeView, _ i: Int) throws(ONNXError) -> ValueID? {
        n.has(i) ? try input(n, i) : nil
    }

    func type(_ v: ValueID) -> TensorType { graph.type(of: v) }
    func shape(_ v: ValueID) -> [Int] { graph.type(of: v).shape }
    func rank(_ v: ValueID) -> Int { graph.type(of: v).rank }

    func isKnown(_ v: ValueID) -> Bool { known[v.index] != nil }

    /// The integers of a value that must be known at import (a shape, axes, a count), else an error
    /// saying moegc needs it static.
    func ints(_ v: ValueID, _ what: String) throws(ONNXError) -> [Int] {
        guard let t = known[v.index] else {
            throw fail("its \(what) must be a constant (moegc compiles static shapes), but it is computed at run time", .unresolved)
        }
        switch t.storage {
        case .i32(let x): return x.map { Int($0) }
        case .f32(let x): return x.map { Int($0) }
        }
    }

    func floats(_ v: ValueID, _ what: String) throws(ONNXError) -> [Float] {
        guard let t = known[v.index] else { throw fail("its \(what) must be a constant, but it is computed at run time", .unresolved) }
        switch t.storage {
        case .i32(let x): return x.map { Float($0) }
        case .f32(let x): return x
        }
    }

    /// The integers of input `i` when given, else nil.
    func optionalInts(_ n: NodeView, _ i: Int, _ what: String) throws(ONNXError) -> [Int]? {
        guard let v = try optionalInput(n, i) else { return nil }
        return try ints(v, what)
    }

    // MARK: Emitting

    /// Adds a known value (an initializer, a constant, a folded result) as a placeholder source;
    /// the rebuild decides how a kept one is stored.
    mutating func constant(_ t: HostTensor, name: String, clamped isClamped: Bool = false) -> ValueID {
        let op: OpCode = t.dtype == .f32 ? .param : .constant
        let nid = graph.addNode(op, [], resultNames: [freshName(name)], resultTypes: [t.type])
        let v = graph.nodes[nid.index].results[0]
        known[v.index] = t
        if isClamped { clamped.insert(v.index) }
        return v
    }

    /// An i32 constant.
    mutating func constant(ints: [Int], shape: [Int]? = nil, name: String = "c") -> ValueID {
        constant(HostTensor(shape ?? [ints.count], ints: ints.map { Int32(clamping: $0) }), name: name)
    }

    /// An f32 constant.
    mutating func constant(floats: [Float], shape: [Int]? = nil, name: String = "c") -> ValueID {
        constant(HostTensor(shape ?? [floats.count], floats: floats), name: name)
    }

    /// Emits a primitive with one result; evaluated at once when every operand is known.
    mutating func emit(_ op: OpCode, _ operands: [ValueID], _ attributes: [(String, AttributeValue)] = []) throws(ONNXError) -> ValueID {
        try emitAll(op, operands, attributes, results: 1)[0]
    }

    mutating func emitAll(_ op: OpCode, _ operands: [ValueID], _ attributes: [(String, AttributeValue)] = [], results: Int) throws(ONNXError) -> [ValueID] {
        let base = current.flatMap { $0.node.outputs.first { !$0.isEmpty } } ?? "v"
        var attrs = Attributes(attributes)
        attrs.sort(by: op.schema.attributeRank)
        let resultNames = (0..<results).map { _ in freshName("\(base).\(op)") }
        let nid = graph.addNode(op, operands, attributes: attrs, resultNames: resultNames)
        let types: [TensorType]
        do { types = try graph.inferResultTypes(nid) } catch { throw fail("moegc's '\(op)' rejects it: \(error.message)") }
        let node = graph.nodes[nid.index]
        for (r, t) in zip(node.results, types) {
            graph.values[r.index].type = t
            provisional.insert(r.index)
        }
        if operands.allSatisfy({ known[$0.index] != nil }) {
            let inputs = operands.map { known[$0.index]! }
            let ctx = OpContext(schema: op.schema, operandTypes: inputs.map(\.type), attributes: node.attributes,
                                declaredResultTypes: types)
            do {
                let values = try executor.execute(node, name: resultNames[0], inputs, ctx)
                for (r, t) in zip(node.results, values) { known[r.index] = t }
                if operands.contains(where: { clamped.contains($0.index) }) { for r in node.results { clamped.insert(r.index) } }
            } catch {
                throw fail("evaluating it at import failed: \(error.message)")
            }
        }
        return node.results
    }

    // MARK: Graph inputs and initializers

    mutating func addInputs(_ g: ONNXGraph, dims overrides: [String: Int]) throws(ONNXError) {
        let initialized = Set(g.initializers.map(\.name))
        var symbols: [String: Int] = [:], order: [String] = []
        for info in g.inputs where !initialized.contains(info.name) {
            guard let elem = info.elemType else {
                throw fail("graph input '\(info.name)' is not a tensor (moegc imports tensor inputs only)")
            }
            guard let dtype = ImportContext.dtype(elem) else {
                throw fail("graph input '\(info.name)' is \(ONNXDataType.name(elem)); moegc reads FLOAT, INT32, INT64 and BOOL inputs")
            }
            guard let shape = info.dims else {
                throw fail("graph input '\(info.name)' has no shape; moegc compiles static shapes", .unresolved)
            }
            var dims: [Dim] = []
            for (k, d) in shape.enumerated() {
                switch d {
                case .value(let n):
                    guard n >= 0, n <= Int64(Int32.max) else {
                        throw fail("graph input '\(info.name)' has dimension \(k) of size \(n); moegc reads sizes 0 to 2^31 − 1", .unresolved)
                    }
                    dims.append(Dim(Int(n)))
                case .param(let p):
                    let symbol = ImportContext.identifier(p)
                    guard let size = overrides[p] ?? overrides[symbol] else {
                        throw fail("graph input '\(info.name)' has dimension \(k) named '\(p)', which has no size: give it with --dim \(symbol)=N", .unresolved)
                    }
                    if symbols[symbol] == nil { order.append(symbol) }
                    symbols[symbol] = size
                    dims.append(Dim(size, symbol: symbol))
                case .unknown:
                    throw fail("graph input '\(info.name)' has dimension \(k) with neither a size nor a name; moegc compiles static shapes (export with fixed sizes, or name the dimension and give --dim NAME=N)", .unresolved)
                }
            }
            let v = graph.addInput(name: freshName(info.name), type: TensorType(dtype, dims))
            names[info.name] = v
        }
        graph.symbols = order.map { DimSymbol(name: $0, value: symbols[$0]!) }
    }

    mutating func addInitializers(_ g: ONNXGraph) throws(ONNXError) {
        for t in g.initializers {
            guard !t.name.isEmpty else { throw fail("an initializer has no name", .invalidGraph) }
            let value: TensorValue
            do { value = try t.value(directory: directory, "initializer '\(t.name)'") } catch {
                throw ONNXError(error.code, "\(path): error: \(error.message)")
            }
            names[t.name] = constant(value.tensor, name: t.name, clamped: value.clamped)
        }
    }

    /// The values of a tensor attribute of the current node, errors located at the node.
    func value(of t: ONNXTensor) throws(ONNXError) -> TensorValue {
        do { return try t.value(directory: directory, "its value") } catch { throw fail(error.message, error.code) }
    }

    /// moegc's dtype for an ONNX element type (booleans and 64-bit integers are held as i32).
    static func dtype(_ elem: Int32) -> DType? {
        switch elem {
        case ONNXDataType.float: .f32
        case ONNXDataType.int32, ONNXDataType.int64, ONNXDataType.bool: .i32
        default: nil
        }
    }

    // MARK: The final graph

    /// The graph the outputs need: nodes not known at import, in order, each known value they read
    /// stored once, before its first use, as a `constant`, a `fill` or a weight.
    mutating func rebuild(outputs: [ONNXValueInfo], weights: inout [String: HostTensor]) throws(ONNXError) -> Graph {
        current = nil
        var outputValues: [ValueID] = []
        for o in outputs {
            guard let v = names[o.name] else { throw fail("graph output '\(o.name)' has no value", .invalidGraph) }
            if let elem = o.elemType, elem != 0 {
                guard let d = ImportContext.dtype(elem) else {
                    throw fail("graph output '\(o.name)' is \(ONNXDataType.name(elem)); moegc produces FLOAT, INT32, INT64 and BOOL outputs")
                }
                guard d == type(v).dtype else {
                    throw fail("graph output '\(o.name)' is declared \(ONNXDataType.name(elem)), but moegc computes \(type(v).dtype)", .invalidGraph)
                }
            }
            if let dims = o.dims, dims.count != type(v).rank || zip(dims, type(v).shape).contains(where: { d, s in
                if case .value(let n) = d { return n != Int64(s) } else { return false }
            }) {
                throw fail("graph output '\(o.name)' is declared with shape \(dims.map(ImportContext.spell)), but moegc infers \(type(v))", .invalidGraph)
            }
            // A value made only to be this output is named after it.
            if graph.values[v.index].producer != nil, !outputValues.contains(v), graph.values[v.index].name != ImportContext.sanitize(o.name),
               !usedNames.contains(ImportContext.sanitize(o.name)) {
                usedNames.remove(graph.values[v.index].name)
                graph.values[v.index].name = freshName(o.name)
            }
            outputValues.append(v)
        }
        // The nodes the outputs need.
        var needed = [Bool](repeating: false, count: graph.nodes.count)
        var stack = outputValues.filter { known[$0.index] == nil }.compactMap { graph.values[$0.index].producer }
        while let p = stack.popLast() {
            guard !needed[p.index] else { continue }
            needed[p.index] = true
            for v in graph.nodes[p.index].operands where known[v.index] == nil {
                if let q = graph.values[v.index].producer { stack.append(q) }
            }
        }
        var out = Graph(name: graph.name, symbols: graph.symbols)
        var map = [ValueID?](repeating: nil, count: graph.values.count)
        for v in graph.inputs { map[v.index] = out.addInput(name: graph.values[v.index].name, type: type(v)) }
        func materialise(_ v: ValueID, _ out: inout Graph, _ weights: inout [String: HostTensor]) throws(ONNXError) -> ValueID {
            if let m = map[v.index] { return m }
            guard let t = known[v.index] else { preconditionFailure("materialising an unknown value") }
            let name = graph.values[v.index].name
            if clamped.contains(v.index) {
                throw fail("the constant '\(name)' holds INT64 values outside i32, which moegc computes in; it can be used only as a bound (a Slice end, say)")
            }
            let nid: NodeID
            switch t.storage {
            case .i32(let x):
                let values: [AttributeValue] = (x.count > 1 && x.allSatisfy { $0 == x[0] }) ? [.int(Int(x[0]))] : x.map { .int(Int($0)) }
                nid = out.addNode(.constant, [], attributes: Attributes([("values", .list(values))]), resultNames: [name], resultTypes: [t.type])
            case .f32(let x):
                if let first = x.first, first.isFinite, x.allSatisfy({ $0.bitPattern == first.bitPattern }) {
                    nid = out.addNode(.fill, [], attributes: Attributes([("value", .float(Double(first)))]), resultNames: [name], resultTypes: [t.type])
                } else {
                    nid = out.addNode(.param, [], attributes: Attributes([("init", .symbol("data"))]), resultNames: [name], resultTypes: [t.type])
                    weights[name] = t
                }
            }
            let r = out.nodes[nid.index].results[0]
            map[v.index] = r
            return r
        }
        for (i, node) in graph.nodes.enumerated() where needed[i] {
            var operands: [ValueID] = []
            for v in node.operands {
                operands.append(known[v.index] != nil ? try materialise(v, &out, &weights) : map[v.index]!)
            }
            let nid = out.addNode(node.op, operands, attributes: node.attributes, resultNames: node.results.map { graph.values[$0.index].name },
                                  resultTypes: node.results.map { graph.values[$0.index].type })
            for (o, n) in zip(node.results, out.nodes[nid.index].results) { map[o.index] = n }
        }
        for v in outputValues where map[v.index] == nil {
            _ = try materialise(v, &out, &weights)
        }
        out.outputs = outputValues.map { map[$0.index]! }
        let problems = Verifier.verify(out, file: path)
        guard problems.isEmpty else {
            throw ONNXError(.invalidGraph, "\(path): error: internal error: the imported graph fails verification: \(problems.first!.message)")
        }
        return out
    }

    static func spell(_ d: ONNXDim) -> String {
        switch d {
        case .value(let n): "\(n)"
        case .param(let p): p
        case .unknown: "?"
        }
    }
}
