import MoegcSupport

/// Tokens of the `.graph` text format.
enum TokenKind: Equatable, Sendable {
    case identifier      // graph, moe, f32, noisy_topk, true
    case value           // %name
    case integer         // 42, -3
    case float           // 0.1, 1e-10, -2.5
    case string          // "text"
    case comment         // # to end of line
    case lParen, rParen, lBracket, rBracket, lBrace, rBrace
    case comma, equal, colon, star, question, lessEqual, arrow
    case endOfFile
    case invalid         // a character that starts no token

    var spelling: String {
        switch self {
        case .identifier: "a name"
        case .value: "a value (%name)"
        case .integer: "an integer"
        case .float: "a number"
        case .string: "a string"
        case .comment: "a comment"
        case .lParen: "'('"
        case .rParen: "')'"
        case .lBracket: "'['"
        case .rBracket: "']'"
        case .lBrace: "'{'"
        case .rBrace: "'}'"
        case .comma: "','"
        case .equal: "'='"
        case .colon: "':'"
        case .star: "'*'"
        case .question: "'?'"
        case .lessEqual: "'<='"
        case .arrow: "'->'"
        case .endOfFile: "the end of the file"
        case .invalid: "an invalid character"
        }
    }
}

struct Token: Sendable {
    var kind: TokenKind
    /// Byte range in the source.
    var start: Int
    var end: Int
    var location: SourceLocation
    /// Line breaks between the previous token and this one (trivia for the printer: blank lines,
    /// whether a comment stands on its own line).
    var newlinesBefore: Int
    /// The token's text (bytes that are not UTF-8 decoded as U+FFFD).
    var text: String = ""
    /// An invalid token's bytes, for messages that show them escaped.
    var raw: ArraySlice<UInt8> = []
}

/// Splits UTF-8 bytes into tokens on demand. Columns count Unicode scalars, lines start at 1.
///
/// The bytes are all in memory, or read from a file in chunks (`init(reader:)`): the lexer keeps
/// only the current token's bytes and the chunk after them, so reading a file takes memory for
/// what the parser keeps of it (its statements and comments), not for its bytes. Each token
/// carries its own text, so the window can move on as soon as a token is made.
struct Lexer {
    /// Bytes from absolute offset `base` on.
    private var buffer: [UInt8]
    private var base = 0
    private let reader: FileReader?
    private var exhausted: Bool
    private(set) var offset = 0
    private var line = 1
    private var column = 1
    /// Where the token being scanned starts (bytes before it may leave the window).
    private var tokenStart = 0
    /// The first byte that is not UTF-8 (inside a comment, a string or between tokens), if any.
    private(set) var invalidUTF8: (location: SourceLocation, byte: UInt8)?
    /// A failure reading the file.
    private(set) var readError: FileError?

    static let chunk = 1 << 20

    init(bytes: [UInt8]) {
        buffer = bytes
        reader = nil
        exhausted = true
    }

    init(reader: FileReader) {
        buffer = []
        buffer.reserveCapacity(Lexer.chunk)
        self.reader = reader
        exhausted = false
    }

    func text(_ t: Token) -> String { t.text }

    func bytes(_ t: Token) -> ArraySlice<UInt8> { t.raw }

    /// Reads the next chunk, dropping the bytes before the current token; false when no byte came.
    private mutating func refill() -> Bool {
        guard let reader, !exhausted else { return false }
        let drop = tokenStart - base
        if drop > 0 && drop * 2 >= buffer.count {
            buffer.removeFirst(drop)
            base = tokenStart
        }
        do {
            let n = try reader.read(into: &buffer, count: Lexer.chunk)
            if n == 0 { exhausted = true }
            return n > 0
        } catch {
            readError = error
            exhausted = true
            return false
        }
    }

    @inline(__always)
    private mutating func peek(_ ahead: Int = 0) -> UInt8? {
        let i = offset - base + ahead
        if i < buffer.count { return buffer[i] }
        while refill() {
            let j = offset - base + ahead
            if j < buffer.count { return buffer[j] }
        }
        return nil
    }

