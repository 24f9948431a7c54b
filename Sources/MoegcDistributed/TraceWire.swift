import MoegcRuntime

/// A rank's trace events as one message to rank 0: per event its device and destination (-1:
/// none) as little-endian Int64s, start and end as Float64 bit patterns, then the name's length
/// (Int64) and UTF-8 bytes.
enum TraceWire {
    static func encode(_ events: [TraceEvent]) -> TensorWire.Buffer {
        var bytes: [UInt8] = []
        func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) } }
        for e in events {
            put(UInt64(bitPattern: Int64(e.device)))
            put(UInt64(bitPattern: Int64(e.destination ?? -1)))
            put(e.start.bitPattern)
            put(e.end.bitPattern)
            let name = Array(e.name.utf8)
            put(UInt64(name.count))
            bytes.append(contentsOf: name)
        }
        let buffer = TensorWire.Buffer(count: bytes.count)
        bytes.withUnsafeBytes { if !$0.isEmpty { buffer.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        return buffer
    }

    /// The events of a message; one that does not parse, or names a device outside
    /// 0..<deviceCount, is an error.
    static func decode(_ bytes: UnsafeRawBufferPointer, deviceCount: Int) throws(ExecutionError) -> [TraceEvent] {
        var events: [TraceEvent] = [], at = 0
        func take() throws(ExecutionError) -> UInt64 {
            guard at + 8 <= bytes.count else { throw ExecutionError("a trace message is truncated at byte \(at)") }
            defer { at += 8 }
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        while at < bytes.count {
            let device = Int(Int64(bitPattern: try take())), destination = Int(Int64(bitPattern: try take()))
            let start = Double(bitPattern: try take()), end = Double(bitPattern: try take())
            let length = try take()
            guard (0..<deviceCount).contains(device), destination == -1 || (0..<deviceCount).contains(destination),
                  length <= UInt64(bytes.count - at) else { throw ExecutionError("a trace message holds a malformed event at byte \(at)") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + Int(length))]), as: UTF8.self)
            at += Int(length)
            events.append(TraceEvent(device: device, name: name, start: start, end: end, destination: destination < 0 ? nil : destination))
        }
        return events
    }
}
