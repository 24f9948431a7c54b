/// A named set of parameter tensors: what layers register at construction, what a ``Tape`` reads,
/// what ``Adam`` updates and what checkpoints save.
///
/// Names are unique; iteration, ``namedTensors`` and ``serialized()`` go in name order, so two
/// stores with the same contents encode to the same bytes however they were filled.
///
///     var store = ParameterStore()
///     var rng = SeededGenerator(seed: 7)
///     let fc = Linear("fc", inputSize: 4, outputSize: 2, parameters: &store, generator: &rng)
///     let bytes = store.serialized()
///     let restored = try ParameterStore(serialized: bytes)   // restored == store
public struct ParameterStore: Sendable, Equatable {
    private var tensors: [String: Tensor] = [:]
    /// Parameter names in ascending order.
    public private(set) var names: [String] = []

    /// An empty store.
    public init() {}

    /// A store holding exactly the given named tensors (names must be unique).
    public init(namedTensors: [NamedTensor]) throws(NNError) {
        for entry in namedTensors {
            guard tensors[entry.name] == nil else {
                throw NNError(.duplicateName, "parameter '\(entry.name)' appears twice")
            }
            add(entry.name, entry.tensor)
        }
    }

    /// Decodes a store from ``serialized()`` bytes.
    public init(serialized bytes: [UInt8]) throws(NNError) {
        let archive = try TensorArchive(decoding: bytes)
        try self.init(namedTensors: archive.tensors)
    }

    /// The tensor named `name`, if any. Assigning replaces it; the shape must stay the same.
    public subscript(_ name: String) -> Tensor? {
        get { tensors[name] }
        set {
            guard let newValue else { preconditionFailure("ParameterStore: parameters cannot be removed") }
            guard let old = tensors[name] else {
                preconditionFailure("ParameterStore: no parameter '\(name)'; use add(_:_:)")
            }
            precondition(old.shape == newValue.shape,
                         "ParameterStore: '\(name)' has shape \(old.shape), not \(newValue.shape)")
            tensors[name] = newValue
        }
    }

    /// Registers a new parameter; the name must not be taken.
    public mutating func add(_ name: String, _ tensor: Tensor) {
        precondition(tensors[name] == nil, "ParameterStore: parameter '\(name)' already exists")
        tensors[name] = tensor
        let position = names.firstIndex { $0 > name } ?? names.endIndex
        names.insert(name, at: position)
    }

    /// Mutates the parameter `name` in place (no copy when the store holds the only reference).
    public mutating func update(_ name: String, _ body: (inout Tensor) -> Void) {
        guard var tensor = tensors.removeValue(forKey: name) else {
            preconditionFailure("ParameterStore: no parameter '\(name)'")
        }
        let shape = tensor.shape
        body(&tensor)
        precondition(tensor.shape == shape, "ParameterStore: update changed the shape of '\(name)'")
        tensors[name] = tensor
    }

    /// The number of parameters (tensors).
    public var count: Int { names.count }

    /// The total number of scalars over all parameters.
    public var scalarCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    /// The parameters in name order.
    public var namedTensors: [NamedTensor] {
        names.map { NamedTensor(name: $0, tensor: tensors[$0]!) }
    }

    /// Replaces every parameter's values with those of `other`, which must hold exactly the same
    /// names and shapes (loading a checkpoint into a freshly built model).
    public mutating func load(_ other: ParameterStore) throws(NNError) {
        guard other.names == names else {
            let missing = Set(names).subtracting(other.names).sorted()
            let extra = Set(other.names).subtracting(names).sorted()
            throw NNError(.nameMismatch, "missing \(missing), unexpected \(extra)")
        }
        for name in names where tensors[name]!.shape != other.tensors[name]!.shape {
            throw NNError(.shapeMismatch, "'\(name)' has shape \(tensors[name]!.shape), "
                          + "the loaded one \(other.tensors[name]!.shape)")
        }
        tensors = other.tensors
    }

    /// A deterministic little-endian encoding of the parameters in name order
    /// (see ``TensorArchive`` for the layout).
    public func serialized() -> [UInt8] {
        TensorArchive(tensors: namedTensors).encoded()
    }
}

/// A tensor with its name: the unit of save and load.
public struct NamedTensor: Sendable, Equatable {
    /// The parameter (or state) name.
    public var name: String
    /// The values.
    public var tensor: Tensor

    /// Pairs a name with a tensor.
    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }

    /// The shape of the tensor.
    public var shape: [Int] { tensor.shape }
    /// The scalars of the tensor, row-major.
    public var values: [Float] { tensor.scalars }
}
