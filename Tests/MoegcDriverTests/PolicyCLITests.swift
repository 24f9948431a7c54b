import Foundation
@testable import MoegcDriver
import Testing

/// `moegc place --train-policy / --resume / --policy` end to end on a tiny graph.
struct PolicyCLITests {
    static func temporary(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "moegc-policy-cli-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    @Test func trainResumeAndPlace() throws {
        let full = Self.temporary("full.policy"), split = Self.temporary("split.policy")
        let common = ["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--train-policy", "--seed", "3", "--cloning-steps", "5"]
        let r = try CLITests.moegc(common + ["--iterations", "4", "--out", full])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| policy (best found) |"))
        #expect(r.stdout.contains("| local-search |"))
        #expect(r.stderr.isEmpty, "the progress bar stays off when stderr is not a terminal")
        for suffix in [".csv", ".svg"] {
            #expect(FileManager.default.fileExists(atPath: full.replacingOccurrences(of: ".policy", with: suffix)))
        }
        let csv = try String(contentsOfFile: full.replacingOccurrences(of: ".policy", with: ".csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5)   // header + 4 iterations

        // --resume continues a run from its file (here a finished 2-iteration run extended to 4;
        // byte-identity after a kill is tested in MoegcPolicyTests and measured in the README).
        _ = try CLITests.moegc(common + ["--iterations", "2", "--out", split])
        let resumed = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--train-policy",
                                          "--resume", "--iterations", "4", "--seed", "3", "--out", split])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("trained 4 iterations"))

        let placed = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x16", "--policy", full, "--samples", "4"])
        #expect(placed.status == 0, "\(placed.stderr)")
        #expect(placed.stdout.contains("| policy (best of greedy and 4 samples; chosen: "))
    }

    @Test func badPolicyFilesAreClearErrors() throws {
        let r = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", "graphs/tiny-moe.graph"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: not a moegc policy file"))
        let missing = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", "/nonexistent/x.policy"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/x.policy"))
        let both = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--train-policy", "--policy", "x.policy"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("cannot be combined"))
    }

    /// A policy with a fusion head, end to end: trained, it merges tasks; `compile` applies the
    /// merges to the plan's fusion groups; the runtime runs that plan to the interpreter's outputs.
    @Test func fusionHeadMergesThroughCompileAndRun() throws {
        let policy = Self.temporary("fusion.policy"), plan = Self.temporary("fusion.plan")
        let trained = try CLITests.moegc(["place", "graphs/tiny-switch.graph", "--cluster", "cpu2", "--train-policy", "--fusion-head",
                                          "--iterations", "30", "--seed", "0", "--out", policy])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("merge candidates merged"))
        let compiled = try CLITests.moegc(["compile", "graphs/tiny-switch.graph", "--cluster", "cpu2", "--policy", policy, "-o", plan])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        #expect(compiled.stdout.contains("the policy merged"), "\(compiled.stdout)")
        let runtime = Self.temporary("fusion-runtime.json"), reference = Self.temporary("fusion-reference.json")
        #expect(try CLITests.moegc(["run", plan, "--outputs", runtime]).status == 0)
        #expect(try CLITests.moegc(["run", plan, "--reference", "--outputs", reference]).status == 0)
        #expect(try String(contentsOfFile: runtime, encoding: .utf8) == String(contentsOfFile: reference, encoding: .utf8))

        let resumed = try CLITests.moegc(["place", "graphs/tiny-switch.graph", "--train-policy", "--resume", "--fusion-head", "--out", policy])
        #expect(resumed.status != 0)
        #expect(resumed.stderr.contains("--fusion-head shapes a new network"))
    }

    @Test func progressLine() {
        let line = ProgressBar.line(done: 5, total: 10, elapsed: 10, status: "it 5")
        #expect(line.contains("5/10 it 5 ETA 0:10"))
    }
}
