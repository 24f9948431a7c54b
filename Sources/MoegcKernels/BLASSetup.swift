// OpenBLAS core selection: which sgemm kernel the process runs on, and how to get the fast one.
//
// Debian's OpenBLAS is built with DYNAMIC_ARCH: it picks a kernel ("core") for the CPU when the
// library is loaded. On CPUs it does not recognise it falls back to the generic `Prescott` core,
// about 5x slower than the AVX-512 `SkylakeX` core on sgemm. The choice can be forced with the
// environment variable OPENBLAS_CORETYPE, but only before the library loads, so a process that
// wants the fast core sets the variable and re-executes itself.

import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenBLAS runtime: core detection and selection, threading, a description for `--verbose`.
public enum BLAS {
    /// The environment variable OpenBLAS reads at load time to force a core.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set by `reexecWithFastCoreIfNeeded` before it re-executes, so a re-executed process never
    /// re-executes again and can tell that OPENBLAS_CORETYPE came from moegc, not from the user.
    public static let reexecGuardVariable = "MOEGC_BLAS_REEXEC"

    // MARK: - What the process runs on

    /// The core OpenBLAS chose when it loaded (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration, e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … MAX_THREADS=64".
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: config)
    }

    /// The library version as its configuration string states it ("0.3.21"), or nil if absent.
    public static var version: String? {
        let words = configuration.split(separator: " ")
        guard words.count >= 2, words[0] == "OpenBLAS" else { return nil }
        return String(words[1])
    }

    /// The best OpenBLAS core this machine's CPU supports (from /proc/cpuinfo), or nil when the
    /// CPU has neither AVX2+FMA nor AVX-512 or /proc/cpuinfo cannot be read.
    public static var bestSupportedCore: String? {
        guard let text = readCPUInfo() else { return nil }
        return bestCore(cpuinfo: text)
    }

    /// True when OpenBLAS runs on a core of a lower tier than the best one the CPU supports
    /// (the generic `Prescott` fallback on an AVX-512 machine, for instance).
    public static var isOnSlowCore: Bool {
        guard let best = bestSupportedCore else { return false }
        return coreTier(coreName) < coreTier(best)
    }

    // MARK: - Pure detection logic

    /// The best OpenBLAS core for a CPU described by `cpuinfo` (the text of /proc/cpuinfo):
    /// "SkylakeX" when the first processor's flags include avx512f, avx512bw, avx512dq and avx512vl;
    /// "Haswell" when they include avx2 and fma; nil otherwise (including when no flags line exists).
    public static func bestCore(cpuinfo: String) -> String? {
        guard let flags = cpuFlags(cpuinfo: cpuinfo) else { return nil }
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) {
            return "SkylakeX"
        }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU feature flags of the first processor in a /proc/cpuinfo text (the "flags" line on
    /// x86), or nil if there is none.
    public static func cpuFlags(cpuinfo: String) -> Set<String>? {
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingSpaces()
            guard key == "flags" else { continue }
            let values = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            return Set(values.map(String.init))
        }
        return nil
    }

    /// A speed tier of an OpenBLAS x86 core name: 2 for the AVX-512 cores (SkylakeX, Cooperlake,
    /// SapphireRapids), 1 for the AVX2 cores (Haswell, Zen), 0 for everything else. Case-insensitive.
    public static func coreTier(_ core: String) -> Int {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 2
        case "haswell", "zen": return 1
        default: return 0
        }
    }

    /// What `reexecWithFastCoreIfNeeded` decides to do, given the process environment, the core
    /// in use and the best supported one. Pure, so it can be tested without re-executing.
    public enum ReexecDecision: Equatable, Sendable {
        /// Re-execute with OPENBLAS_CORETYPE set to this core.
        case reexec(core: String)
        /// The user set OPENBLAS_CORETYPE themselves: respect it.
        case userChoseCore(String)
        /// The user set OPENBLAS_CORETYPE to a core whose instructions this CPU lacks (AVX-512
        /// kernels on an AVX2 CPU, say; `best` is the best core it has): OpenBLAS would stop the
        /// process with an illegal instruction at its first call. Never overridden: an error.
        case userChoseUnrunnableCore(String, best: String?)
        /// This process was already re-executed once (the guard variable is set): never loop.
        case alreadyReexecuted
        /// The core in use is already of the best tier the CPU supports.
        case alreadyFast
        /// The CPU supports no better core than the generic one.
        case noBetterCore
    }

    /// Decides whether to re-execute. `coreTypeSetting` and `guardSetting` are the values of
    /// OPENBLAS_CORETYPE and MOEGC_BLAS_REEXEC (nil when unset); an empty OPENBLAS_CORETYPE counts as unset.
    public static func reexecDecision(coreTypeSetting: String?, guardSetting: String?,
                                      currentCore: String, bestCore: String?) -> ReexecDecision {
        if guardSetting != nil { return .alreadyReexecuted }
        if let chosen = coreTypeSetting, !chosen.isEmpty {
            // Tier 0 (the generic cores) runs anywhere; the others need their instruction sets.
            if coreTier(chosen) > 0 && coreTier(chosen) > bestCore.map(coreTier) ?? 0 {
                return .userChoseUnrunnableCore(chosen, best: bestCore)
            }
            return .userChoseCore(chosen)
        }
        guard let best = bestCore else { return .noBetterCore }
        if coreTier(currentCore) >= coreTier(best) { return .alreadyFast }
        return .reexec(core: best)
    }

    // MARK: - Acting on it

    /// The outcome of `reexecWithFastCoreIfNeeded` when it returns (on success it never returns).
    public enum ReexecOutcome: Equatable, Sendable {
        /// Nothing to do; the reason says why.
        case notNeeded(ReexecDecision)
        /// execv failed with this errno; the process continues on the slow core.
        case failed(core: String, errno: Int32)
        /// Re-execution is not supported on this platform (no /proc/self/exe).
        case unsupported

        /// A one-line message for an error that must stop the process before OpenBLAS is called,
        /// or nil: the user chose a core this CPU cannot run.
        public var error: String? {
            guard case .notNeeded(.userChoseUnrunnableCore(let core, let best)) = self else { return nil }
            let needs = coreTier(core) == 2 ? "AVX-512 (avx512f, avx512bw, avx512dq, avx512vl)" : "AVX2 and FMA"
            return "error: \(BLAS.coreTypeVariable)=\(core) asks OpenBLAS for kernels that need \(needs), which this CPU "
                + "lacks: OpenBLAS would stop on an illegal instruction. Unset \(BLAS.coreTypeVariable)"
                + (best.map { " or set \(BLAS.coreTypeVariable)=\($0), the best core this CPU runs" } ?? "")
        }

        /// A one-line message for a warning, or nil when there is nothing to warn about.
        public var warning: String? {
            switch self {
            case .notNeeded: return nil
            case .failed(let core, let code):
                return "warning: could not re-execute with \(BLAS.coreTypeVariable)=\(core) "
                    + "(\(String(cString: strerror(code)))); OpenBLAS stays on its slow \(BLAS.coreName) core"
            case .unsupported:
                return "warning: OpenBLAS runs its slow \(BLAS.coreName) core; set \(BLAS.coreTypeVariable) before starting"
            }
        }
    }

    /// What `reexecWithFastCoreIfNeeded` would do in this process, from its environment, the core
    /// OpenBLAS loaded and /proc/cpuinfo.
    public static var currentReexecDecision: ReexecDecision {
        reexecDecision(coreTypeSetting: environmentValue(coreTypeVariable),
                       guardSetting: environmentValue(reexecGuardVariable),
                       currentCore: coreName, bestCore: bestSupportedCore)
    }

    /// Makes the process run on the best OpenBLAS core the CPU supports. Call it first thing in
    /// `main`, before any thread is started. If OpenBLAS already runs on a core of the best tier,
    /// if the user set OPENBLAS_CORETYPE, or if the process was already re-executed, it returns at
    /// once (if the user's core cannot run on this CPU, the outcome's `error` says so and the
    /// caller must stop). Otherwise it sets OPENBLAS_CORETYPE and MOEGC_BLAS_REEXEC=1 and execv's
    /// /proc/self/exe with `arguments` as argv (normally `CommandLine.arguments`): the call does
    /// not return. If execv fails it returns `.failed` and the process continues on the slow core.
    @discardableResult
    public static func reexecWithFastCoreIfNeeded(arguments: [String]) -> ReexecOutcome {
        let decision = currentReexecDecision
        guard case .reexec(let core) = decision else { return .notNeeded(decision) }
        #if os(Linux)
        fflush(nil) // buffered output would be lost across execv
        setenv(coreTypeVariable, core, 1)
        setenv(reexecGuardVariable, "1", 1)
        let code = execSelf(arguments: arguments)
        // Only reached when execv failed: undo the settings so child processes are not misled.
        unsetenv(coreTypeVariable)
        unsetenv(reexecGuardVariable)
        return .failed(core: core, errno: code)
        #else
        return .unsupported
        #endif
    }

    /// Restricts OpenBLAS to one thread. Runtime workers call this: each worker owns a core, and
    /// OpenBLAS's own threads would compete with the other workers.
    public static func setSingleThreaded() {
        openblas_set_num_threads(1)
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// A line for `--verbose`, e.g.
    /// "OpenBLAS 0.3.21 core SkylakeX (OPENBLAS_CORETYPE=SkylakeX set by moegc)".
    public static var summary: String {
        var line = "OpenBLAS \(version ?? "?") core \(coreName)"
        let setting = environmentValue(coreTypeVariable)
        if let setting, environmentValue(reexecGuardVariable) != nil {
            line += " (\(coreTypeVariable)=\(setting) set by moegc)"
        } else if let setting {
            line += " (\(coreTypeVariable)=\(setting) set by the user)"
        } else {
            line += " (chosen by OpenBLAS)"
        }
        if isOnSlowCore, let best = bestSupportedCore {
            line += "; slow: the CPU supports \(best)"
        }
        return line
    }

    // MARK: - Private

    /// The value of an environment variable; nil when unset or empty.
    private static func environmentValue(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    private static func readCPUInfo() -> String? {
        let fd = open("/proc/cpuinfo", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 { return nil }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    #if os(Linux)
    /// execv("/proc/self/exe", arguments); returns errno if it fails.
    private static func execSelf(arguments: [String]) -> Int32 {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        _ = argv.withUnsafeMutableBufferPointer { execv("/proc/self/exe", $0.baseAddress!) }
        return errno
    }
    #endif
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}
