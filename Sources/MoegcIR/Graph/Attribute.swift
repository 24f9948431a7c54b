/// The value of an op attribute: `k = 4`, `rate = 0.1`, `name = "MatMul_3"`, `gating = noisy_topk`,
/// `causal = true`, `k = [2, 2]`.
public enum AttributeValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    /// A bare identifier naming one case of an enumeration (`noisy_topk`).
    case symbol(String)
    case list([AttributeValue])

    public var intValue: Int? { if case .int(let v) = self { v } else { nil } }
    public var doubleValue: Double? {
        switch self {
        case .float(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var symbolValue: String? { if case .symbol(let v) = self { v } else { nil } }
    public var listValue: [AttributeValue]? { if case .list(let v) = self { v } else { nil } }
    /// The names of a list of names (bare or quoted), or nil.
    public var nameListValue: [String]? {
        guard case .list(let items) = self else { return nil }
        var out: [String] = []
        for item in items {
            guard let name = item.symbolValue ?? item.stringValue else { return nil }
            out.append(name)
        }
        return out
    }
    public var intListValue: [Int]? {
        guard case .list(let items) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .int(let v) = item else { return nil }
            out.append(v)
        }
        return out
    }

    /// The canonical text spelling (floats in Swift's shortest round-tripping form).
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v):
            let s = v.description
            return s.contains(".") || s.contains("e") || s.contains("n") || s.contains("i") ? s : s + ".0"
        case .string(let v): return quoted(v)
        case .bool(let v): return v ? "true" : "false"
        case .symbol(let v): return v
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// A short name of the kind, for messages ("an integer", "a string").
    public var kindName: String {
        switch self {
        case .int: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .bool: "a boolean"
        case .symbol: "a name"
        case .list: "a list"
        }
    }
}

/// `"…"` with `\"`, `\\`, `\n`, `\t` escaped: the text format's string literal.
func quoted(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}

/// An op's attributes, kept in the order its schema declares them (the canonical print order).
public struct Attributes: Hashable, Sendable, Sequence {
    public typealias Element = (name: String, value: AttributeValue)
    private var names: [String] = []
    private var values: [AttributeValue] = []

    public init() {}

    public init(_ pairs: [(String, AttributeValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var isEmpty: Bool { names.isEmpty }
    public var count: Int { names.count }

    public subscript(name: String) -> AttributeValue? {
        get { names.firstIndex(of: name).map { values[$0] } }
        set {
            if let i = names.firstIndex(of: name) {
                if let newValue { values[i] = newValue } else { names.remove(at: i); values.remove(at: i) }
            } else if let newValue {
                names.append(name)
                values.append(newValue)
            }
        }
    }

    public func makeIterator() -> AnyIterator<Element> {
        var i = 0
        return AnyIterator {
            guard i < names.count else { return nil }
            defer { i += 1 }
            return (names[i], values[i])
        }
    }

    /// Sets `name` to `value`, inserting a new entry before the first entry of higher `rank`, so
    /// attributes kept in rank order stay in it without a sort.
    public mutating func set(_ name: String, _ value: AttributeValue, rank: (String) -> Int) {
        if let i = names.firstIndex(of: name) {
            values[i] = value
            return
        }
        let r = rank(name)
        let at = names.firstIndex { rank($0) > r } ?? names.count
        names.insert(name, at: at)
        values.insert(value, at: at)
    }

    /// Reorders the entries by `rank` (names with equal rank keep their order).
    public mutating func sort(by rank: (String) -> Int) {
        let order = names.indices.sorted { (rank(names[$0]), $0) < (rank(names[$1]), $1) }
        names = order.map { names[$0] }
        values = order.map { values[$0] }
    }
}
