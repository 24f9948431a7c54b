#if canImport(Glibc)
import Glibc
#endif
import MoegcRuntime

/// An ONNX tensor's values as a moegc `HostTensor`: FLOAT as f32; INT32, INT64 and BOOL as i32
/// (INT64 values outside i32 are clamped, and said so in `clamped`: a clamped value may only be
/// used where moegc reads it as a bound, such as a Slice end of INT64_MAX).
struct TensorValue {
    var tensor: HostTensor
    var clamped: Bool
}

extension ONNXTensor {
    /// The element count of `dims`, or an error for a negative or overflowing shape.
    func elementCount(_ what: String) throws(ONNXError) -> Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { throw ONNXError(.corrupted, "\(what) has a negative dimension in its shape \(dims)") }
            let (p, o) = n.multipliedReportingOverflow(by: Int(d))
            guard !o, p <= 1 << 40 else { throw ONNXError(.corrupted, "\(what) has an impossibly large shape \(dims)") }
            n = p
        }
        return n
    }

    /// The values, reading external data (memory-mapped) relative to `directory`. `what` names the
    /// tensor in messages ("initializer 'w'").
    func value(directory: String, _ what: String) throws(ONNXError) -> TensorValue {
        let n = try elementCount(what)
        let shape = dims.map { Int($0) }
        func mismatch(_ have: String, needs: String? = nil) -> ONNXError {
            ONNXError(.corrupted, "\(what) holds \(have), but its shape \(shape) of \(ONNXDataType.name(dataType)) needs \(needs ?? "\(n) elements")")
        }
        var bytes: [UInt8]
        switch data {
        case .floats(let v):
            guard dataType == ONNXDataType.float else { throw unsupported(what) }
            guard v.count == n else { throw mismatch("\(v.count) floats") }
            return TensorValue(tensor: HostTensor(shape, floats: v), clamped: false)
        case .int32s(let v):
            guard dataType == ONNXDataType.int32 || dataType == ONNXDataType.bool else { throw unsupported(what) }
            guard v.count == n else { throw mismatch("\(v.count) values") }
            return TensorValue(tensor: HostTensor(shape, ints: dataType == ONNXDataType.bool ? v.map { $0 != 0 ? 1 : 0 } : v), clamped: false)
        case .int64s(let v):
            guard dataType == ONNXDataType.int64 else { throw unsupported(what) }
            guard v.count == n else { throw mismatch("\(v.count) values") }
            return narrowed(shape, v)
        case .doubles:
            throw unsupported(what)
        case .none:
            guard n == 0 else { throw mismatch("no data") }
            bytes = []
        case .raw(let b):
            bytes = b
        case .external(let location, let offset, let length):
            bytes = try ExternalData.read(directory: directory, location: location, offset: offset, length: length, what)
        }
        guard let size = ONNXDataType.byteSize(dataType),
              [ONNXDataType.float, ONNXDataType.int32, ONNXDataType.int64, ONNXDataType.bool].contains(dataType) else {
            throw unsupported(what)
        }
        guard bytes.count == n * size else { throw mismatch("\(bytes.count) bytes", needs: "\(n * size) bytes") }
        switch dataType {
        case ONNXDataType.float:
            return TensorValue(tensor: HostTensor(shape, floats: (0..<n).map { Float(bitPattern: le32(bytes, 4 * $0)) }), clamped: false)
        case ONNXDataType.int32:
            return TensorValue(tensor: HostTensor(shape, ints: (0..<n).map { Int32(bitPattern: le32(bytes, 4 * $0)) }), clamped: false)
        case ONNXDataType.bool:
            return TensorValue(tensor: HostTensor(shape, ints: bytes.map { $0 != 0 ? 1 : 0 }), clamped: false)
        default:
            return narrowed(shape, (0..<n).map { i in
                Int64(bitPattern: UInt64(le32(bytes, 8 * i)) | UInt64(le32(bytes, 8 * i + 4)) << 32)
            })
        }
    }

    func unsupported(_ what: String) -> ONNXError {
        ONNXError(.unsupported, "\(what) is \(ONNXDataType.name(dataType)); moegc reads FLOAT, INT32, INT64 and BOOL tensors")
    }

    private func narrowed(_ shape: [Int], _ v: [Int64]) -> TensorValue {
        var clamped = false
        let ints = v.map { x -> Int32 in
            if x < Int64(Int32.min) || x > Int64(Int32.max) { clamped = true }
            return Int32(clamping: x)
        }
        return TensorValue(tensor: HostTensor(shape, ints: ints), clamped: clamped)
    }
}

@inline(__always)
func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

/// External tensor data (`TensorProto.external_data`): a byte range of a file beside the model,
/// memory-mapped for the read. The location must stay inside the model's folder.
enum ExternalData {
    static func read(directory: String, location: String, offset: Int, length: Int?, _ what: String) throws(ONNXError) -> [UInt8] {
        guard !location.isEmpty else { throw ONNXError(.corrupted, "\(what) keeps its data externally but names no location") }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw ONNXError(.corrupted, "\(what) keeps its data in '\(location)', outside the model's folder")
        }
        guard offset >= 0, (length ?? 0) >= 0 else { throw ONNXError(.corrupted, "\(what) has a negative external offset or length") }
        let path = directory.isEmpty ? location : directory + "/" + location
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ONNXError(.corrupted, "\(what) keeps its data in '\(path)', which cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw ONNXError(.corrupted, "\(what) keeps its data in '\(path)', which is not a regular file")
        }
        let size = Int(st.st_size)
        let count = length ?? (size - offset)
        guard offset <= size, count >= 0, count <= size - offset else {
            throw ONNXError(.corrupted, "\(what) reads bytes \(offset)..<\(offset + count) of '\(path)', which has \(size)")
        }
        guard count > 0 else { return [] }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ONNXError(.corrupted, "\(what): '\(path)' cannot be memory-mapped: \(String(cString: strerror(errno)))")
        }
        defer { munmap(base, size) }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}
