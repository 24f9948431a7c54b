/// A tiny builder of HTML and inline SVG text: every string that comes from the model (node names,
/// shapes, device names) goes through `escape`, so a name such as `a<b&"c"` cannot break the page.
///
/// Coordinates are written with at most one decimal (`number`); the placement picture's boxes use
/// whole pixels so the area each device's colour covers is exactly what the report says it drew.
public struct SVG: Sendable {
    public let width: Int
    public let height: Int
    private var parts: [String] = []

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Text escaped for HTML and SVG content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in XML text.
                if c.value < 0x20 && c != "\t" && c != "\n" { out += "\u{FFFD}" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// A coordinate or length: an integer when whole, else one decimal; non-finite values become 0.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let tenths = (x * 10).rounded()
        if tenths.magnitude >= 1e15 { return "0" }
        let t = Int(tenths)
        let sign = t < 0 ? "-" : ""
        let a = t.magnitude
        return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
    }

    /// A `<title>` child (the browser's hover tooltip), or nothing.
    static func title(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "<title>\(escape(text))</title>"
    }

    /// A filled rectangle; `attributes` are written as they are (caller-built, e.g. `class="bar"`).
    public mutating func rect(x: Double, y: Double, width w: Double, height h: Double, fill: String,
                              title: String? = nil, attributes: String = "") {
        let open = "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(w))\" height=\"\(Self.number(h))\" fill=\"\(fill)\"\(attributes.isEmpty ? "" : " " + attributes)"
        let t = Self.title(title)
        parts.append(t.isEmpty ? open + "/>" : open + ">" + t + "</rect>")
    }

    /// A straight line.
    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width w: Double = 1,
                              attributes: String = "") {
        parts.append("<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(w))\"\(attributes.isEmpty ? "" : " " + attributes)/>")
    }

    /// A path (`d` built by the caller from numbers), unfilled, with a tooltip.
    public mutating func path(_ d: String, stroke: String, width w: Double, title: String? = nil, attributes: String = "") {
        let open = "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(w))\"\(attributes.isEmpty ? "" : " " + attributes)"
        let t = Self.title(title)
        parts.append(t.isEmpty ? open + "/>" : open + ">" + t + "</path>")
    }

    /// A polyline through `points`.
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 1.5, title: String? = nil) {
        let p = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        let open = "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(w))\""
        let t = Self.title(title)
        parts.append(t.isEmpty ? open + "/>" : open + ">" + t + "</polyline>")
    }

    /// Text at (x, y); `anchor` is start, middle or end.
    public mutating func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11,
                              fill: String = "#222", title: String? = nil) {
        parts.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(anchor)\" font-size=\"\(Self.number(size))\" fill=\"\(fill)\">\(Self.escape(s))\(Self.title(title))</text>")
    }

    /// The element, with `attributes` (e.g. `id="placement-picture" data-device-area="…"`) on the root.
    public func rendered(attributes: String = "") -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\""
            + (attributes.isEmpty ? "" : " " + attributes) + ">\n" + parts.joined(separator: "\n") + "\n</svg>"
    }

    /// How many elements have been drawn.
    public var elementCount: Int { parts.count }
}
