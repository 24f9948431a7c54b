import MoegcIR
import MoegcRuntime

/// One tensor as one MPI message: a header — dtype (0 f32, 1 i32) and rank as little-endian
/// UInt32s, then each dimension as a little-endian Int64 — followed by the elements' bytes. The
/// shape travels with the data because a value's extent may be data-dependent (an expert's rows).
/// The buffer is allocated here and freed by its owner once MPI has sent it.
enum TensorWire {
    /// A message's bytes, owned until `free()`.
    final class Buffer: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let count: Int
        init(count: Int) {
            self.count = count
            base = .allocate(byteCount: max(count, 1), alignment: 16)
        }
        deinit { base.deallocate() }
    }

    static func headerBytes(rank: Int) -> Int { 8 + 8 * rank }

    static func encode(_ t: HostTensor) -> Buffer {
        let header = headerBytes(rank: t.rank)
        let buffer = Buffer(count: header + t.count * 4)
        let p = buffer.base
        p.storeBytes(of: UInt32(t.dtype == .f32 ? 0 : 1).littleEndian, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: UInt32(t.rank).littleEndian, toByteOffset: 4, as: UInt32.self)
        for (i, d) in t.shape.enumerated() { p.storeBytes(of: Int64(d).littleEndian, toByteOffset: 8 + 8 * i, as: Int64.self) }
        switch t.storage {
        case .f32(let v): v.withUnsafeBytes { (p + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        case .i32(let v): v.withUnsafeBytes { (p + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        return buffer
    }

    /// The tensor a message holds; a header that does not match its length is an error.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(ExecutionError) -> HostTensor {
        guard bytes.count >= 8 else { throw ExecutionError("a message of \(bytes.count) bytes holds no tensor header") }
        let dtype = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let rank = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard dtype <= 1, rank <= 64, bytes.count >= headerBytes(rank: rank) else {
            throw ExecutionError("a message's tensor header is malformed (dtype \(dtype), rank \(rank), \(bytes.count) bytes)")
        }
        var shape: [Int] = [], count = 1
        for i in 0..<rank {
            let d = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 + 8 * i, as: Int64.self))
            let (c, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard d >= 0, !overflow, c <= bytes.count else { throw ExecutionError("a message's tensor shape is malformed (dimension \(d))") }
            shape.append(Int(d))
            count = c
        }
        let header = headerBytes(rank: rank)
        guard bytes.count == header + count * 4 else {
            throw ExecutionError("a message of shape \(shape) holds \(bytes.count - header) data bytes, not \(count * 4)")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[header...])
        if dtype == 0 {
            return HostTensor(shape, floats: [Float](unsafeUninitializedCapacity: count) { buf, n in
                if count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: data.baseAddress!, byteCount: count * 4) }
                n = count
            })
        }
        return HostTensor(shape, ints: [Int32](unsafeUninitializedCapacity: count) { buf, n in
            if count > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: data.baseAddress!, byteCount: count * 4) }
            n = count
        })
    }
}
