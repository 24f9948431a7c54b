import MoegcSupport

/// The `.graph` text as written, before names are resolved: what the parser produces and the
/// resolver turns into a `Graph`. Every piece keeps its location for diagnostics.
struct GraphSyntax {
    struct Named {
        var name: String
        var location: SourceLocation
    }

    struct AttributeSyntax {
        var name: String
        var value: AttributeValue
        var location: SourceLocation
    }

    struct Statement {
        var results: [Named]
        var op: Named
        var operands: [Named]
        var attributes: [AttributeSyntax]
        /// nil when no `: types` was written.
        var types: [TensorType]?
        var leadingTrivia: [String]
        var trailingComment: String?
    }

    var name = ""
    var symbols: [DimSymbol] = []
    var inputs: [(Named, TensorType)] = []
    var outputs: [Named] = []
    var statements: [Statement] = []
    var headerComments: [String] = []
    var trailingTrivia: [String] = []
}
