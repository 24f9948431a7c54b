/// One dimension of a tensor shape.
///
/// A dimension has a size and, optionally, a symbolic spelling made of the graph's named dimensions
/// (`batch`, `batch*seq`), which the printer keeps so that `--batch 64` re-sizes a graph without
/// rewriting its types. A *data-dependent* dimension (the rows an expert receives) has an upper bound
/// (`size`) and an expected value (`expected`) the cost model uses; it is written `?expected<=max`.
public struct Dim: Hashable, Sendable, CustomStringConvertible {
    /// The size; for a data-dependent dimension, its upper bound.
    public var size: Int
    /// The symbolic spelling (`batch`, `batch*seq`), or nil for a plain integer.
    public var symbol: String?
    /// For a data-dependent dimension, its expected size (a mean, so it may be fractional: an expert
    /// of MoE-131072-h expects 0.08 rows a step); nil for a static one.
    public var expected: Double?

    public init(_ size: Int, symbol: String? = nil) {
        self.size = size
        self.symbol = symbol
        self.expected = nil
    }

    /// A data-dependent dimension: at most `max`, `expected` on average.
    public static func dynamic(expected: Double, max: Int) -> Dim {
        var d = Dim(max)
        d.expected = expected
        return d
    }

    public var isDynamic: Bool { expected != nil }

    /// The size a cost model should assume: the expected size for data-dependent dimensions.
    public var expectedSize: Double { expected ?? Double(size) }

    /// Same extent (size and data-dependence), whatever the spelling.
    public func sameExtent(as other: Dim) -> Bool {
        size == other.size && expected == other.expected
    }

    /// Could be the same extent at run time: equal, or both data-dependent (two routings of one
    /// batch agree on how many rows an expert got only when they run).
    public func compatible(with other: Dim) -> Bool {
        sameExtent(as: other) || (isDynamic && other.isDynamic)
    }

    /// The product of two dimensions, spelled symbolically when either is symbolic; nil on overflow.
    public func multiplied(by other: Dim) -> Dim? {
        let (p, overflow) = size.multipliedReportingOverflow(by: other.size)
        guard !overflow else { return nil }
        var d = Dim(p)
        if symbol != nil || other.symbol != nil {
            let parts = [symbol ?? String(size), other.symbol ?? String(other.size)].filter { $0 != "1" }
            d.symbol = parts.isEmpty ? nil : parts.joined(separator: "*")
        }
        if isDynamic || other.isDynamic {
            d.expected = expectedSize * other.expectedSize
            d.symbol = nil
        }
        return d
    }

    public var description: String {
        if let expected { return "?\(Dim.spell(expected))<=\(size)" }
        return symbol ?? String(size)
    }

    /// An expected size as written: integral values without a fraction, others in Swift's shortest
    /// round-tripping form.
    static func spell(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : x.description
    }
}
