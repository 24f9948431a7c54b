/// How an op may be fused with its neighbours (after TVM's op patterns).
public enum FusionClass: String, Sendable, CaseIterable {
    /// One output element from the same element of each input (relu, add with broadcast, scale).
    case elementwise
    /// Moves or selects data without arithmetic reuse (reshape, slice, gather, transpose).
    case injective
    /// Reduces along axes (softmax, reductions, layer norm, top-k).
    case reduction
    /// A contraction whose elementwise epilogue can be fused into it (matmul).
    case outputFusable
    /// Never fused (layers before lowering, opaque ops, data-dependent routing).
    case opaque
    /// Defines data without computing (parameters): placed with its consumer, never a kernel.
    case source
}

/// Where an op sits in the pipeline.
public enum OpLevel: String, Sendable {
    /// A model layer (`moe`, `lstm`, …): its parameters are implicit, lowering passes expand it.
    case layer
    /// A primitive the kernels execute directly.
    case primitive
    /// An op known only by its explicit costs (`opaque`): placed and simulated, never executed.
    case opaque
}

/// How many operands (or results) an op takes.
public struct Arity: Sendable, CustomStringConvertible {
    public var min: Int
    /// nil: any number from `min` up.
    public var max: Int?

    public static func exactly(_ n: Int) -> Arity { Arity(min: n, max: n) }
    public static func range(_ lo: Int, _ hi: Int) -> Arity { Arity(min: lo, max: hi) }
    public static func atLeast(_ n: Int) -> Arity { Arity(min: n, max: nil) }

    public func accepts(_ n: Int) -> Bool { n >= min && (max.map { n <= $0 } ?? true) }

    public var description: String {
        guard let max else { return "at least \(min)" }
        return min == max ? "\(min)" : "\(min) to \(max)"
    }
}

/// The declared shape of one attribute: its kind, constraint and default.
public struct AttributeSpec: Sendable {
    public enum Kind: Sendable {
        case int(ClosedRange<Int>)
        case float(ClosedRange<Double>)
        case string
        case bool
        /// One of the listed names, written bare (`gating = noisy_topk`).
        case symbol([String])
        /// A list of integers, each in the range, with a length in `count`.
        case intList(count: ClosedRange<Int>, each: ClosedRange<Int>)
        /// A non-empty list of names, bare or quoted (`devices = [k40, v100]`).
        case nameList
    }

    public var name: String
    public var kind: Kind
    /// nil: the attribute is required.
    public var defaultValue: AttributeValue?
    public var doc: String

    public init(_ name: String, _ kind: Kind, default defaultValue: AttributeValue? = nil, _ doc: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
    }

    public var isRequired: Bool { defaultValue == nil }

    /// Checks a written value against the kind; returns it coerced (an integer where a float is
    /// expected becomes a float) or an error message.
    public func check(_ value: AttributeValue) -> Result<AttributeValue, AttributeError> {
        func fail(_ m: String) -> Result<AttributeValue, AttributeError> { .failure(AttributeError(message: m)) }
        switch kind {
        case .int(let range):
            guard case .int(let v) = value else { return fail("attribute '\(name)' must be an integer, got \(value.kindName)") }
            guard range.contains(v) else { return fail("attribute '\(name)' must be \(describe(range)), got \(v)") }
            return .success(value)
        case .float(let range):
            guard let v = value.doubleValue else { return fail("attribute '\(name)' must be a number, got \(value.kindName)") }
            guard v.isFinite, range.contains(v) else { return fail("attribute '\(name)' must be \(describe(range)), got \(value)") }
            return .success(.float(v))
        case .string:
            guard case .string = value else { return fail("attribute '\(name)' must be a string, got \(value.kindName)") }
            return .success(value)
        case .bool:
            guard case .bool = value else { return fail("attribute '\(name)' must be true or false, got \(value.kindName)") }
            return .success(value)
        case .symbol(let cases):
            guard case .symbol(let s) = value else {
                return fail("attribute '\(name)' must be one of \(cases.joined(separator: ", ")), got \(value.kindName)")
            }
            guard cases.contains(s) else {
                return fail("attribute '\(name)' must be one of \(cases.joined(separator: ", ")), got '\(s)'")
            }
            return .success(value)
        case .nameList:
            guard let items = value.listValue, !items.isEmpty,
                  items.allSatisfy({ $0.symbolValue != nil || $0.stringValue != nil }) else {
                return fail("attribute '\(name)' must be a non-empty list of names, got \(value.kindName)")
            }
            return .success(value)
        case .intList(let count, let each):
            guard let items = value.intListValue else { return fail("attribute '\(name)' must be a list of integers, got \(value.kindName)") }
            guard count.contains(items.count) else {
                let n = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
                return fail("attribute '\(name)' must list \(n) integers, got \(items.count)")
            }
            if let bad = items.first(where: { !each.contains($0) }) {
                return fail("attribute '\(name)': every entry must be \(describe(each)), got \(bad)")
            }
            return .success(value)
        }
    }

