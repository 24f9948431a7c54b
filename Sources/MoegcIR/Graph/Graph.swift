import MoegcSupport

/// Index of a value in `Graph.values`.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "v\(index)" }
}

/// Index of a node in `Graph.nodes`.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "n\(index)" }
}

/// An SSA value: a graph input or one result of a node. Defined once, used by any number of nodes.
public struct Value: Hashable, Sendable {
    /// The name without the `%` sigil; unique in its graph.
    public var name: String
    /// The type; nil only between parsing and shape inference for values the text left untyped.
    public var type: TensorType?
    /// The node that defines it, or nil for a graph input.
    public var producer: NodeID?
    /// Which result of `producer` (or which graph input) it is.
    public var resultIndex: Int

    public init(name: String, type: TensorType?, producer: NodeID?, resultIndex: Int) {
        self.name = name
        self.type = type
        self.producer = producer
        self.resultIndex = resultIndex
    }
}

/// An operation: an op from the registry applied to operand values, defining result values.
public struct Node: Hashable, Sendable {
    public var op: OpCode
    public var operands: [ValueID]
    public var results: [ValueID]
    public var attributes: Attributes
    /// Where the node was written, for diagnostics after parsing (nil for nodes a pass created).
    public var location: SourceLocation?
    /// Blank lines ("") and `# comment` lines written before the node; the printer reproduces them.
    public var leadingTrivia: [String]
    /// A `# comment` written after the node on its line.
    public var trailingComment: String?

    public init(op: OpCode, operands: [ValueID], results: [ValueID], attributes: Attributes = Attributes(),
                location: SourceLocation? = nil) {
        self.op = op
        self.operands = operands
        self.results = results
        self.attributes = attributes
        self.location = location
        self.leadingTrivia = []
        self.trailingComment = nil
    }
}

/// A named dimension of a graph (`batch = 32`), usable in its types and overridable from the CLI.
public struct DimSymbol: Hashable, Sendable {
    public var name: String
    public var value: Int
    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}

/// A dataflow graph: nodes (ops) over SSA values, with named dimensions, inputs and outputs.
///
/// Invariant once verified: `nodes` is in a topological order (every operand is a graph input or the
/// result of an earlier node). Passes keep it; the printer prints in that order.
public struct Graph: Hashable, Sendable {
    public var name: String
    public var symbols: [DimSymbol]
    public var values: [Value]
    public var nodes: [Node]
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    /// `# comment` lines (and blank lines, as "") before the `graph` header.
    public var headerComments: [String]
    /// Trivia before the closing `}`.
    public var trailingTrivia: [String]

    public init(name: String, symbols: [DimSymbol] = []) {
        self.name = name
        self.symbols = symbols
        self.values = []
        self.nodes = []
        self.inputs = []
        self.outputs = []
        self.headerComments = []
        self.trailingTrivia = []
    }

    public subscript(value: ValueID) -> Value {
        get { values[value.index] }
        set { values[value.index] = newValue }
    }

    public subscript(node: NodeID) -> Node {
        get { nodes[node.index] }
        set { nodes[node.index] = newValue }
    }

    /// The type of a value; shape inference must have run.
    public func type(of value: ValueID) -> TensorType {
        guard let t = values[value.index].type else {
            preconditionFailure("type of %\(values[value.index].name) asked before shape inference")
        }
        return t
    }

    public var nodeIDs: [NodeID] { nodes.indices.map(NodeID.init) }

    // MARK: Building

    /// Adds a graph input.
    @discardableResult
    public mutating func addInput(name: String, type: TensorType) -> ValueID {
        let id = ValueID(values.count)
        values.append(Value(name: name, type: type, producer: nil, resultIndex: inputs.count))
        inputs.append(id)
        return id
    }

    /// Appends a node with results named `resultNames` and typed `resultTypes` (nil: infer later).
    @discardableResult
    public mutating func addNode(_ op: OpCode, _ operands: [ValueID], attributes: Attributes = Attributes(),
                                 resultNames: [String], resultTypes: [TensorType?]? = nil,
                                 location: SourceLocation? = nil) -> NodeID {
        let nid = NodeID(nodes.count)
        var results: [ValueID] = []
        results.reserveCapacity(resultNames.count)
        for (i, name) in resultNames.enumerated() {
            results.append(ValueID(values.count))
            values.append(Value(name: name, type: resultTypes?[i], producer: nid, resultIndex: i))
        }
        nodes.append(Node(op: op, operands: operands, results: results, attributes: attributes, location: location))
        return nid
    }

    // MARK: Queries

    /// For every value, the nodes that use it (once per node, in node order).
    public func users() -> [[NodeID]] {
        var users = Array(repeating: [NodeID](), count: values.count)
        for (i, node) in nodes.enumerated() {
            var seen = Set<ValueID>()
            for v in node.operands where seen.insert(v).inserted { users[v.index].append(NodeID(i)) }
        }
        return users
    }

    /// A value by its name (without `%`), by linear search; tools and tests, not hot paths.
    public func value(named name: String) -> ValueID? {
        values.firstIndex { $0.name == name }.map(ValueID.init)
    }

    /// The value of a named dimension.
    public func symbol(_ name: String) -> Int? {
        symbols.first { $0.name == name }?.value
    }
}
