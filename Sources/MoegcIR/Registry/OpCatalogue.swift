/// The op registry as a document: every op with its level, fusion class, arity, summary and
/// attributes, in registry order. `moegc ops` prints it, and the README's op list is this text (a
/// test fails when they differ), so the documentation cannot drift from the registry.
public enum OpCatalogue {
    /// A Markdown table per op level: `| op | fusion | operands → results | what it computes |
    /// attributes |`.
    public static var markdown: String {
        var out = ""
        for (level, title) in [(OpLevel.layer, "Layers (expanded by lowering)"), (.primitive, "Primitives (run by the kernels)"),
                               (.opaque, "Foreign ops (placed and simulated from their stated costs)")] {
            let ops = OpRegistry.all.filter { $0.level == level }
            guard !ops.isEmpty else { continue }
            out += "**\(title)**\n\n| op | fusion | operands → results | what it computes | attributes |\n|---|---|---|---|---|\n"
            for s in ops {
                out += "| `\(s.code)` | \(s.fusion.rawValue) | \(s.operands) → \(s.results) | \(escape(s.summary)) | "
                    + (s.attributes.isEmpty ? "—" : s.attributes.map(attribute).joined(separator: "; ")) + " |\n"
            }
            out += "\n"
        }
        out += "Annotations any node may carry: " + OpSchema.annotations.map { "`\($0.name)` (\(escape($0.doc)))" }.joined(separator: ", ") + ".\n"
        return out
    }

    /// One line per kind of op, the ops named in registry order: the README's op list.
    public static var summary: String {
        var lines: [String] = []
        func line(_ title: String, _ ops: [OpSchema]) {
            guard !ops.isEmpty else { return }
            lines.append("- \(title): " + ops.map { "`\($0.code)`" }.joined(separator: ", "))
        }
        line("Layers (lowered to primitives)", OpRegistry.all.filter { $0.level == .layer })
        let primitives = OpRegistry.all.filter { $0.level == .primitive }
        for (fusion, title) in [(FusionClass.elementwise, "elementwise"), (.injective, "injective (moves or selects data)"),
                                (.reduction, "reductions"), (.outputFusable, "contractions (take an elementwise epilogue)"),
                                (.opaque, "never fused (data-dependent routing)"), (.source, "sources")] {
            line("Primitives, \(title)", primitives.filter { $0.fusion == fusion })
        }
        line("Foreign ops (known by their stated costs)", OpRegistry.all.filter { $0.level == .opaque })
        return lines.joined(separator: "\n") + "\n"
    }

    /// `name` (a default, or "required"): what it is.
    static func attribute(_ a: AttributeSpec) -> String {
        let value = a.defaultValue.map { "= \($0)" } ?? "required"
        return "`\(a.name)` \(escape(value)): \(escape(a.doc))"
    }

    /// Text safe inside a Markdown table cell.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "|": out += "\\|"
            case "\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }
}