    @inline(__always)
    private mutating func advance() {
        let b = buffer[offset - base]
        offset += 1
        if b == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1 // not a UTF-8 continuation byte: a new scalar
        }
    }

    static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
    }

    static func isIdentBody(_ b: UInt8) -> Bool {
        isIdentStart(b) || isDigit(b) || b == UInt8(ascii: ".")
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// The token from `start` to the current offset, with its text; checks the bytes of comments,
    /// strings and invalid tokens are UTF-8 (the others are ASCII by construction).
    private mutating func token(_ kind: TokenKind, _ start: Int, _ loc: SourceLocation, _ newlines: Int) -> Token {
        let bytes = buffer[(start - base)..<(offset - base)]
        var t = Token(kind: kind, start: start, end: offset, location: loc, newlinesBefore: newlines)
        switch kind {
        case .comment, .string, .invalid:
            if let text = String(validating: bytes, as: UTF8.self) {
                t.text = text
            } else {
                t.text = String(decoding: bytes, as: UTF8.self)
                if invalidUTF8 == nil { invalidUTF8 = Lexer.firstInvalid(bytes, at: loc) }
            }
            if kind == .invalid { t.raw = ArraySlice(Array(bytes)) }
        default:
            t.text = String(decoding: bytes, as: UTF8.self)
        }
        return t
    }

    /// Where in `bytes` (one line, starting at `loc`) UTF-8 first breaks, and the byte.
    static func firstInvalid(_ bytes: ArraySlice<UInt8>, at loc: SourceLocation) -> (location: SourceLocation, byte: UInt8) {
        var column = loc.column, i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            let len = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0
            guard len > 0, i + len <= bytes.endIndex, String(validating: bytes[i..<(i + len)], as: UTF8.self) != nil else {
                return (SourceLocation(line: loc.line, column: column), b)
            }
            column += 1
            i += len
        }
        return (loc, bytes.last ?? 0)
    }

    mutating func next() -> Token {
        var newlines = 0
        tokenStart = offset
        while let b = peek() {
            if b == UInt8(ascii: "\n") { newlines += 1; advance() }
            else if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") { advance() }
            else { break }
            tokenStart = offset
        }
        let start = offset
        tokenStart = start
        let loc = SourceLocation(line: line, column: column)
        guard let b = peek() else { return token(.endOfFile, start, loc, newlines) }
        switch b {
        case UInt8(ascii: "#"):
            skipComment()
            return token(.comment, start, loc, newlines)
        case UInt8(ascii: "%"):
            advance()
            while let c = peek(), Lexer.isIdentBody(c) { advance() }
            return token(offset - start > 1 ? .value : .invalid, start, loc, newlines)
        case UInt8(ascii: "\""):
            advance()
            while let c = peek(), c != UInt8(ascii: "\""), c != UInt8(ascii: "\n") {
                advance()
                if c == UInt8(ascii: "\\"), let d = peek(), d != UInt8(ascii: "\n") { advance() }
            }
            guard peek() == UInt8(ascii: "\"") else { return token(.invalid, start, loc, newlines) } // unterminated
            advance()
            return token(.string, start, loc, newlines)
        case UInt8(ascii: "-"):
            if peek(1) == UInt8(ascii: ">") { advance(); advance(); return token(.arrow, start, loc, newlines) }
            if let d = peek(1), Lexer.isDigit(d) { advance(); return number(start, loc, newlines) }
            advance()
            return token(.invalid, start, loc, newlines)
        case UInt8(ascii: "<"):
            advance()
            if peek() == UInt8(ascii: "=") { advance(); return token(.lessEqual, start, loc, newlines) }
            return token(.invalid, start, loc, newlines)
        default:
            break
        }
        if Lexer.isDigit(b) { return number(start, loc, newlines) }
        if Lexer.isIdentStart(b) {
            while let c = peek(), Lexer.isIdentBody(c) { advance() }
            return token(.identifier, start, loc, newlines)
        }
        let kind: TokenKind
        switch b {
        case UInt8(ascii: "("): kind = .lParen
        case UInt8(ascii: ")"): kind = .rParen
        case UInt8(ascii: "["): kind = .lBracket
        case UInt8(ascii: "]"): kind = .rBracket
        case UInt8(ascii: "{"): kind = .lBrace
        case UInt8(ascii: "}"): kind = .rBrace
        case UInt8(ascii: ","): kind = .comma
        case UInt8(ascii: "="): kind = .equal
        case UInt8(ascii: ":"): kind = .colon
        case UInt8(ascii: "*"): kind = .star
        case UInt8(ascii: "?"): kind = .question
        default: kind = .invalid
        }
        advance()
        // A multi-byte scalar that starts no token is consumed whole, so the next column is right.
        if b >= 0x80 { while let c = peek(), c & 0xC0 == 0x80 { advance() } }
        return token(kind, start, loc, newlines)
    }

    /// From '#' to the end of the line, a buffer's worth at a time (the bulk of a file of
    /// comments): only columns need counting, and the line ends at the newline.
    private mutating func skipComment() {
        while true {
            var i = offset - base
            let n = buffer.count
            var scalars = 0
            let stop: Int = buffer.withUnsafeBufferPointer { p in
                while i < n && p[i] != UInt8(ascii: "\n") {
                    if p[i] & 0xC0 != 0x80 { scalars += 1 }
                    i += 1
                }
                return i
            }
            column += scalars
            offset = base + stop
            if stop < n || !refill() { return }
        }
    }

    /// digits ('.' digits)? ([eE] [+-]? digits)?, after an optional '-' already consumed.
    private mutating func number(_ start: Int, _ loc: SourceLocation, _ newlines: Int) -> Token {
        var isFloat = false
        while let c = peek(), Lexer.isDigit(c) { advance() }
        if peek() == UInt8(ascii: "."), let d = peek(1), Lexer.isDigit(d) {
            isFloat = true
            advance()
            while let c = peek(), Lexer.isDigit(c) { advance() }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var ahead = 1
            if let s = peek(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { ahead = 2 }
            if let d = peek(ahead), Lexer.isDigit(d) {
                isFloat = true
                for _ in 0..<ahead { advance() }
                while let c = peek(), Lexer.isDigit(c) { advance() }
            }
        }
        // A number running straight into a name (`12ab`) is one bad token, not two.
        if let c = peek(), Lexer.isIdentStart(c) {
            while let c = peek(), Lexer.isIdentBody(c) { advance() }
            return token(.invalid, start, loc, newlines)
        }
        return token(isFloat ? .float : .integer, start, loc, newlines)
    }
}
