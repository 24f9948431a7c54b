/// An error from MoegcNN's loading paths (archives, checkpoints), with a code and a message.
public struct NNError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Equatable {
        /// The bytes are not a tensor archive of a known version, or end early.
        case malformedArchive
        /// Two entries carry the same name.
        case duplicateName
        /// The loaded names differ from the expected ones.
        case nameMismatch
        /// A loaded tensor's shape differs from the expected one.
        case shapeMismatch
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation.
    public let message: String

    /// An error of the given kind.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "error: \(code.rawValue): \(message)" }
}
