import MoegcSupport

/// A pointwise nonlinearity chosen by configuration.
public enum Activation: Sendable, Equatable, Codable {
    case identity
    case relu
    case leakyReLU(slope: Float)
    case tanh
    case sigmoid
    case gelu

    /// Applies the activation.
    public func apply(_ x: Var) -> Var {
        switch self {
        case .identity: x
        case .relu: x.relu()
        case .leakyReLU(let slope): x.leakyReLU(slope: slope)
        case .tanh: x.tanh()
        case .sigmoid: x.sigmoid()
        case .gelu: x.gelu()
        }
    }
}

/// Parameter initialisers; all draw from a seeded generator in row-major order.
public enum Initializer {
    /// Xavier/Glorot uniform: U(−a, a) with `a = √(6 / (fanIn + fanOut))`.
    public static func glorotUniform(shape: [Int], fanIn: Int, fanOut: Int,
                                     using generator: inout SeededGenerator) -> Tensor {
        let a = (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
        return Tensor.uniform(shape: shape, lower: -a, upper: a, using: &generator)
    }
}
