import Foundation
import MoegcKernels
import Testing

/// What `moegc` does with each OPENBLAS_CORETYPE a user or a machine image can set, checked on the
/// binary (the test process itself keeps whatever its environment chose). `--verbose` prints the
/// core line first on standard error: "OpenBLAS 0.3.21 core Haswell (…)".
@Suite struct BLASCoreCLITests {
    static let variables = [BLAS.coreTypeVariable, BLAS.reexecGuardVariable, "OPENBLAS_L2_SIZE"]

    /// `moegc run graphs/tiny-moe.graph --reference --verbose` with `setting` as OPENBLAS_CORETYPE
    /// (nil: unset), and its core line.
    static func run(core setting: String?, extra: [String: String] = [:], outputs: String? = nil) throws
        -> (run: CLITests.Run, coreLine: String)
    {
        var environment = extra
        if let setting { environment[BLAS.coreTypeVariable] = setting }
        let args = ["run", "graphs/tiny-moe.graph", "--reference", "--verbose", "--eval"] + (outputs.map { ["--outputs", $0] } ?? [])
        let r = try CLITests.moegc(args, environment: environment,
                                   removing: setting == nil ? variables : [BLAS.reexecGuardVariable])
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("OpenBLAS ") }.map(String.init) ?? ""
        return (r, line)
    }

    /// The core name in a core line ("OpenBLAS 0.3.21 core Haswell (…)" → "Haswell").
    static func core(_ line: String) -> String {
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(of: "core"), i + 1 < words.count else { return "" }
        return String(words[i + 1])
    }

    /// Unset: OpenBLAS's own choice if it is of the CPU's best tier, else moegc re-executes itself
    /// with the best core and says it set it.
    @Test func unsetRunsTheBestCoreTheCPUHas() throws {
        let (r, line) = try Self.run(core: nil)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!line.contains("slow:"), "\(line)")
        #expect(!line.contains("set by the user"), "\(line)")
        if let best = BLAS.bestSupportedCore {
            #expect(BLAS.coreTier(Self.core(line)) == BLAS.coreTier(best), "\(line)")
            #expect(line.contains("(chosen by OpenBLAS)") || line.contains("(\(BLAS.coreTypeVariable)=\(best) set by moegc)"), "\(line)")
        }
    }

    /// A slow core the user chose is kept, and --verbose says it is slow and what the CPU has.
    @Test func aUsersSlowCoreIsKeptAndNamed() throws {
        let (r, line) = try Self.run(core: "Prescott")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.core(line).lowercased() == "prescott", "\(line)")
        #expect(line.contains("(OPENBLAS_CORETYPE=Prescott set by the user)"), "\(line)")
        if let best = BLAS.bestSupportedCore {
            #expect(line.hasSuffix("; slow: the CPU supports \(best)"), "\(line)")
        }
    }

    /// The machine image's setting (the CPU's best AVX2 core with a small L2, as some images set it)
    /// is kept as it is.
    @Test(.enabled(if: BLAS.bestSupportedCore != nil, "the CPU has neither AVX2 nor AVX-512"))
    func anImagesSettingIsKept() throws {
        let (r, line) = try Self.run(core: "Haswell", extra: ["OPENBLAS_L2_SIZE": "512"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(line.contains("core Haswell (OPENBLAS_CORETYPE=Haswell set by the user)"), "\(line)")
    }

    /// AVX-512 kernels on a CPU without AVX-512: an error naming the fix, never SIGILL; on a CPU
    /// with AVX-512 the setting is the user's and is kept.
    @Test func aCoreTheCPUCannotRunIsAClearError() throws {
        let (r, line) = try Self.run(core: "SkylakeX")
        if BLAS.bestSupportedCore == "SkylakeX" {
            #expect(r.status == 0, "\(r.stderr)")
            #expect(line.contains("(OPENBLAS_CORETYPE=SkylakeX set by the user)"), "\(line)")
        } else {
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("error: OPENBLAS_CORETYPE=SkylakeX asks OpenBLAS for kernels that need AVX-512"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// The same model gives the same outputs on the generic core and on the CPU's best one, within
    /// the kernels' tolerance (1e-5 relative to the output's largest magnitude: the cores sum the
    /// matmuls' depth in different blocks, nothing else differs).
    @Test(.enabled(if: BLAS.bestSupportedCore != nil, "the CPU has no core but the generic one"))
    func outputsAgreeOnEveryCore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moegc-cores-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var outputs: [[String: [Double]]] = []
        for core in ["Prescott", BLAS.bestSupportedCore!] {
            let path = "\(dir)/\(core).json"
            let (r, line) = try Self.run(core: core, outputs: path)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.core(line).lowercased() == core.lowercased(), "\(line)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
            outputs.append(object.compactMapValues { value in
                ((value as? [String: Any])?["data"] as? [Any]).map(Self.flatten)
            })
        }
        #expect(!outputs[0].isEmpty && outputs[0].keys == outputs[1].keys)
        for (name, a) in outputs[0] {
            let b = outputs[1][name] ?? []
            #expect(a.count == b.count, "\(name)")
            let scale = max(a.map(abs).max() ?? 0, 1e-30)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "\(name): largest difference \(worst) at scale \(scale)")
        }
    }

    static func flatten(_ value: Any) -> [Double] {
        if let number = value as? NSNumber { return [number.doubleValue] }
        if let array = value as? [Any] { return array.flatMap(flatten) }
        return []
    }
}
