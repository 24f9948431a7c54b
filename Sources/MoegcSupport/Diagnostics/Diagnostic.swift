/// A position in a source text: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// One compiler message: `path:line:col: error: message`, with the source line and a caret
/// when the text is at hand.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    /// The file the message is about ("<stdin>", a path, or "" when there is none).
    public var file: String
    /// Where in `file`; nil for messages about a whole file or about no file.
    public var location: SourceLocation?

    public init(_ severity: Severity = .error, _ message: String, file: String = "", at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.file = file
        self.location = location
    }

    /// `path:line:col: error: message` (the parts that are known).
    public var description: String {
        var head = file
        if let location { head += head.isEmpty ? "\(location)" : ":\(location)" }
        return Diagnostic.escapingControls((head.isEmpty ? "" : head + ": ") + "\(severity.rawValue): \(message)")
    }

    /// `s` with control characters other than newline and tab written `\u{1B}`: text from an
    /// input file (a string attribute, a file name) never reaches the terminal as a raw control byte.
    static func escapingControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if (u.value < 0x20 && u != "\n" && u != "\t") || (0x7F...0x9F).contains(u.value) {
                out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// The message followed by the offending source line and a caret under the column.
    public func rendered(source: SourceText?) -> String {
        guard let location, let source, let line = source.line(location.line) else { return description }
        var scalars = Array(line.unicodeScalars)
        var column = max(0, location.column - 1)
        // A very long line (a generated file, 40,000 '[') is shown as a window around the column.
        let window = 160
        var lead = "", tail = ""
        if scalars.count > window {
            let start = max(0, min(column - window / 2, scalars.count - window))
            if start > 0 { lead = "…" }
            if start + window < scalars.count { tail = "…" }
            scalars = Array(scalars[start..<(start + window)])
            column = column - start + (lead.isEmpty ? 0 : 1)
        }
        // Tabs are kept so the caret lines up in a terminal; other characters become spaces.
        let prefix = (Array(lead.unicodeScalars) + scalars).prefix(column).map { $0 == "\t" ? "\t" : " " }.joined()
        // Control characters (a NUL byte, an escape) are shown as their Unicode control pictures
        // (␀, ␛), one column each, so the terminal gets no raw control byte and the caret stays put.
        let shown = lead + String(String.UnicodeScalarView(scalars.map { u in
            u.value < 0x20 && u != "\t" ? Unicode.Scalar(0x2400 + u.value)! : u.value == 0x7F ? "\u{2421}" : u
        })) + tail
        return "\(description)\n\(shown)\n\(prefix)^"
    }
}

/// A list of diagnostics thrown as one error, so a front end can report every problem it found.
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    /// The text the diagnostics point into, for rendering source lines and carets.
    public var source: SourceText?

    public init(_ diagnostics: [Diagnostic], source: SourceText? = nil) {
        self.diagnostics = diagnostics
        self.source = source
    }

    public var description: String {
        diagnostics.map { $0.rendered(source: source) }.joined(separator: "\n")
    }
}

/// Source text for diagnostics: the line starts are found once, over the UTF-8 bytes (cheap even
/// for the 100 MB text of a lowered 137B-parameter model); or, for a file read as a stream, only
/// the lines the diagnostics point at (`SourceText(path:lines:)`), read back when they are rendered.
public struct SourceText: Sendable {
    public let path: String
    /// The whole text ("" when only some lines are held).
    public let text: String
    /// UTF-8 offsets where lines start.
    private let lineStarts: [Int]
    /// Lines held on their own (a streamed file), by number.
    private let someLines: [Int: String]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        var starts = [0]
        var i = 0
        for b in text.utf8 {
            i += 1
            if b == UInt8(ascii: "\n") { starts.append(i) }
        }
        self.lineStarts = starts
        self.someLines = [:]
    }

    /// Only the given lines (without terminators).
    public init(path: String, lines: [Int: String]) {
        self.path = path
        self.text = ""
        self.lineStarts = []
        self.someLines = lines
    }

    /// The text of 1-based line `n` without its line terminator, or nil when out of range.
    public func line(_ n: Int) -> String? {
        if lineStarts.isEmpty {
            guard var l = someLines[n] else { return nil }
            while l.hasSuffix("\r") { l.removeLast() }
            return l
        }
        guard n >= 1, n <= lineStarts.count else { return nil }
        let utf8 = text.utf8
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] : utf8.count
        let bytes = Array(utf8[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
        end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
