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
}

/// Splits UTF-8 bytes into tokens on demand. Columns count Unicode scalars, lines start at 1.
struct Lexer {
    let bytes: [UInt8]
    private(set) var offset = 0
    private var line = 1
    private var column = 1

    init(bytes: [UInt8]) { self.bytes = bytes }

    func text(_ t: Token) -> String {
        String(decoding: bytes[t.start..<t.end], as: UTF8.self)
    }

    func bytes(_ t: Token) -> ArraySlice<UInt8> { bytes[t.start..<t.end] }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private mutating func advance() {
        let b = bytes[offset]
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

    mutating func next() -> Token {
        var newlines = 0
        while let b = peek() {
            if b == UInt8(ascii: "\n") { newlines += 1; advance() }
            else if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") { advance() }
            else { break }
        }
        let start = offset
        let loc = SourceLocation(line: line, column: column)
        func make(_ kind: TokenKind) -> Token {
            Token(kind: kind, start: start, end: offset, location: loc, newlinesBefore: newlines)
        }
        guard let b = peek() else { return make(.endOfFile) }
        switch b {
        case UInt8(ascii: "#"):
            while let c = peek(), c != UInt8(ascii: "\n") { advance() }
            return make(.comment)
        case UInt8(ascii: "%"):
            advance()
            while let c = peek(), Lexer.isIdentBody(c) { advance() }
            return make(offset - start > 1 ? .value : .invalid)
        case UInt8(ascii: "\""):
            advance()
            while let c = peek(), c != UInt8(ascii: "\""), c != UInt8(ascii: "\n") {
                advance()
                if c == UInt8(ascii: "\\"), peek() != nil, peek() != UInt8(ascii: "\n") { advance() }
            }
            guard peek() == UInt8(ascii: "\"") else { return make(.invalid) } // unterminated
            advance()
            return make(.string)
        case UInt8(ascii: "-"):
            if peek(1) == UInt8(ascii: ">") { advance(); advance(); return make(.arrow) }
            if let d = peek(1), Lexer.isDigit(d) { advance(); return number(start, loc, newlines) }
            advance()
            return make(.invalid)
        case UInt8(ascii: "<"):
            advance()
            if peek() == UInt8(ascii: "=") { advance(); return make(.lessEqual) }
            return make(.invalid)
        default:
            break
        }
        if Lexer.isDigit(b) { return number(start, loc, newlines) }
        if Lexer.isIdentStart(b) {
            while let c = peek(), Lexer.isIdentBody(c) { advance() }
            return make(.identifier)
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
        return make(kind)
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
            return Token(kind: .invalid, start: start, end: offset, location: loc, newlinesBefore: newlines)
        }
        return Token(kind: isFloat ? .float : .integer, start: start, end: offset, location: loc, newlinesBefore: newlines)
    }
}
