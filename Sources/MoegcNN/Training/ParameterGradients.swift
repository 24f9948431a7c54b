/// Gradients of named parameters, as `Tape.backward` reports them and `Adam` consumes them.
public struct ParameterGradients: Sendable, Equatable {
    /// Gradients by parameter name.
    public private(set) var byName: [String: Tensor]

    /// Gradients from a name → tensor table.
    public init(_ byName: [String: Tensor] = [:]) { self.byName = byName }

    /// The gradient of parameter `name`, if the forward pass read it.
    public subscript(_ name: String) -> Tensor? { byName[name] }

    /// The parameter names in ascending order.
    public var names: [String] { byName.keys.sorted() }

    /// The Euclidean norm of all gradients taken together, accumulated in Double in name order.
    public func globalNorm() -> Double {
        var sum = 0.0
        for name in names {
            byName[name]!.read { g in
                for i in 0..<g.count { sum += Double(g[i]) * Double(g[i]) }
            }
        }
        return sum.squareRoot()
    }

    /// Scales every gradient by `factor`.
    public mutating func scale(by factor: Float) {
        for name in names {
            var tensor = byName.removeValue(forKey: name)!
            tensor.update { g in
                for i in 0..<g.count { g[i] *= factor }
            }
            byName[name] = tensor
        }
    }

    /// Scales all gradients down together so that their global norm is at most `maxNorm`;
    /// returns the norm before clipping. Gradients already within the bound are left unchanged.
    @discardableResult
    public mutating func clip(toGlobalNorm maxNorm: Float) -> Double {
        precondition(maxNorm > 0, "ParameterGradients.clip: the bound must be positive")
        let norm = globalNorm()
        if norm > Double(maxNorm) { scale(by: Float(Double(maxNorm) / norm)) }
        return norm
    }

    /// Adds `other` into these gradients name by name (summing gradients over several passes).
    public mutating func add(_ other: ParameterGradients) {
        for (name, tensor) in other.byName {
            if var mine = byName.removeValue(forKey: name) {
                precondition(mine.shape == tensor.shape, "ParameterGradients.add: shape mismatch for '\(name)'")
                mine.addInPlace(tensor)
                byName[name] = mine
            } else {
                byName[name] = tensor
            }
        }
    }
}
