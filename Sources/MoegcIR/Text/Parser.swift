import MoegcSupport

/// Recursive-descent parser for the `.graph` text format (grammar in README.md, "The .graph format").
///
/// Errors are collected, not thrown one at a time: after a bad statement the parser skips to the next
/// line that starts with a `%value` or `}` and goes on, so one run reports every independent mistake.
struct Parser {
    private var lexer: Lexer
    private var tok: Token
    private let path: String
    private let overrides: [String: Int]
    private var symbols: [String: Int] = [:]
    private var symbolNames: [String] = []
    private(set) var diagnostics: [Diagnostic] = []
    /// Comments and blank lines seen since the last statement, for the next one.
    private var trivia: [String] = []
    /// A comment that followed a token on its line.
    private var trailing: String?
    /// Whether anything (token or comment) came before the current token.
    private var sawToken = false

    static let maxErrors = 50

    /// A parse error already recorded in `diagnostics`; unwinds to the statement loop.
    private struct Abort: Error {}

    init(bytes: [UInt8], path: String, overrides: [String: Int]) {
        self.init(lexer: Lexer(bytes: bytes), path: path, overrides: overrides)
    }

    /// A parser reading a file as a stream (`Lexer(reader:)`).
    init(reader: FileReader, path: String, overrides: [String: Int]) {
        self.init(lexer: Lexer(reader: reader), path: path, overrides: overrides)
    }

    private init(lexer: Lexer, path: String, overrides: [String: Int]) {
        self.lexer = lexer
        tok = Token(kind: .endOfFile, start: 0, end: 0, location: SourceLocation(line: 1, column: 1), newlinesBefore: 0)
        self.path = path
        self.overrides = overrides
        advance()
    }

    /// Bytes that are not UTF-8, or a read error, end the parse with that one message.
    private(set) var fatal = false

    /// The next token from the lexer, or the end of the file once the bytes stop being UTF-8.
    private mutating func nextToken() -> Token {
        let t = lexer.next()
        guard !fatal else { return Token(kind: .endOfFile, start: t.start, end: t.start, location: t.location, newlinesBefore: 0) }
        if let (loc, byte) = lexer.invalidUTF8 {
            fatal = true
            diagnostics = [Diagnostic(.error, "the file is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)))", file: path, at: loc)]
        } else if let e = lexer.readError {
            fatal = true
            diagnostics = [Diagnostic(.error, e.reason, file: path)]
        }
        return fatal ? Token(kind: .endOfFile, start: t.start, end: t.start, location: t.location, newlinesBefore: 0) : t
    }

    /// Adds a comment line to the trivia: consecutive comment lines share one entry, joined by a
    /// newline and the printer's indentation (`indent`), so a file of a million comment lines
    /// keeps one string, not a million (the printer writes the entry back line by line).
    private mutating func appendComment(_ text: String) {
        if let last = trivia.last, !last.isEmpty, joinComments {
            trivia[trivia.count - 1] += (inBody ? "\n  " : "\n") + text
        } else {
            trivia.append(text)
        }
        joinComments = true
    }

    /// Whether the next comment continues the last trivia entry (no blank line or token between).
    private var joinComments = false
    /// Whether the parser is inside the graph's body (body trivia is indented when printed).
    private var inBody = false

    // MARK: Tokens

