import Foundation
import MoegcIR
import MoegcSupport

/// Tensors as JSON, keyed by value name: what `moegc run --inputs` reads and `--outputs` writes.
///
///     { "tokens": [[1, 2, 3], [4, 5, 6]],                       nested arrays in the tensor's shape
///       "x": {"shape": [2, 2], "data": [0.5, 1, "NaN", 2]} }    or a shape and flat row-major data
///
/// Floats may be written "NaN", "Infinity" or "-Infinity" (JSON has no literal for them).
public enum TensorJSON {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The graph's inputs read from JSON `bytes` (of file `path`), in the graph's input order.
    public static func readInputs(_ bytes: [UInt8], path: String, for graph: Graph) throws(Failure) -> [HostTensor] {
        let dict = try object(bytes, path: path, of: "input")
        let names = graph.inputs.map { graph[$0].name }
        if let extra = dict.keys.sorted().first(where: { !names.contains($0) }) {
            throw Failure(message: "\(path): error: '\(extra)' is not an input of graph '\(graph.name)' (its inputs: \(names.joined(separator: ", ")))")
        }
        return try graph.inputs.map { (v) throws(Failure) -> HostTensor in
            let name = graph[v].name, type = graph.type(of: v)
            guard let entry = dict[name] else { throw Failure(message: "\(path): error: input '\(name)' (\(type)) is missing") }
            return try tensor(entry, type: type, what: "\(path): error: input '\(name)'")
        }
    }

    /// Named tensors (a weights file): every name must be one of `types` and have its type.
    public static func readNamed(_ bytes: [UInt8], path: String, types: [String: TensorType]) throws(Failure) -> [String: HostTensor] {
        let dict = try object(bytes, path: path, of: "weight")
        var out: [String: HostTensor] = [:]
        for name in dict.keys.sorted() {
            guard let type = types[name] else {
                throw Failure(message: "\(path): error: '\(name)' is not a parameter of the model")
            }
            out[name] = try tensor(dict[name]!, type: type, what: "\(path): error: weight '\(name)'")
        }
        return out
    }

    /// The top-level JSON object, names to tensors; `what` names the entries in messages.
    static func object(_ bytes: [UInt8], path: String, of what: String) throws(Failure) -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw Failure(message: "\(path)\(location(of: error, in: bytes)): error: not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw Failure(message: "\(path): error: expected a JSON object mapping \(what) names to tensors")
        }
        return dict
    }

    static func tensor(_ entry: Any, type: TensorType, what: String) throws(Failure) -> HostTensor {
        var shape: [Int] = [], flat: [Any] = []
        if let obj = entry as? [String: Any] {
            guard let s = obj["shape"] as? [Any], let data = obj["data"] as? [Any] else {
                throw Failure(message: "\(what) must be nested arrays or {\"shape\": […], \"data\": […]}")
            }
            shape = try s.enumerated().map { (i, x) throws(Failure) -> Int in
                guard let n = number(x), n == n.rounded(), n >= 0, n < 0x1p63 else {
                    throw Failure(message: "\(what): shape entry \(i) (\(x)) must be a non-negative integer below 2^63")
                }
                return Int(n)
            }
            flat = data
        } else {
            try flatten(entry, depth: 0, shape: &shape, into: &flat, what: what)
        }
        guard shape == type.shape || (type.dims.contains(where: \.isDynamic) && shape.count == type.rank) else {
            throw Failure(message: "\(what) must have shape \(type), got [\(shape.map(String.init).joined(separator: ", "))]")
        }
        guard flat.count == Sizes.product(shape) else {
            throw Failure(message: "\(what) has \(flat.count) values for shape [\(shape.map(String.init).joined(separator: ", "))]")
        }
        if type.dtype.isInteger {
            return HostTensor(shape, ints: try flat.enumerated().map { (i, x) throws(Failure) -> Int32 in
                guard let n = number(x), n == n.rounded(), abs(n) <= Double(Int32.max) else {
                    throw Failure(message: "\(what): value \(i) (\(x)) is not a 32-bit integer, as \(type.dtype) requires")
                }
                return Int32(n)
            })
        }
        return HostTensor(shape, floats: try flat.enumerated().map { (i, x) throws(Failure) -> Float in
            if let n = number(x) { return Float(n) }
            switch x as? String {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: throw Failure(message: "\(what): value \(i) (\(x)) is not a number")
            }
        })
    }

    /// A JSON number as Double (booleans are not numbers).
    static func number(_ x: Any) -> Double? {
        // Foundation gives NSNumber for numbers and booleans alike; a boolean's type code is "c".
        guard let n = x as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        return n.doubleValue
    }

    /// Nested arrays → shape and flat values; ragged nesting is an error.
    static func flatten(_ x: Any, depth: Int, shape: inout [Int], into flat: inout [Any], what: String) throws(Failure) {
        let limit = ResourceLimits.current.nestingDepth
        guard depth <= limit else { throw Failure(message: "\(what) nests lists more than \(limit) deep") }
        guard let items = x as? [Any] else {
            if depth < shape.count { throw Failure(message: "\(what) is ragged (a number where a list was expected)") }
            if depth > shape.count { throw Failure(message: "\(what) is ragged") }
            flat.append(x)
            return
        }
        if depth == shape.count {
            guard flat.isEmpty else { throw Failure(message: "\(what) is ragged (a list where a number was expected)") }
            shape.append(items.count)
        } else if shape[depth] != items.count {
            throw Failure(message: "\(what) is ragged (lists of \(shape[depth]) and \(items.count) at depth \(depth))")
        }
        for item in items { try flatten(item, depth: depth + 1, shape: &shape, into: &flat, what: what) }
    }

    /// `:line:col` of the character Foundation's parser names ("around character N"), or "".
    static func location(of error: Error, in bytes: [UInt8]) -> String {
        let text = "\((error as NSError).userInfo["NSDebugDescription"] ?? "")"
        guard let r = text.range(of: "character "),
              let n = Int(text[r.upperBound...].prefix { $0.isNumber }), n <= bytes.count else { return "" }
        var line = 1, col = 1
        for b in bytes[..<n] {
            if b == UInt8(ascii: "\n") { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 }
        }
        return ":\(line):\(col)"
    }

    /// Named tensors as JSON: {"name": {"shape": […], "data": […]}} with keys sorted.
    public static func write(_ named: [(String, HostTensor)]) -> String {
        var parts: [String] = []
        for (name, t) in named.sorted(by: { $0.0 < $1.0 }) {
            let data: String
            switch t.storage {
            case .f32(let v): data = v.map { $0.isNaN ? "\"NaN\"" : $0.isInfinite ? ($0 > 0 ? "\"Infinity\"" : "\"-Infinity\"") : "\($0)" }.joined(separator: ", ")
            case .i32(let v): data = v.map(String.init).joined(separator: ", ")
            }
            parts.append("  \"\(name)\": {\"shape\": [\(t.shape.map(String.init).joined(separator: ", "))], \"dtype\": \"\(t.dtype)\", \"data\": [\(data)]}")
        }
        return "{\n" + parts.joined(separator: ",\n") + "\n}\n"
    }
}
