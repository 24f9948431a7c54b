/// Just enough of the protobuf wire format to edit one field of an encoded message, so tests can
/// write plans and policies that are well framed (true CRC-32) yet hold a hostile value: a tensor
/// of shape [2³¹−1, 2³¹−1], a configuration asking for a terabyte network, a graph nested 40,000
/// deep. Independent of protoc-c: it reads keys, varints and lengths only.
struct ProtoMessage {
    struct Field {
        var number: Int
        /// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
        var wire: Int
        /// The varint's value (wire 0), else the raw bytes (the contents of a length-delimited field).
        var varint: UInt64 = 0
        var bytes: [UInt8] = []
    }

    var fields: [Field]

    init(_ fields: [Field]) { self.fields = fields }

    /// Decodes the top-level fields of `data`; nil when it is not well formed.
    init?(decoding data: [UInt8]) {
        var i = 0
        func varint() -> UInt64? {
            var shift: UInt64 = 0, value: UInt64 = 0
            while i < data.count, shift < 64 {
                let b = data[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        var out: [Field] = []
        while i < data.count {
            guard let key = varint() else { return nil }
            let number = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0:
                guard let v = varint() else { return nil }
                out.append(Field(number: number, wire: 0, varint: v))
            case 1, 5:
                let n = wire == 1 ? 8 : 4
                guard i + n <= data.count else { return nil }
                out.append(Field(number: number, wire: wire, bytes: Array(data[i..<(i + n)])))
                i += n
            case 2:
                guard let n = varint(), n <= UInt64(data.count - i) else { return nil }
                out.append(Field(number: number, wire: 2, bytes: Array(data[i..<(i + Int(n))])))
                i += Int(n)
            default:
                return nil
            }
        }
        fields = out
    }

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    var encoded: [UInt8] {
        var out: [UInt8] = []
        for f in fields {
            out += ProtoMessage.varint(UInt64(f.number << 3 | f.wire))
            switch f.wire {
            case 0: out += ProtoMessage.varint(f.varint)
            case 2: out += ProtoMessage.varint(UInt64(f.bytes.count)) + f.bytes
            default: out += f.bytes
            }
        }
        return out
    }

    /// The first length-delimited field `number`'s contents.
    func bytes(_ number: Int) -> [UInt8]? { fields.first { $0.number == number && $0.wire == 2 }?.bytes }

    /// Replaces every field `number` by one length-delimited field holding `contents` (appended
    /// when there was none).
    mutating func set(_ number: Int, _ contents: [UInt8]) {
        if let i = fields.firstIndex(where: { $0.number == number }) {
            fields[i] = Field(number: number, wire: 2, bytes: contents)
            fields.removeAll { $0.number == number && $0.bytes != contents }
        } else {
            fields.append(Field(number: number, wire: 2, bytes: contents))
        }
    }

    /// Replaces the first field `number` only.
    mutating func setFirst(_ number: Int, _ contents: [UInt8]) {
        if let i = fields.firstIndex(where: { $0.number == number }) { fields[i] = Field(number: number, wire: 2, bytes: contents) }
    }
}
