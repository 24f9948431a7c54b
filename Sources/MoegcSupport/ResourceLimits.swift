import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// How much memory moegc may take, in one place: every reader (graphs, plans, policies, JSON
/// tensors, cluster files), the interpreter and the runtime check a size computed from input here
/// before they allocate it, so a hostile or mistaken input is an error naming the value, its size
/// and the limit — never a failed allocation or a machine driven into swap.
///
/// - `allocationBytes`: the most any single buffer (a tensor, a decoded array) may take;
/// - `runBytes`: the most a whole run may hold at once (weights, packed copies, live values);
/// - `nestingDepth`: how deep any recursive structure read from input may nest (attribute lists,
///   JSON arrays), so no recursive descent can overflow the stack.
///
/// Both byte ceilings default to the machine's memory (physical memory, or the cgroup's limit when
/// that is lower); the environment variables `MOEGC_MAX_ALLOCATION` and `MOEGC_MAX_MEMORY` lower
/// or raise them (`16GiB`, `512MiB`, `2000000000`).
public struct ResourceLimits: Sendable, Hashable {
    public var allocationBytes: Int
    public var runBytes: Int
    public var nestingDepth: Int
    /// Where each byte ceiling came from, for messages ("this machine's memory", "MOEGC_MAX_MEMORY").
    public var allocationSource: String
    public var runSource: String

    public init(allocationBytes: Int, runBytes: Int, nestingDepth: Int = ResourceLimits.defaultNestingDepth,
                allocationSource: String = "the configured limit", runSource: String = "the configured limit") {
        self.allocationBytes = allocationBytes
        self.runBytes = runBytes
        self.nestingDepth = nestingDepth
        self.allocationSource = allocationSource
        self.runSource = runSource
    }

    public static let defaultNestingDepth = 256
    public static let allocationVariable = "MOEGC_MAX_ALLOCATION"
    public static let runVariable = "MOEGC_MAX_MEMORY"

