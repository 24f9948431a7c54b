import MoegcIR

/// The table from ONNX op to its importer: one entry per op moegc imports, the importers in
/// ONNXOps+*.swift by kind. An importer reads its node's inputs and attributes through the
/// context and emits moegc primitives; it returns one moegc value per ONNX output (nil for an
/// optional output moegc does not compute).
enum ONNXOps {
    typealias Importer = @Sendable (inout ImportContext, NodeView) throws(ONNXError) -> [ValueID?]

    static func importer(domain: String, opType: String) -> Importer? {
        switch domain {
        case "", "ai.onnx": return standard[opType]
        case "com.microsoft": return microsoft[opType]
        default: return nil
        }
    }

    /// Ops of the default domain.
    static let standard: [String: Importer] = elementwise.merging(shape) { a, _ in a }
        .merging(indexing) { a, _ in a }.merging(math) { a, _ in a }

    /// Every op the table imports, sorted (the README lists them with their conformance counts).
    static var claimed: [String] { standard.keys.sorted() }
}

// MARK: Attribute access

extension NodeView {
    func int(_ name: String, _ fallback: Int) throws(ONNXError) -> Int {
        switch attribute(name) {
        case nil: return fallback
        case .int(let v)?: return Int(clamping: v)
        case let other?: throw ONNXError(.corrupted, "node '\(label)' (\(op)): attribute '\(name)' must be an int, got \(other.kindName)")
        }
    }

    func float(_ name: String, _ fallback: Float) throws(ONNXError) -> Float {
        switch attribute(name) {
        case nil: return fallback
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        case let other?: throw ONNXError(.corrupted, "node '\(label)' (\(op)): attribute '\(name)' must be a float, got \(other.kindName)")
        }
    }

    func string(_ name: String, _ fallback: String) throws(ONNXError) -> String {
        switch attribute(name) {
        case nil: return fallback
        case .string(let v)?: return v
        case let other?: throw ONNXError(.corrupted, "node '\(label)' (\(op)): attribute '\(name)' must be a string, got \(other.kindName)")
        }
    }

    func ints(_ name: String) throws(ONNXError) -> [Int]? {
        switch attribute(name) {
        case nil: return nil
        case .ints(let v)?: return v.map { Int(clamping: $0) }
        case .int(let v)?: return [Int(clamping: v)]
        case let other?: throw ONNXError(.corrupted, "node '\(label)' (\(op)): attribute '\(name)' must be a list of ints, got \(other.kindName)")
        }
    }
}

extension ImportContext {
    /// Axes (or sizes) from input `i` when it is given, else from attribute `name` (older opsets).
    func intsInputOrAttribute(_ n: NodeView, _ i: Int, _ name: String) throws(ONNXError) -> [Int]? {
        if let v = try optionalInts(n, i, name) { return v }
        return try n.ints(name)
    }

    /// `axis` normalised against `rank`, or an error naming the attribute.
    func axis(_ a: Int, rank: Int, _ what: String = "axis") throws(ONNXError) -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < max(rank, 1) else { throw fail("\(what) \(a) is out of range for rank \(rank)", .invalidGraph) }
        return r
    }

    /// x reshaped (no node when the shape is already `shape`).
    mutating func reshape(_ x: ValueID, _ shape: [Int]) throws(ONNXError) -> ValueID {
        if self.shape(x) == shape { return x }
        return try emit(.reshape, [x], [("shape", .list(shape.map { .int($0) }))])
    }

    mutating func transpose(_ x: ValueID, _ perm: [Int]) throws(ONNXError) -> ValueID {
        if perm == Array(0..<perm.count) { return x }
        return try emit(.transpose, [x], [("perm", .list(perm.map { .int($0) }))])
    }

    /// A scalar of x's dtype.
    mutating func scalar(_ value: Double, like x: ValueID) -> ValueID {
        type(x).dtype == .f32 ? constant(floats: [Float(value)], shape: []) : constant(ints: [Int(value)], shape: [])
    }

    /// The values of `names` (a variadic op's inputs), each required.
    func inputs(_ n: NodeView) throws(ONNXError) -> [ValueID] {
        var out: [ValueID] = []
        for i in n.node.inputs.indices where n.has(i) { out.append(try input(n, i)) }
        return out
    }
}
