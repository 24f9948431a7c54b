import MoegcIR

/// A tensor in host memory with a concrete shape: what kernels read and write at run time.
/// Floats are f32; integers (token ids, expert indices, routing lists) are i32.
public struct HostTensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case f32([Float])
        case i32([Int32])
    }

    public var shape: [Int]
    public var storage: Storage

    public init(_ shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) floats")
        self.shape = shape
        self.storage = .f32(floats)
    }

    public init(_ shape: [Int], ints: [Int32]) {
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) does not hold \(ints.count) ints")
        self.shape = shape
        self.storage = .i32(ints)
    }

    /// Zeros of `dtype` (f32 or i32).
    public init(zeros dtype: DType, _ shape: [Int]) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.storage = dtype == .f32 ? .f32([Float](repeating: 0, count: n)) : .i32([Int32](repeating: 0, count: n))
    }

    public static func scalar(_ x: Float) -> HostTensor { HostTensor([], floats: [x]) }

    public var dtype: DType {
        if case .f32 = storage { return .f32 }
        return .i32
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// The type as the IR spells it (plain integer dimensions).
    public var type: TensorType { TensorType(dtype, shape: shape) }

    public var floats: [Float] {
        get {
            guard case .f32(let v) = storage else { preconditionFailure("i32 tensor read as f32") }
            return v
        }
        set { storage = .f32(newValue) }
    }

    public var ints: [Int32] {
        get {
            guard case .i32(let v) = storage else { preconditionFailure("f32 tensor read as i32") }
            return v
        }
        set { storage = .i32(newValue) }
    }

    /// Rows and the width of the last axis, for kernels that see a [rows, cols] block.
    public var rowsAndCols: (rows: Int, cols: Int) {
        guard let last = shape.last else { return (1, 1) }
        return (last == 0 ? 0 : count / last, last)
    }

    /// Whether every float is finite (integers always are).
    public var allFinite: Bool {
        guard case .f32(let v) = storage else { return true }
        return v.allSatisfy(\.isFinite)
    }
}

/// Builds an f32 tensor by letting `body` fill `count` uninitialised floats.
@inline(__always)
func makeFloats(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>, Int) -> Void) -> HostTensor {
    let n = shape.reduce(1, *)
    // Not `unsafeUninitializedCapacity: 0`: that writes the count into the shared empty-array
    // storage, a harmless race ThreadSanitizer still reports.
    guard n > 0 else { return HostTensor(shape, floats: []) }
    let v = [Float](unsafeUninitializedCapacity: n) { buf, initialized in
        if n > 0 { body(buf.baseAddress!, n) }
        initialized = n
    }
    return HostTensor(shape, floats: v)
}

/// Builds an i32 tensor by letting `body` fill `count` uninitialised ints.
@inline(__always)
func makeInts(_ shape: [Int], _ body: (UnsafeMutablePointer<Int32>, Int) -> Void) -> HostTensor {
    let n = shape.reduce(1, *)
    guard n > 0 else { return HostTensor(shape, ints: []) }
    let v = [Int32](unsafeUninitializedCapacity: n) { buf, initialized in
        if n > 0 { body(buf.baseAddress!, n) }
        initialized = n
    }
    return HostTensor(shape, ints: v)
}

extension HostTensor {
    /// Calls `body` with a pointer to the floats (valid even for an empty tensor).
    @inline(__always)
    func withFloats<R, E: Error>(_ body: (UnsafePointer<Float>) throws(E) -> R) throws(E) -> R {
        guard case .f32(let v) = storage else { preconditionFailure("i32 tensor read as f32") }
        return try v.withUnsafeBufferPointer { (buf) throws(E) -> R in
            if let base = buf.baseAddress { return try body(base) }
            var dummy: Float = 0
            return try body(&dummy)
        }
    }

    /// Calls `body` with a pointer to the ints (valid even for an empty tensor).
    @inline(__always)
    func withInts<R, E: Error>(_ body: (UnsafePointer<Int32>) throws(E) -> R) throws(E) -> R {
        guard case .i32(let v) = storage else { preconditionFailure("f32 tensor read as i32") }
        return try v.withUnsafeBufferPointer { (buf) throws(E) -> R in
            if let base = buf.baseAddress { return try body(base) }
            var dummy: Int32 = 0
            return try body(&dummy)
        }
    }
}

/// A failure while executing a graph: which node, and why, in words a user can act on.
public struct ExecutionError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "error: \(message)" }
}
