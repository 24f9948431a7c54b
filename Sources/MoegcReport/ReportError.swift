/// Why a report could not be made: a message with the file (and what in it) at fault.
public struct ReportError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