    private func describe(_ r: ClosedRange<Int>) -> String {
        if r.upperBound == .max { return "≥ \(r.lowerBound)" }
        if r.lowerBound == .min { return "≤ \(r.upperBound)" }
        return "in \(r.lowerBound)...\(r.upperBound)"
    }

    private func describe(_ r: ClosedRange<Double>) -> String {
        if r.upperBound == .greatestFiniteMagnitude { return "≥ \(r.lowerBound)" }
        return "in \(r.lowerBound)...\(r.upperBound)"
    }
}

public struct AttributeError: Error, Sendable { public var message: String }

/// A shape rule's complaint: the operands' types do not fit the op.
public struct ShapeError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// How a parameter tensor starts.
public enum InitRule: Hashable, Sendable, CustomStringConvertible {
    case zeros
    case ones
    /// N(0, std²).
    case normal(std: Double)
    /// U(−limit, limit).
    case uniform(limit: Double)

    public var description: String {
        switch self {
        case .zeros: "zeros"
        case .ones: "ones"
        case .normal(let s): "normal(\(s))"
        case .uniform(let l): "uniform(\(l))"
        }
    }
}

/// A parameter a layer op holds: `count` tensors of one type (one per expert, say) and their init.
public struct ParamSpec: Hashable, Sendable {
    public var name: String
    public var type: TensorType
    public var count: Int
    public var initRule: InitRule

    public init(_ name: String, _ type: TensorType, count: Int = 1, init initRule: InitRule) {
        self.name = name
        self.type = type
        self.count = count
        self.initRule = initRule
    }

    /// Elements over all `count` copies.
    public var elements: Double { Double(count) * type.expectedElements }
}

/// What executing an op once costs, from its types (data-dependent dimensions at their expected size).
public struct OpCost: Hashable, Sendable {
    /// Multiply-adds (the paper's "ops").
    public var macs: Double
    /// Other arithmetic: elementwise operations, transcendentals, comparisons.
    public var otherFlops: Double
    /// Bytes read from device memory.
    public var bytesRead: Double
    /// Bytes written to device memory.
    public var bytesWritten: Double

    public init(macs: Double = 0, otherFlops: Double = 0, bytesRead: Double = 0, bytesWritten: Double = 0) {
        self.macs = macs
        self.otherFlops = otherFlops
        self.bytesRead = bytesRead
        self.bytesWritten = bytesWritten
    }

    /// Floating-point operations: two per multiply-add plus the rest.
    public var flops: Double { 2 * macs + otherFlops }
    public var bytes: Double { bytesRead + bytesWritten }

    public static func + (a: OpCost, b: OpCost) -> OpCost {
        OpCost(macs: a.macs + b.macs, otherFlops: a.otherFlops + b.otherFlops,
               bytesRead: a.bytesRead + b.bytesRead, bytesWritten: a.bytesWritten + b.bytesWritten)
    }
}