    private mutating func advance() {
        tok = nextToken()
        joinComments = false
        while tok.kind == .comment {
            let text = lexer.text(tok)
            if tok.newlinesBefore == 0 && sawToken {
                trailing = text
                joinComments = false
            } else {
                if tok.newlinesBefore >= 2 && sawToken { trivia.append(""); joinComments = false }
                appendComment(text)
            }
            sawToken = true
            tok = nextToken()
        }
        if tok.newlinesBefore >= 2 && sawToken && tok.kind != .endOfFile { trivia.append("") }
        sawToken = true
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .endOfFile: "the end of the file"
        case .invalid: Parser.visible(lexer.bytes(t))
        case .string: "a string"
        default: "'\(lexer.text(t))'"
        }
    }

    /// Bytes as a message shows them: quoted, with control characters, NUL and bytes that are not
    /// UTF-8 escaped (`'\0' (U+0000)`, `'\u{1B}' (U+001B)`, `'\xFF'`), so a message never carries
    /// a raw control character to the terminal.
    static func visible(_ bytes: ArraySlice<UInt8>) -> String {
        var out = "", codes: [String] = []
        if let text = String(validating: bytes, as: UTF8.self) {
            for u in text.unicodeScalars {
                if u.value < 0x20 || (0x7F...0x9F).contains(u.value) {
                    out += u.value == 0 ? "\\0" : "\\u{\(String(u.value, radix: 16, uppercase: true))}"
                    let hex = String(u.value, radix: 16, uppercase: true)
                    codes.append("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        } else {
            for b in bytes {
                if b >= 0x20 && b < 0x7F { out.unicodeScalars.append(Unicode.Scalar(b)) }
                else { out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true) }
            }
        }
        return "'\(out)'" + (codes.isEmpty ? "" : " (\(codes.joined(separator: ", ")))")
    }

    private mutating func error(_ message: String, at loc: SourceLocation) {
        guard diagnostics.count < Parser.maxErrors else { return }
        diagnostics.append(Diagnostic(.error, message, file: path, at: loc))
        if diagnostics.count == Parser.maxErrors {
            diagnostics.append(Diagnostic(.error, "too many errors; stopping", file: path, at: loc))
        }
    }

    private mutating func fail(_ message: String, at loc: SourceLocation? = nil) throws(Abort) -> Never {
        if tok.kind == .invalid, loc == nil {
            error(invalidTokenMessage(), at: tok.location)
        } else {
            error(message, at: loc ?? tok.location)
        }
        throw Abort()
    }

    private func invalidTokenMessage() -> String {
        let text = lexer.text(tok)
        if text.hasPrefix("\"") { return "unterminated string literal" }
        if text == "%" { return "expected a value name after '%'" }
        return "unexpected character \(describe(tok))"
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws(Abort) -> Token {
        guard tok.kind == kind else { try fail("expected \(kind.spelling) \(context), found \(describe(tok))") }
        let t = tok
        advance()
        return t
    }

    private mutating func eat(_ kind: TokenKind) -> Bool {
        guard tok.kind == kind else { return false }
        advance()
        return true
    }

    private mutating func takeTrivia() -> [String] {
        defer { trivia = [] }
        return trivia
    }

    // MARK: Graph

    mutating func parseFile() -> GraphSyntax? {
        var g = GraphSyntax()
        if tok.kind == .endOfFile {
            error("the file is empty; expected a graph: `graph name(%input: f32[…]) -> (%output) { … }`",
                  at: tok.location)
            return nil
        }
        g.headerComments = takeTrivia()
        inBody = true
        let open: SourceLocation
        do {
            try parseHeader(&g)
            open = try expect(.lBrace, "to open the graph body").location
        } catch {
            return nil
        }
        while tok.kind != .rBrace && tok.kind != .endOfFile && diagnostics.count < Parser.maxErrors {
            do {
                g.statements.append(try parseStatement())
            } catch {
                recover()
            }
        }
        g.trailingTrivia = takeTrivia()
        if tok.kind == .endOfFile {
            error("expected '}' to close graph '\(g.name)' (opened at \(open)), found the end of the file", at: tok.location)
            return g
        }
        advance() // '}'
        if tok.kind != .endOfFile {
            error("unexpected \(describe(tok)) after the end of the graph", at: tok.location)
        }
        return g
    }

    /// Skips to the next line that starts a statement or closes the graph.
    private mutating func recover() {
        trailing = nil
        if tok.kind == .invalid { advance() }
        while tok.kind != .endOfFile {
            if tok.newlinesBefore > 0 && (tok.kind == .value || tok.kind == .rBrace) { break }
            advance()
        }
        trivia = []
    }

    private mutating func parseHeader(_ g: inout GraphSyntax) throws(Abort) {
        let kw = try expect(.identifier, "to start the graph")
        guard lexer.text(kw) == "graph" else { try fail("expected 'graph', found \(describe(kw))", at: kw.location) }
        g.name = lexer.text(try expect(.identifier, "naming the graph"))
        if eat(.lBracket) {
            if tok.kind != .rBracket {
                repeat { g.symbols.append(try parseSymbol()) } while eat(.comma)
            }
            _ = try expect(.rBracket, "to close the named dimensions")
        }
        _ = try expect(.lParen, "before the graph's inputs")
        if tok.kind != .rParen {
            repeat {
                let v = try expect(.value, "naming a graph input")
                _ = try expect(.colon, "before the input's type")
                g.inputs.append((named(v), try parseType()))
            } while eat(.comma)
        }
        _ = try expect(.rParen, "after the graph's inputs")
        _ = try expect(.arrow, "before the graph's outputs")
        _ = try expect(.lParen, "before the graph's outputs")
        if tok.kind != .rParen {
            repeat { g.outputs.append(named(try expect(.value, "naming a graph output"))) } while eat(.comma)
        }
        _ = try expect(.rParen, "after the graph's outputs")
        trailing = nil
    }

    private mutating func parseSymbol() throws(Abort) -> DimSymbol {
        let name = try expect(.identifier, "naming a dimension")
        let text = lexer.text(name)
        _ = try expect(.equal, "after the dimension name")
        let valueTok = try expect(.integer, "giving the size of '\(text)'")
        guard let written = Int(lexer.text(valueTok)) else {
            try fail("integer literal \(lexer.text(valueTok)) does not fit in 64 bits", at: valueTok.location)
        }
        guard written >= 0 else { try fail("dimension '\(text)' must be at least 0, got \(written)", at: valueTok.location) }
        guard symbols[text] == nil else { try fail("dimension '\(text)' is named twice", at: name.location) }
        let value = overrides[text] ?? written
        symbols[text] = value
        symbolNames.append(text)
        return DimSymbol(name: text, value: value)
    }

    private func named(_ t: Token) -> GraphSyntax.Named {
        GraphSyntax.Named(name: String(lexer.text(t).dropFirst()), location: t.location)
    }

    // MARK: Statements

    private mutating func parseStatement() throws(Abort) -> GraphSyntax.Statement {
        let leading = takeTrivia()
        trailing = nil
        var results: [GraphSyntax.Named] = []
        repeat {
            results.append(named(try expect(.value, results.isEmpty ? "to start a statement (`%result = op(…)`)" : "after ','")))
        } while eat(.comma)
        _ = try expect(.equal, "after the results")
        let opTok = try expect(.identifier, "naming the op")
        let op = GraphSyntax.Named(name: lexer.text(opTok), location: opTok.location)
        _ = try expect(.lParen, "after the op name")
        var operands: [GraphSyntax.Named] = []
        if tok.kind != .rParen {
            repeat { operands.append(named(try expect(.value, "as an operand"))) } while eat(.comma)
        }
        _ = try expect(.rParen, "after the operands")
        var attributes: [GraphSyntax.AttributeSyntax] = []
        if eat(.lBrace) {
            if tok.kind != .rBrace {
                repeat {
                    let name = try expect(.identifier, "naming an attribute")
                    _ = try expect(.equal, "after the attribute name")
                    let value = try parseAttributeValue(named: lexer.text(name), depth: 0)
                    attributes.append(.init(name: lexer.text(name), value: value, location: name.location))
                } while eat(.comma)
            }
            _ = try expect(.rBrace, "to close the attributes")
        }
        var types: [TensorType]? = nil
        if eat(.colon) {
            var ts: [TensorType] = []
            repeat { ts.append(try parseType()) } while eat(.comma)
            types = ts
        }
        if tok.kind != .endOfFile && tok.kind != .rBrace && tok.newlinesBefore == 0 {
            try fail("expected the end of the statement, found \(describe(tok))")
        }
        let comment = trailing
        trailing = nil
        return GraphSyntax.Statement(results: results, op: op, operands: operands, attributes: attributes,
                                     types: types, leadingTrivia: leading, trailingComment: comment)
    }

    /// One attribute value; lists nest at most `ResourceLimits.nestingDepth` deep, so no input can
    /// drive the recursion (or the printer, hashing and freeing of the value after it) off the stack.
    private mutating func parseAttributeValue(named attribute: String, depth: Int) throws(Abort) -> AttributeValue {
        let t = tok
        switch t.kind {
        case .integer:
            advance()
            guard let v = Int(lexer.text(t)) else { try fail("integer literal \(lexer.text(t)) does not fit in 64 bits", at: t.location) }
            return .int(v)
        case .float:
            advance()
            guard let v = Double(lexer.text(t)), v.isFinite else { try fail("number \(lexer.text(t)) is out of range", at: t.location) }
            return .float(v)
        case .string:
            advance()
            return .string(try unescape(t))
        case .identifier:
            advance()
            let s = lexer.text(t)
            return s == "true" ? .bool(true) : s == "false" ? .bool(false) : .symbol(s)
        case .lBracket:
            let limit = ResourceLimits.current.nestingDepth
            guard depth < limit else {
                try fail("attribute '\(attribute)' nests lists more than \(limit) deep (at most \(limit) levels of '[' are read)", at: t.location)
            }
            advance()
            var items: [AttributeValue] = []
            if tok.kind != .rBracket {
                repeat { items.append(try parseAttributeValue(named: attribute, depth: depth + 1)) } while eat(.comma)
            }
            _ = try expect(.rBracket, "to close the list")
            return .list(items)
        default:
            try fail("expected an attribute value, found \(describe(t))")
        }
    }

    private mutating func unescape(_ t: Token) throws(Abort) -> String {
        let raw = lexer.text(t).dropFirst().dropLast()
        var out = ""
        var escaped = false
        for ch in raw.unicodeScalars {
            if escaped {
                switch ch {
                case "n": out += "\n"
                case "t": out += "\t"
                case "\"", "\\": out.unicodeScalars.append(ch)
                default: try fail("unknown escape '\\\(ch)' in a string", at: t.location)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    // MARK: Types

    private mutating func parseType() throws(Abort) -> TensorType {
        let dt = try expect(.identifier, "naming an element type")
        guard let dtype = DType(rawValue: lexer.text(dt)) else {
            try fail("unknown element type \(describe(dt)) (expected \(DType.allCases.map(\.rawValue).joined(separator: ", ")))",
                     at: dt.location)
        }
        _ = try expect(.lBracket, "after the element type")
        var dims: [Dim] = []
        if tok.kind != .rBracket {
            repeat { dims.append(try parseDim()) } while eat(.comma)
        }
        _ = try expect(.rBracket, "to close the shape")
        let type = TensorType(dtype, dims)
        guard type.byteCount != nil else { try fail("tensor type \(type) holds more than 2^63 bytes", at: dt.location) }
        return type
    }

    private mutating func parseDim() throws(Abort) -> Dim {
        let start = tok
        if eat(.question) {
            let et = tok
            guard et.kind == .integer || et.kind == .float, let e = Double(lexer.text(et)), e.isFinite, e >= 0 else {
                try fail("expected the expected size of a data-dependent dimension (a number ≥ 0), found \(describe(tok))")
            }
            advance()
            _ = try expect(.lessEqual, "before the bound of a data-dependent dimension")
            let m = try dimInteger(try expect(.integer, "giving the bound of a data-dependent dimension"), allowZero: true)
            guard e <= Double(m) else { try fail("expected size \(Dim.spell(e)) exceeds the bound \(m)", at: start.location) }
            return Dim.dynamic(expected: e, max: m)
        }
        var dim = try dimFactor()
        while eat(.star) {
            guard let p = dim.multiplied(by: try dimFactor()) else {
                try fail("dimension \(dim.symbol ?? String(dim.size))*… overflows a 64-bit integer", at: start.location)
            }
            dim = p
        }
        return dim
    }

    private mutating func dimFactor() throws(Abort) -> Dim {
        let t = tok
        switch t.kind {
        case .integer:
            advance()
            return Dim(try dimInteger(t, allowZero: true))
        case .identifier:
            advance()
            let name = lexer.text(t)
            guard let v = symbols[name] else {
                let known = symbolNames.isEmpty ? "the graph names none" : "the graph names: \(symbolNames.joined(separator: ", "))"
                try fail("unknown dimension '\(name)' (\(known))", at: t.location)
            }
            return Dim(v, symbol: name)
        default:
            try fail("expected a dimension (an integer or a named dimension), found \(describe(t))")
        }
    }

    private mutating func dimInteger(_ t: Token, allowZero: Bool) throws(Abort) -> Int {
        guard let v = Int(lexer.text(t)) else {
            try fail("dimension \(lexer.text(t)) does not fit in 64 bits", at: t.location)
        }
        guard v >= (allowZero ? 0 : 1) else { try fail("a dimension must be at least \(allowZero ? 0 : 1), got \(v)", at: t.location) }
        return v
    }
}
