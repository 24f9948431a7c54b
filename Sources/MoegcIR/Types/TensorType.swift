/// The type of a value: an element type and a static shape (dimensions may be named or
/// data-dependent with an upper bound). Printed `f32[batch, seq, 512]`; a scalar is `f32[]`.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var dims: [Dim]

    public init(_ dtype: DType, _ dims: [Dim]) {
        self.dtype = dtype
        self.dims = dims
    }

    /// A type with plain integer dimensions.
    public init(_ dtype: DType, shape: [Int]) {
        self.init(dtype, shape.map { Dim($0) })
    }

    public var rank: Int { dims.count }
    public var shape: [Int] { dims.map(\.size) }

    /// Elements at the upper bound of every dimension; nil when that overflows Int.
    public var elementCount: Int? {
        var n = 1
        for d in dims {
            let (p, o) = n.multipliedReportingOverflow(by: d.size)
            if o { return nil }
            n = p
        }
        return n
    }

    /// Bytes at the upper bound; nil when that overflows Int.
    public var byteCount: Int? {
        guard let n = elementCount else { return nil }
        let (b, o) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return o ? nil : b
    }

    /// Expected bytes (data-dependent dimensions at their expected size), for cost models.
    public var expectedBytes: Double {
        dims.reduce(Double(dtype.byteSize)) { $0 * $1.expectedSize }
    }

    /// Expected element count, for cost models.
    public var expectedElements: Double {
        dims.reduce(1.0) { $0 * $1.expectedSize }
    }

    /// Same dtype and same extents, whatever the dimensions' spelling.
    public func sameShape(as other: TensorType) -> Bool {
        dtype == other.dtype && dims.count == other.dims.count
            && zip(dims, other.dims).allSatisfy { $0.sameExtent(as: $1) }
    }

    public var description: String {
        "\(dtype)[\(dims.map(\.description).joined(separator: ", "))]"
    }
}
