import CMoegcProto

/// Memory for C messages built in Swift: every allocation is freed at once by `release()`. Only
/// the codec files use it, and nothing it hands out outlives the encode call that made it.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride,
                                                   alignment: MemoryLayout<T>.alignment)
        blocks.append(raw)
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// A NUL-terminated copy of `s`.
    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        let p = allocate(CChar.self, utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        return p
    }

    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        let p = allocate(UInt8.self, bytes.count)
        p.initialize(from: bytes, count: bytes.count)
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// A C array of `values` and its length.
    func array<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        guard !values.isEmpty else { return (0, nil) }
        let p = allocate(T.self, values.count)
        p.initialize(from: values, count: values.count)
        return (values.count, p)
    }

    func release() {
        for b in blocks { b.deallocate() }
        blocks = []
    }
}

enum CCopy {
    static func string(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }

    static func binary(_ b: ProtobufCBinaryData) -> [UInt8] {
        guard b.len > 0, let data = b.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: b.len))
    }

    static func array<T>(_ n: Int, _ p: UnsafeMutablePointer<T>?) -> [T] {
        guard n > 0, let p else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    /// Packs a message whose packed size is `size` with `pack` into Swift bytes.
    static func pack(_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: max(1, size)) { buf, n in
            n = size > 0 ? pack(buf.baseAddress!) : 0
        }
    }
}
