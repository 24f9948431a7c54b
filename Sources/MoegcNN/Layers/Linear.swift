import MoegcSupport

/// A fully connected layer `y = x · W + b` on rows: `x [N, in] → y [N, out]`.
///
/// Parameters (registered in the store at construction): `"<name>.weight"` `[in, out]`
/// (Glorot uniform) and, unless `bias: false`, `"<name>.bias"` `[out]` (zeros).
public struct Linear: Sendable, Equatable {
    /// The parameter name prefix.
    public let name: String
    /// Input width.
    public let inputSize: Int
    /// Output width.
    public let outputSize: Int
    /// Whether a bias is added.
    public let hasBias: Bool

    /// Registers the layer's parameters under `name`, drawing the weight from `generator`.
    public init(_ name: String, inputSize: Int, outputSize: Int, bias: Bool = true,
                parameters: inout ParameterStore, generator: inout SeededGenerator) {
        self.name = name
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.hasBias = bias
        parameters.add(weightName, Initializer.glorotUniform(
            shape: [inputSize, outputSize], fanIn: inputSize, fanOut: outputSize, using: &generator))
        if bias { parameters.add(biasName, Tensor(zeros: [outputSize])) }
    }

    /// The weight's parameter name.
    public var weightName: String { "\(name).weight" }
    /// The bias's parameter name.
    public var biasName: String { "\(name).bias" }

    /// `x · W (+ b)` for `x` of shape `[N, inputSize]`.
    public func callAsFunction(_ x: Var) -> Var {
        precondition(x.value.rank == 2 && x.value.shape[1] == inputSize,
                     "Linear '\(name)': input \(x.value.shape), expected [N, \(inputSize)]")
        let weight = x.tape.parameter(weightName)
        return hasBias ? x.affine(weight, x.tape.parameter(biasName)) : x.matmul(weight)
    }
}

/// A multilayer perceptron: Linear layers with an activation between them (none after the last).
///
/// `sizes = [in, h1, …, out]` gives `sizes.count − 1` layers named `"<name>.0"`, `"<name>.1"`, ….
public struct MLP: Sendable, Equatable {
    /// The layers in order.
    public let layers: [Linear]
    /// The activation between layers.
    public let activation: Activation

    /// Registers all layers' parameters.
    public init(_ name: String, sizes: [Int], activation: Activation = .relu,
                parameters: inout ParameterStore, generator: inout SeededGenerator) {
        precondition(sizes.count >= 2, "MLP '\(name)': needs at least an input and an output size")
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(Linear("\(name).\(i)", inputSize: sizes[i], outputSize: sizes[i + 1],
                                 parameters: &parameters, generator: &generator))
        }
        self.layers = layers
        self.activation = activation
    }

    /// Runs the layers on `x [N, in]`, giving `[N, out]`.
    public func callAsFunction(_ x: Var) -> Var {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 { h = activation.apply(h) }
        }
        return h
    }
}

/// Layer normalisation over the last axis with learned scale and shift.
///
/// Parameters: `"<name>.gamma"` `[size]` (ones) and `"<name>.beta"` `[size]` (zeros).
public struct LayerNorm: Sendable, Equatable {
    /// The parameter name prefix.
    public let name: String
    /// The normalised width.
    public let size: Int
    /// Added to the variance before the square root.
    public let epsilon: Float

    /// Registers gamma and beta.
    public init(_ name: String, size: Int, epsilon: Float = 1e-5, parameters: inout ParameterStore) {
        self.name = name
        self.size = size
        self.epsilon = epsilon
        parameters.add("\(name).gamma", Tensor(repeating: 1, shape: [size]))
        parameters.add("\(name).beta", Tensor(zeros: [size]))
    }

    /// Normalises each row of `x [..., size]`.
    public func callAsFunction(_ x: Var) -> Var {
        x.layerNorm(gamma: x.tape.parameter("\(name).gamma"), beta: x.tape.parameter("\(name).beta"),
                    epsilon: epsilon)
    }

    /// The normalised `x + residual`, in one op (`Var.layerNorm(adding:…)`; a post-norm residual).
    public func callAsFunction(_ x: Var, adding residual: Var) -> Var {
        x.layerNorm(adding: residual, gamma: x.tape.parameter("\(name).gamma"), beta: x.tape.parameter("\(name).beta"),
                    epsilon: epsilon)
    }
}
