/// Element types a tensor can hold.
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case f32, f16, bf16, i32, i64, bool

    /// Bytes one element occupies.
    public var byteSize: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .i64: 8
        case .bool: 1
        }
    }

    public var isFloatingPoint: Bool { self == .f32 || self == .f16 || self == .bf16 }
    public var isInteger: Bool { self == .i32 || self == .i64 }

    public var description: String { rawValue }
}
