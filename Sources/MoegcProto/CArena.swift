import CMoegcProto

/// The Swift side of moegc's protobuf-c formats, shared by the plan file (MoegcPlan) and the policy
/// checkpoint (MoegcPolicy): memory for C messages built in Swift, copies of C values into Swift
/// values, and the little-endian encoding of f32 data. Only the codec files use it, and nothing it
/// hands out outlives the encode or decode call that made it.
package final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    package init() {}

    package func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride,
                                                   alignment: MemoryLayout<T>.alignment)
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// A NUL-terminated copy of `s`.
    package func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        let p = allocate(CChar.self, utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        return p
    }

    package func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let p = allocate(UInt8.self, bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// A C array of `values` and its length.
    package func array<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        guard !values.isEmpty else { return (0, nil) }
        let p = allocate(T.self, values.count)
        p.initialize(from: values, count: values.count)
        return (values.count, p)
    }

    /// Frees every allocation.
    package func release() {
        for b in blocks { b.deallocate() }
        blocks = []
    }
}

/// Copies of C values into Swift values.
package enum CRead {
    package static func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(validatingCString: p) ?? ""
    }

    package static func binary(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    package static func array<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?) -> [T] {
        guard n > 0, let p else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    /// Packs a message whose packed size is `size` with `pack` into Swift bytes.
    package static func pack(_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBufferPointer { buf in size > 0 ? pack(buf.baseAddress!) : 0 }
        precondition(written == size, "protobuf-c packed \(written) bytes of \(size)")
        return out
    }
}

/// f32 values as little-endian IEEE-754 bytes, whatever the host's byte order.
package enum LittleEndianFloats {
    package static func bytes<C: Collection>(_ values: C) -> [UInt8] where C.Element == Float {
        var out = [UInt8]()
        out.reserveCapacity(4 * values.count)
        for v in values {
            let b = v.bitPattern
            out.append(UInt8(truncatingIfNeeded: b))
            out.append(UInt8(truncatingIfNeeded: b >> 8))
            out.append(UInt8(truncatingIfNeeded: b >> 16))
            out.append(UInt8(truncatingIfNeeded: b >> 24))
        }
        return out
    }

    /// The floats of `bytes` (a multiple of 4 long).
    package static func floats(_ bytes: [UInt8]) -> [Float] {
        (0..<(bytes.count / 4)).map { j in
            var bits = UInt32(bytes[4 * j])
            bits |= UInt32(bytes[4 * j + 1]) << 8
            bits |= UInt32(bytes[4 * j + 2]) << 16
            bits |= UInt32(bytes[4 * j + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}
