import Foundation
import MoegcIR

/// Named tensors in the safetensors format (the Hugging Face convention, and moegc's binary weights
/// file): 8 bytes of little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": […], "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the data, each tensor's bytes at its offsets from the end of the header.
///
/// moegc writes F32 and I32; it reads F32, F16 and BF16 (as f32) and I32, I64 and BOOL (as i32).
/// Reading memory-maps the file and checks every entry against it, so a truncated or corrupted
/// file is an error naming the tensor, never a crash.
public enum SafeTensors {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func encode(_ named: [String: HostTensor], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [String] = []
        var offset = 0
        let names = named.keys.sorted()
        for name in names {
            let t = named[name]!
            let bytes = t.count * 4
            entries.append("\(quote(name)):{\"dtype\":\"\(t.dtype == .f32 ? "F32" : "I32")\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        if !metadata.isEmpty {
            entries.insert("\"__metadata__\":{" + metadata.keys.sorted().map { "\(quote($0)):\(quote(metadata[$0]!))" }.joined(separator: ",") + "}", at: 0)
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        var n = UInt64(header.count)
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        out += header
        for name in names {
            switch named[name]!.storage {
            case .f32(let v): for x in v { append32(&out, x.bitPattern) }
            case .i32(let v): for x in v { append32(&out, UInt32(bitPattern: x)) }
            }
        }
        return out
    }

    private static func append32(_ out: inout [UInt8], _ b: UInt32) {
        out.append(UInt8(truncatingIfNeeded: b))
        out.append(UInt8(truncatingIfNeeded: b >> 8))
        out.append(UInt8(truncatingIfNeeded: b >> 16))
        out.append(UInt8(truncatingIfNeeded: b >> 24))
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }

    /// One tensor's entry in the header.
    public struct Entry: Sendable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
    }

    /// Every tensor of the file at `path`, memory-mapped while it is read.
    public static func read(path: String) throws(Failure) -> [String: HostTensor] {
        try withMappedFile(path) { (bytes) throws(Failure) in try decode(bytes, path: path) }
    }

    /// The header's entries, in offset order, without converting the data.
    public static func list(path: String) throws(Failure) -> [Entry] {
        try withMappedFile(path) { (bytes) throws(Failure) in try entries(bytes, path: path).map { $0.entry } }
    }

    static func withMappedFile<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws(Failure) -> R) throws(Failure) -> R {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(message: "\(path): error: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw Failure(message: "\(path): error: not a regular file") }
        let size = Int(st.st_size)
        guard size >= 8 else { throw Failure(message: "\(path): error: not a safetensors file (\(size) bytes, shorter than its 8-byte header length)") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw Failure(message: "\(path): error: cannot be memory-mapped: \(String(cString: strerror(errno)))")
        }
        defer { munmap(base, size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size))
    }

    struct Located { var entry: Entry; var begin: Int; var end: Int }

    static func entries(_ b: UnsafeRawBufferPointer, path: String) throws(Failure) -> [Located] {
        func fail(_ m: String) -> Failure { Failure(message: "\(path): error: \(m)") }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(b[i]) }
        guard n <= UInt64(b.count - 8), n <= 100_000_000 else {
            throw fail("not a safetensors file: its header length \(n) exceeds the file (\(b.count) bytes)")
        }
        let headerEnd = 8 + Int(n)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(b[8..<headerEnd])) } catch {
            throw fail("not a safetensors file: its header is not JSON")
        }
        guard let dict = json as? [String: Any] else { throw fail("not a safetensors file: its header is not a JSON object") }
        var out: [Located] = []
        let dataSize = b.count - headerEnd
        for (name, value) in dict where name != "__metadata__" {
            guard let e = value as? [String: Any], let dtype = e["dtype"] as? String, let shape = e["shape"] as? [Int],
                  let offsets = e["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' lacks a dtype, shape or data_offsets")
            }
            guard let size = elementSize(dtype) else { throw fail("tensor '\(name)' is \(dtype); moegc reads F32, F16, BF16, I32, I64 and BOOL") }
            var count = 1
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !o else { throw fail("tensor '\(name)' has an impossible shape \(shape)") }
                count = p
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize else {
                throw fail("tensor '\(name)' reads bytes \(offsets[0])..<\(offsets[1]) of \(dataSize): the file is truncated or corrupted")
            }
            guard offsets[1] - offsets[0] == count * size else {
                throw fail("tensor '\(name)' holds \(offsets[1] - offsets[0]) bytes, but its shape \(shape) of \(dtype) needs \(count * size)")
            }
            out.append(Located(entry: Entry(name: name, dtype: dtype, shape: shape), begin: headerEnd + offsets[0], end: headerEnd + offsets[1]))
        }
        return out.sorted { ($0.begin, $0.entry.name) < ($1.begin, $1.entry.name) }
    }

    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32": 4
        case "F16", "BF16": 2
        case "I64": 8
        case "BOOL", "U8": 1
        default: nil
        }
    }

    static func decode(_ b: UnsafeRawBufferPointer, path: String) throws(Failure) -> [String: HostTensor] {
        var out: [String: HostTensor] = [:]
        for l in try entries(b, path: path) {
            let count = l.entry.shape.reduce(1, *), at = l.begin
            func u16(_ i: Int) -> UInt16 { UInt16(b[at + 2 * i]) | UInt16(b[at + 2 * i + 1]) << 8 }
            func u32(_ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + 4 * i + $1]) << (8 * UInt32($1)) } }
            switch l.entry.dtype {
            case "F32": out[l.entry.name] = HostTensor(l.entry.shape, floats: (0..<count).map { Float(bitPattern: u32($0)) })
            case "BF16": out[l.entry.name] = HostTensor(l.entry.shape, floats: (0..<count).map { Float(bitPattern: UInt32(u16($0)) << 16) })
            case "F16": out[l.entry.name] = HostTensor(l.entry.shape, floats: (0..<count).map { Float(Float16(bitPattern: u16($0))) })
            case "I32": out[l.entry.name] = HostTensor(l.entry.shape, ints: (0..<count).map { Int32(bitPattern: u32($0)) })
            case "I64":
                var ints: [Int32] = []
                ints.reserveCapacity(count)
                for i in 0..<count {
                    let v = Int64(bitPattern: UInt64(u32(2 * i)) | UInt64(u32(2 * i + 1)) << 32)
                    guard let x = Int32(exactly: v) else { throw Failure(message: "\(path): error: tensor '\(l.entry.name)' holds \(v), outside i32") }
                    ints.append(x)
                }
                out[l.entry.name] = HostTensor(l.entry.shape, ints: ints)
            default: out[l.entry.name] = HostTensor(l.entry.shape, ints: (0..<count).map { b[at + $0] != 0 ? 1 : 0 })
            }
        }
        return out
    }
}
