/// Why a policy could not be trained, loaded or applied: a code for programs, a message for people.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The file is not a moegc policy checkpoint (wrong magic, wrong kind, not protobuf).
        case foreignFile = "foreign-file"
        /// The file ends before its declared contents.
        case truncated
        /// The payload's checksum does not match: the file was damaged.
        case corrupted
        /// The file's format version is not one this moegc reads.
        case unsupportedVersion = "unsupported-version"
        /// The file is well formed but its contents are inconsistent (shapes, names, configuration).
        case invalidContents = "invalid-contents"
        /// A configuration cannot be used.
        case invalidConfiguration = "invalid-configuration"
        /// The checkpoint was trained on another problem than the one it is resumed on.
        case problemMismatch = "problem-mismatch"
        /// Reading or writing the file failed.
        case io
    }

    public var code: Code
    public var message: String
    /// The file concerned, if any.
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { "\(path.map { "\($0): " } ?? "")error: \(message)" }
}
