/// A deterministic byte encoding of named tensors and named integers (parameters, optimiser state).
///
/// Layout, all integers little-endian:
///
///     "MGNN"  u32 version (1)
///     u32 integerCount   { u32 nameLength, UTF-8 name, i64 value } × integerCount
///     u32 tensorCount    { u32 nameLength, UTF-8 name, u32 rank, u64 extent × rank,
///                          f32 bit pattern × element count } × tensorCount
///
/// Entries are written in the order given; ``ParameterStore`` and ``Adam`` give them in name order,
/// so equal contents give equal bytes. The project's checkpoint format can wrap these bytes or
/// carry ``tensors`` field by field.
public struct TensorArchive: Sendable, Equatable {
    /// Named integers (e.g. the optimiser's step count).
    public var integers: [(name: String, value: Int64)]
    /// Named tensors.
    public var tensors: [NamedTensor]

    private static let magic: [UInt8] = Array("MGNN".utf8)
    private static let version: UInt32 = 1

    /// An archive of the given entries.
    public init(integers: [(name: String, value: Int64)] = [], tensors: [NamedTensor]) {
        self.integers = integers
        self.tensors = tensors
    }

    public static func == (lhs: TensorArchive, rhs: TensorArchive) -> Bool {
        lhs.tensors == rhs.tensors && lhs.integers.map(\.name) == rhs.integers.map(\.name)
            && lhs.integers.map(\.value) == rhs.integers.map(\.value)
    }

    /// The archive's bytes.
    public func encoded() -> [UInt8] {
        var out = TensorArchive.magic
        out.reserveCapacity(64 + tensors.reduce(0) { $0 + 4 * $1.tensor.count + 16 + $1.name.utf8.count })
        append(TensorArchive.version, to: &out)
        append(UInt32(integers.count), to: &out)
        for entry in integers {
            appendName(entry.name, to: &out)
            append(UInt64(bitPattern: entry.value), to: &out)
        }
        append(UInt32(tensors.count), to: &out)
        for entry in tensors {
            appendName(entry.name, to: &out)
            append(UInt32(entry.tensor.rank), to: &out)
            for extent in entry.tensor.shape { append(UInt64(extent), to: &out) }
            for value in entry.tensor.scalars { append(value.bitPattern, to: &out) }
        }
        return out
    }

    /// Decodes bytes written by ``encoded()``.
    public init(decoding bytes: [UInt8]) throws(NNError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.bytes(4) == TensorArchive.magic else {
            throw NNError(.malformedArchive, "not a tensor archive (bad magic)")
        }
        let version = try reader.u32()
        guard version == TensorArchive.version else {
            throw NNError(.malformedArchive, "unsupported archive version \(version)")
        }
        var integers: [(name: String, value: Int64)] = []
        for _ in 0..<(try reader.u32()) {
            let name = try reader.name()
            integers.append((name, Int64(bitPattern: try reader.u64())))
        }
        var tensors: [NamedTensor] = []
        for _ in 0..<(try reader.u32()) {
            let name = try reader.name()
            let rank = Int(try reader.u32())
            var shape: [Int] = []
            var count = 1
            for _ in 0..<rank {
                let extent = try reader.u64()
                guard extent <= UInt64(Int32.max) else {
                    throw NNError(.malformedArchive, "tensor '\(name)': extent \(extent) too large")
                }
                shape.append(Int(extent))
                let product = count.multipliedReportingOverflow(by: Int(extent))
                guard !product.overflow else {
                    throw NNError(.malformedArchive, "tensor '\(name)' is too large")
                }
                count = product.partialValue
            }
            guard count <= reader.remaining / 4 else {
                throw NNError(.malformedArchive, "tensor '\(name)' of shape \(shape) runs past the end")
            }
            let values = reader.floats(count)
            tensors.append(NamedTensor(name: name, tensor: Tensor(shape: shape, scalars: values)))
        }
        guard reader.remaining == 0 else {
            throw NNError(.malformedArchive, "\(reader.remaining) trailing bytes after the archive")
        }
        self.init(integers: integers, tensors: tensors)
    }

    private func appendName(_ name: String, to out: inout [UInt8]) {
        append(UInt32(name.utf8.count), to: &out)
        out.append(contentsOf: name.utf8)
    }

    /// The little-endian bytes of `value`, lowest first.
    private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        for byte in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) }
    }
}

/// A bounds-checked little-endian cursor over bytes.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    var remaining: Int { bytes.count - position }

    mutating func bytes(_ n: Int) throws(NNError) -> [UInt8] {
        guard n <= remaining else {
            throw NNError(.malformedArchive, "archive ends early at byte \(position)")
        }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    mutating func u32() throws(NNError) -> UInt32 {
        UInt32(truncatingIfNeeded: try little(4))
    }

    mutating func u64() throws(NNError) -> UInt64 {
        try little(8)
    }

    /// `count` floats; the caller has checked that `4 * count` bytes remain.
    mutating func floats(_ count: Int) -> [Float] {
        precondition(4 * count <= remaining)
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let p = position + 4 * i
            let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8
                | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
            values[i] = Float(bitPattern: bits)
        }
        position += 4 * count
        return values
    }

    private mutating func little(_ width: Int) throws(NNError) -> UInt64 {
        guard width <= remaining else {
            throw NNError(.malformedArchive, "archive ends early at byte \(position)")
        }
        var value: UInt64 = 0
        for k in stride(from: width - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(bytes[position + k])
        }
        position += width
        return value
    }

    mutating func name() throws(NNError) -> String {
        let length = Int(try u32())
        let raw = try bytes(length)
        guard let name = String(validating: raw, as: UTF8.self) else {
            throw NNError(.malformedArchive, "a name is not valid UTF-8")
        }
        return name
    }
}
