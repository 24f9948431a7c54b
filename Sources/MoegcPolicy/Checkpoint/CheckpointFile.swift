import MoegcSupport

/// The policy file: framing, envelope, checksum and atomic writes around ``PolicyCheckpoint``.
///
/// Layout:
///
///     "MOEGCPOL"                       8 bytes, magic
///     u64 little-endian                length L of the envelope
///     CheckpointFile (protobuf, L bytes)  format_version, kind = "policy", payload_crc32, payload
///     payload = PolicyCheckpoint (protobuf)
///
/// Reading checks, in order: magic (else "not a moegc policy"), length (else "truncated"), the
/// envelope decodes, kind, version (else "unsupported version"), CRC-32 of the payload (else
/// "corrupted"), then the payload's own consistency. Every failure is a ``PolicyError``; no input
/// crashes the reader.
public enum CheckpointFile {
    static let magic: [UInt8] = Array("MOEGCPOL".utf8)
    /// The payload format this moegc writes and reads.
    public static let formatVersion: UInt32 = 1
    static let kind = "policy"

    /// The file's bytes for `checkpoint` (deterministic: equal checkpoints give equal bytes).
    public static func encode(_ checkpoint: PolicyCheckpoint) -> [UInt8] {
        let payload = ProtoCodec.encodePayload(checkpoint)
        let envelope = ProtoCodec.encodeEnvelope(version: formatVersion, kind: kind,
                                                 crc: CRC32.checksum(payload), payload: payload)
        var out = magic
        var length = UInt64(envelope.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: envelope)
        return out
    }

    /// A policy file around an arbitrary `payload`: the magic, the length, an envelope of this
    /// format version with the payload's true CRC-32. Fuzzers and tests wrap mutated payloads in
    /// it so the mutations reach the payload decoder past the checksum.
    public static func frame(payload: [UInt8]) -> [UInt8] {
        let envelope = ProtoCodec.encodeEnvelope(version: formatVersion, kind: kind, crc: CRC32.checksum(payload), payload: payload)
        var out = magic
        var length = UInt64(envelope.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: envelope)
        return out
    }

    /// The payload of a policy file's bytes (no check beyond the framing), or nil.
    public static func payload(of bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= magic.count + 8, Array(bytes.prefix(magic.count)) == magic else { return nil }
        return ProtoCodec.decodeEnvelope(Array(bytes[(magic.count + 8)...]))?.payload
    }

    /// Decodes a policy file's bytes.
    public static func decode(_ bytes: [UInt8], path: String? = nil) throws(PolicyError) -> PolicyCheckpoint {
        func fail(_ code: PolicyError.Code, _ message: String) -> PolicyError { PolicyError(code, message, path: path) }
        let head = Array(bytes.prefix(magic.count))
        guard head == Array(magic.prefix(head.count)) else {
            throw fail(.foreignFile, "not a moegc policy file (it does not start with \"MOEGCPOL\")")
        }
        guard bytes.count >= magic.count + 8 else {
            throw fail(.truncated, "the policy file is truncated (\(bytes.count) bytes, less than its header)")
        }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[magic.count + k]) << (8 * UInt64(k)) }
        let available = UInt64(bytes.count - magic.count - 8)
        guard length <= available else {
            throw fail(.truncated, "the policy file is truncated: it declares \(length) bytes of contents, \(available) are present")
        }
        guard length == available else {
            throw fail(.corrupted, "the policy file has \(available - length) unexpected bytes after its contents")
        }
        let envelope = Array(bytes[(magic.count + 8)...])
        guard let (version, kind, crc, payload) = ProtoCodec.decodeEnvelope(envelope) else {
            throw fail(.corrupted, "the policy file's envelope does not decode (the file is damaged)")
        }
        guard kind == Self.kind else { throw fail(.foreignFile, "the file holds a '\(kind)', not a policy") }
        guard version == formatVersion else {
            throw fail(.unsupportedVersion, "policy format version \(version) is not supported (this moegc reads version \(formatVersion))")
        }
        let actual = CRC32.checksum(payload)
        guard actual == crc else {
            throw fail(.corrupted, "the policy file is corrupted: checksum \(hex(actual)) of its contents does not match the stored \(hex(crc))")
        }
        do {
            return try ProtoCodec.decodePayload(payload)
        } catch {
            throw PolicyError(error.code, error.message, path: path)
        }
    }

    /// Writes `checkpoint` to `path` atomically (temporary file, fsync, rename).
    public static func write(_ checkpoint: PolicyCheckpoint, to path: String) throws(PolicyError) {
        do { try FileIO.writeAtomically(path, encode(checkpoint)) } catch {
            throw PolicyError(.io, error.reason, path: path)
        }
    }

    /// Reads and decodes the policy file at `path`.
    public static func read(_ path: String) throws(PolicyError) -> PolicyCheckpoint {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw PolicyError(.io, error.reason, path: path) }
        return try decode(bytes, path: path)
    }

    private static func hex(_ x: UInt32) -> String {
        let s = String(x, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }
}
