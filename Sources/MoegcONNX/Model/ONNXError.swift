/// Why an ONNX model could not be imported, in words a user can act on: `path: error: …`.
public struct ONNXError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not a model: another moegc file, text, or bytes that do not decode.
        case notAModel
        /// Truncated or corrupted protobuf, or a tensor whose data does not fit its shape.
        case corrupted
        /// An opset or IR version moegc does not read.
        case unsupportedVersion
        /// A graph that is not well formed: a cycle, a dangling or twice-defined name.
        case invalidGraph
        /// Ops (or types) moegc has no import for; the message lists every one.
        case unsupported
        /// A dimension or value moegc needs statically and cannot determine.
        case unresolved
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
