import MoegcSupport

/// A dense, row-major array of `Float` values with a shape.
///
/// `Tensor` is a value type whose storage is a copy-on-write `[Float]`: passing a tensor around
/// never copies its scalars until one of the copies is mutated. Rank 0 (`shape == []`) is a scalar.
/// Any rank is allowed; the differentiable ops document which ranks they accept (mostly 1-D to 4-D).
///
///     var t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
///     t[1, 2] = 7          // row 1, column 2
///     let flat = t.reshaped(to: [6])
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The scalars in row-major order; `scalars.count == shape.reduce(1, *)`.
    public private(set) var scalars: [Float]

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        precondition(Tensor.elementCount(of: shape) == scalars.count,
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: Tensor.elementCount(of: shape))
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A rank-0 tensor (a scalar).
    public init(_ value: Float) {
        shape = []
        scalars = [value]
    }

    /// The number of scalars a tensor of `shape` holds.
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The number of scalars.
    public var count: Int { scalars.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// The only scalar of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return scalars[0]
    }

    /// The element at a full multi-index (one index per axis).
    public subscript(_ indices: Int...) -> Float {
        get { scalars[offset(of: indices)] }
        set { scalars[offset(of: indices)] = newValue }
    }

    /// The same scalars viewed with another shape of equal element count (no copy).
    public func reshaped(to newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Calls `body` with read access to the contiguous scalars.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with write access to the contiguous scalars (copies them first if shared).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Adds `other` (same element count) to this tensor in place.
    mutating func addInPlace(_ other: Tensor) {
        precondition(other.count == count, "Tensor.addInPlace: \(other.shape) into \(shape)")
        other.read { src in update { $0.add(src) } }
    }

    private func offset(of indices: [Int]) -> Int {
        precondition(indices.count == shape.count,
                     "Tensor: \(indices.count) indices for rank-\(shape.count) tensor")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis],
                         "Tensor: index \(index) out of range 0..<\(shape[axis]) on axis \(axis)")
            offset = offset * shape[axis] + index
        }
        return offset
    }
}

extension Tensor {
    /// Uniform draws in `[lower, upper)` from a seeded generator, in row-major order.
    public static func uniform(shape: [Int], lower: Float, upper: Float,
                               using generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = lower + (upper - lower) * generator.nextFloat() }
        }
    }

    /// Normal draws with the given mean and standard deviation, in row-major order.
    public static func normal(shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              using generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count {
                out[i] = mean + standardDeviation * Float(generator.nextNormal())
            }
        }
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and up to the first eight scalars.
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 8 ? ", …" : "")])"
    }
}