    /// The machine's memory: physical pages, or the cgroup (v2 or v1) limit when lower.
    public static let machineBytes: Int = {
        var bytes = Int.max
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, size > 0 { bytes = pages.multipliedReportingOverflow(by: size).overflow ? Int.max : pages * size }
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let data = try? FileIO.read(file) else { continue }
            let text = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
            if let v = Int(text), v > 0 { bytes = min(bytes, v) }
        }
        #endif
        return bytes == Int.max ? 1 << 34 : bytes
    }()

    /// The limits of this machine, before any environment variable.
    public static var machine: ResourceLimits {
        ResourceLimits(allocationBytes: machineBytes, runBytes: machineBytes,
                       allocationSource: "this machine's memory; \(allocationVariable) changes it",
                       runSource: "this machine's memory; \(runVariable) changes it")
    }

    /// The machine's limits with `MOEGC_MAX_ALLOCATION` and `MOEGC_MAX_MEMORY` applied, or the
    /// message naming a variable whose value is not a size.
    public static func fromEnvironment(_ environment: (String) -> String? = { getenv($0).map { String(cString: $0) } })
        -> Result<ResourceLimits, ResourceError> {
        var limits = machine
        for (variable, isRun) in [(allocationVariable, false), (runVariable, true)] {
            guard let text = environment(variable) else { continue }
            guard let bytes = parseBytes(text), bytes > 0 else {
                return .failure(ResourceError("\(variable)=\(text) is not a size: give a positive number of bytes, optionally with a unit (e.g. 512MiB, 16GiB, 2GB)"))
            }
            if isRun { limits.runBytes = bytes; limits.runSource = "\(variable)=\(text)" }
            else { limits.allocationBytes = bytes; limits.allocationSource = "\(variable)=\(text)" }
        }
        return .success(limits)
    }

    // A pthread mutex (NSLock), which ThreadSanitizer understands: under `make test-tsan` the
    // futex-based Mutex's accesses were reported as races.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var stored: ResourceLimits?

    /// The limits in force: set by `current = …` (tests, a driver), else read once from the
    /// environment (an invalid variable leaves the machine's limits; `environmentProblem` says why).
    public static var current: ResourceLimits {
        get {
            lock.lock()
            defer { lock.unlock() }
            if let stored { return stored }
            let limits = (try? fromEnvironment().get()) ?? machine
            stored = limits
            return limits
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            stored = newValue
        }
    }

    /// Why the environment's limits could not be used, or nil.
    public static var environmentProblem: String? {
        if case .failure(let e) = fromEnvironment() { return e.message }
        return nil
    }

    /// "16GiB", "512 MiB", "2GB", "1e9", "4096" → bytes; nil when not a size.
    public static func parseBytes(_ text: String) -> Int? {
        let s = text.filter { !$0.isWhitespace }
        let units: [(String, Double)] = [("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10),
                                         ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("kB", 1e3),
                                         ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1)]
        var number = Substring(s), scale = 1.0
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            number = s.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let v = Double(number), v.isFinite, v >= 0 else { return nil }
        let bytes = (v * scale).rounded(.down)
        return bytes < 0x1p63 ? Int(bytes) : nil
    }

    // MARK: Checks

    /// Checks that one buffer of `bytes` (nil: its size overflowed 64 bits) may be allocated.
    /// `what` names it in the message ("input %x (f32[1099511627776])").
    public func checkAllocation(_ what: @autoclosure () -> String, bytes: Int?) throws(ResourceError) {
        guard let bytes else {
            throw ResourceError("\(what()) needs more than 2^63 bytes, more than one allocation may take: \(Quantity.bytes(Double(allocationBytes))) (\(allocationSource))")
        }
        guard bytes <= allocationBytes else {
            throw ResourceError("\(what()) needs \(ResourceLimits.spell(bytes)), more than one allocation may take: \(Quantity.bytes(Double(allocationBytes))) (\(allocationSource))")
        }
    }

    /// Checks `count` elements of `elementSize` bytes (overflow-checked) as one allocation; returns the bytes.
    @discardableResult
    public func checkAllocation(_ what: @autoclosure () -> String, count: Int, elementSize: Int) throws(ResourceError) -> Int {
        let bytes = Sizes.product(count, elementSize)
        try checkAllocation(what(), bytes: count < 0 ? nil : bytes)
        return bytes!
    }

    /// Checks that a run holding `bytes` at once (nil: overflowed) stays within the run's ceiling.
    public func checkRun(_ what: @autoclosure () -> String, bytes: Int?) throws(ResourceError) {
        guard let bytes else {
            throw ResourceError("\(what()) needs more than 2^63 bytes, more than a run may hold: \(Quantity.bytes(Double(runBytes))) (\(runSource))")
        }
        guard bytes <= runBytes else {
            throw ResourceError("\(what()) needs \(ResourceLimits.spell(bytes)), more than a run may hold: \(Quantity.bytes(Double(runBytes))) (\(runSource))")
        }
    }

    /// Checks a nesting depth reached while reading `what`.
    public func checkNesting(_ depth: Int, _ what: @autoclosure () -> String) throws(ResourceError) {
        guard depth <= nestingDepth else {
            throw ResourceError("\(what()) nests deeper than \(nestingDepth) levels")
        }
    }

    /// "4.00 TiB (4398046511104 bytes)"; small sizes as plain bytes.
    public static func spell(_ bytes: Int) -> String {
        bytes < 1024 ? "\(bytes) bytes" : "\(Quantity.bytes(Double(bytes))) (\(bytes) bytes)"
    }
}

/// A size computed from input is beyond a limit (or beyond 64 bits): the message names the value,
/// its size and the limit.
public struct ResourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Overflow-checked size arithmetic: every size computed from input goes through these, and nil
/// means "does not fit in 64 bits" (callers turn it into an error naming the value).
public enum Sizes {
    /// a · b, or nil on overflow (or a negative factor).
    @inline(__always)
    public static func product(_ a: Int, _ b: Int) -> Int? {
        guard a >= 0, b >= 0 else { return nil }
        let (p, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : p
    }

    /// The product of `factors` (1 for none), or nil on overflow or a negative factor.
    public static func product<S: Sequence<Int>>(_ factors: S) -> Int? {
        var n = 1
        for f in factors {
            guard let p = product(n, f) else { return nil }
            n = p
        }
        return n
    }

    /// a + b, or nil on overflow.
    @inline(__always)
    public static func sum(_ a: Int, _ b: Int) -> Int? {
        let (s, o) = a.addingReportingOverflow(b)
        return o ? nil : s
    }

    /// The sum of `terms`, or nil on overflow.
    public static func sum<S: Sequence<Int>>(_ terms: S) -> Int? {
        var n = 0
        for t in terms {
            guard let s = sum(n, t) else { return nil }
            n = s
        }
        return n
    }

    /// a · b saturated at Int.max (for rules that cannot throw: the saturated value then fails the
    /// overflow check of the type or parameter it sizes).
    @inline(__always)
    public static func saturatingProduct(_ a: Int, _ b: Int) -> Int { product(a, b) ?? .max }

    /// a + b saturated at Int.max.
    @inline(__always)
    public static func saturatingSum(_ a: Int, _ b: Int) -> Int { sum(a, b) ?? (a < 0 && b < 0 ? .min : .max) }
}
