import MoegcSupport

/// Prints a graph in the canonical `.graph` text: the header on one line, one node per line in the
/// graph's (topological) order, attributes in schema order, every result type written, comments and
/// blank lines where the source had them. `GraphText.parse(print(g))` gives `g` back.
struct Printer {
    var out = ""

    mutating func print(_ g: Graph) -> String {
        out.reserveCapacity(64 * (g.nodes.count + 8))
        for c in g.headerComments { out += c; out += "\n" }
        out += "graph \(g.name)"
        if !g.symbols.isEmpty {
            out += " [" + g.symbols.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + "]"
        }
        out += " ("
        out += g.inputs.map { "%\(g[$0].name): \(g[$0].type.map(\.description) ?? "?")" }.joined(separator: ", ")
        out += ") -> ("
        out += g.outputs.map { "%" + g[$0].name }.joined(separator: ", ")
        out += ") {\n"
        for node in g.nodes { printNode(g, node) }
        trivia(g.trailingTrivia)
        out += "}\n"
        return out
    }

    private mutating func trivia(_ lines: [String]) {
        for line in lines {
            if line.isEmpty { out += "\n" } else { out += "  \(line)\n" }
        }
    }

    private mutating func printNode(_ g: Graph, _ node: Node) {
        trivia(node.leadingTrivia)
        out += "  "
        for (i, r) in node.results.enumerated() {
            if i > 0 { out += ", " }
            out += "%"
            out += g.values[r.index].name
        }
        out += " = "
        out += node.op.rawValue
        out += "("
        for (i, v) in node.operands.enumerated() {
            if i > 0 { out += ", " }
            out += "%"
            out += g.values[v.index].name
        }
        out += ")"
        if !node.attributes.isEmpty {
            out += " {"
            var first = true
            for (name, value) in node.attributes {
                if !first { out += ", " }
                first = false
                out += name
                out += " = "
                out += value.description
            }
            out += "}"
        }
        let types = node.results.compactMap { g.values[$0.index].type }
        if types.count == node.results.count && !types.isEmpty {
            out += " : "
            out += types.map(\.description).joined(separator: ", ")
        }
        if let c = node.trailingComment { out += "  "; out += c }
        out += "\n"
    }
}

/// The `.graph` text format: parse and print.
public enum GraphText {
    /// Parses `.graph` text: checks it is UTF-8, parses, resolves names, orders nodes topologically
    /// and verifies structure against the op registry. Types the text left out are inferred later by
    /// the shape-inference pass. `overrides` re-sizes named dimensions (`["batch": 64]`).
    public static func parse(bytes: [UInt8], path: String, overrides: [String: Int] = [:]) throws(DiagnosticList) -> Graph {
        var parser = Parser(bytes: bytes, path: path, overrides: overrides)
        let syntax = parser.parseFile()
        return try resolve(syntax, parser.diagnostics, path: path, overrides: overrides) { (_: [Diagnostic]) -> SourceText? in
            String(validating: bytes, as: UTF8.self).map { SourceText(path: path, text: $0) }
        }
    }

    /// Parses the `.graph` file at `path` as a stream: memory for what the graph keeps (its
    /// statements and comments), not for the file's bytes; the lines a diagnostic shows are read
    /// back from the file when there is one.
    public static func parse(file path: String, overrides: [String: Int] = [:]) throws(DiagnosticList) -> Graph {
        let reader: FileReader
        do throws(FileError) { reader = try FileReader(path) } catch { throw DiagnosticList([Diagnostic(.error, error.reason, file: path)]) }
        var parser = Parser(reader: reader, path: path, overrides: overrides)
        let syntax = parser.parseFile()
        return try resolve(syntax, parser.diagnostics, path: path, overrides: overrides, sourceFor: sourceLines(path))
    }

    /// Diagnostics' source lines read back from the file `path` (the lines they point at only).
    public static func sourceLines(_ path: String) -> (([Diagnostic]) -> SourceText?) {
        { diagnostics in
            SourceText(path: path, lines: FileReader.lines(Set(diagnostics.compactMap { $0.location?.line }), of: path))
        }
    }

    private static func resolve(_ syntax: GraphSyntax?, _ parseDiagnostics: [Diagnostic], path: String, overrides: [String: Int],
                                sourceFor: ([Diagnostic]) -> SourceText?) throws(DiagnosticList) -> Graph {
        guard let syntax, parseDiagnostics.isEmpty else { throw DiagnosticList(parseDiagnostics, source: sourceFor(parseDiagnostics)) }
        let names = Set(syntax.symbols.map(\.name))
        let unknown = overrides.keys.filter { !names.contains($0) }.sorted()
        if !unknown.isEmpty {
            let known = names.isEmpty ? "it names none" : "it names: \(syntax.symbols.map(\.name).joined(separator: ", "))"
            throw DiagnosticList(unknown.map {
                Diagnostic(.error, "graph '\(syntax.name)' has no dimension named '\($0)' (\(known))", file: path)
            })
        }
        var resolver = Resolver(path: path)
        let graph = resolver.resolve(syntax)
        // With names unresolved the graph is not in order: report only what each node shows alone.
        let issues = resolver.diagnostics.isEmpty
            ? Verifier.structuralIssues(graph)
            : graph.nodes.indices.flatMap {
                Verifier.nodeIssues(graph, NodeID($0), checkOperandCount: !resolver.incomplete.contains($0))
            }
        guard resolver.diagnostics.isEmpty && issues.isEmpty else {
            let located = issues.map { issue in
                var loc = issue.node.flatMap { graph.nodes[$0.index].location }
                if let n = issue.node {
                    if let a = issue.attribute { loc = resolver.attributeLocations[n.index][a] ?? loc }
                    else if let o = issue.operand { loc = resolver.operandLocations[n.index][o] }
                    else if issue.message.hasPrefix("'\(graph.nodes[n.index].op)'") { loc = resolver.opLocations[n.index] }
                }
                return Diagnostic(.error, issue.message, file: path, at: loc)
            }
            let all = (resolver.diagnostics + located).sorted { ($0.location ?? SourceLocation(line: 0, column: 0)) < ($1.location ?? SourceLocation(line: 0, column: 0)) }
            throw DiagnosticList(all, source: sourceFor(all))
        }
        return graph
    }

    /// Parses text already in memory.
    public static func parse(_ text: String, path: String = "<text>", overrides: [String: Int] = [:]) throws(DiagnosticList) -> Graph {
        try parse(bytes: Array(text.utf8), path: path, overrides: overrides)
    }

    /// The canonical text of a graph.
    public static func print(_ graph: Graph) -> String {
        var p = Printer()
        return p.print(graph)
    }
}
