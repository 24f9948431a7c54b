import Foundation
@testable import MoegcDriver
import MoegcSupport
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
        // The result is never slower than the hint, and says which won (issue 14 item 8).
        let result = try #require(placed.stdout.split(separator: "\n").first { $0.hasPrefix("result: ") })
        if result.hasPrefix("result: the policy's placement") {
            let ratio = try #require(Double(result.split(separator: "(")[1].split(separator: "×")[0]))
            #expect(ratio <= 1, "\(result)")
        } else {
            #expect(result.contains(", the policy's hint, "), "\(result)")
        }
    }

    /// `place --policy` with the shipped policy (reference set `.fast`): the table shows local
    /// search too, outside the hint, and the result is never slower than the hint (issue 14 item 8).
    @Test func placeWithThePolicyShowsLocalSearchAndTheResult() throws {
        let r = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", "policies/moegc-default.policy"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| local-search ← ") && r.stdout.contains("(not in the policy's reference set)"), "\(r.stdout)")
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("result: ") })
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

    /// `place --train-policy --graphs DIR --clusters`, then `--evaluate --json` and `--convergence`
    /// with the policy it wrote, on tiny graphs (a smoke test of the CLI wiring; the numbers are
    /// tested in MoegcPolicyTests).
    @Test func trainOverAFolderEvaluateAndConverge() throws {
        let train = Self.temporary("set-train"), eval = Self.temporary("set-eval")
        for dir in [train, eval] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        for (file, dir) in [("tiny-moe.graph", train), ("tiny-lstm.graph", train), ("tiny-switch.graph", eval)] {
            try? FileManager.default.removeItem(atPath: dir + "/" + file)
            try FileManager.default.copyItem(atPath: CLITests.root + "/graphs/" + file, toPath: dir + "/" + file)
        }
        let policy = Self.temporary("set.policy")
        let trained = try CLITests.moegc(["place", "--train-policy", "--graphs", train, "--clusters", "k40x4,k40x8",
                                          "--iterations", "4", "--cloning-steps", "4", "--seed", "2", "--out", policy])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("prepared 4 problems (2 graphs × 2 clusters)"))
        #expect(trained.stdout.contains("| tiny_moe | k40x8 |") && trained.stdout.contains("| tiny_lstm | k40x4 |"))
        #expect(trained.stdout.contains("trained 4 iterations"))

        let evaluated = try CLITests.moegc(["place", "--evaluate", "--policy", policy, "--graphs", eval, "--cluster", "k40x4",
                                            "--fine-tune", "1", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["graph"] as? String == "tiny_switch")
        let summary = try #require(json["summary"] as? [String: Any])
        for key in ["greedy", "bestOf16", "fineTuned", "lowerBound"] {
            let value = try #require(summary[key] as? Double, "summary.\(key)")
            #expect(value > 0 && value.isFinite)
        }
        // The lower bound is below every placement; best of 16 includes the greedy decision.
        #expect((summary["lowerBound"] as! Double) <= 1 && (summary["bestOf16"] as! Double) <= (summary["greedy"] as! Double))

        let curves = Self.temporary("convergence")
        let converged = try CLITests.moegc(["place", eval + "/tiny-switch.graph", "--cluster", "k40x4", "--policy", policy,
                                            "--convergence", "2", "--out", curves])
        #expect(converged.status == 0, "\(converged.stderr)")
        for run in ["| fine-tuned |", "| from scratch (cloning, then PPO)", "| from scratch (PPO only) |"] {
            #expect(converged.stdout.contains(run), "missing \(run)")
        }
        let csv = try String(contentsOfFile: curves + ".csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 3 * 2)   // header + 3 runs × 2 iterations
        #expect(try String(contentsOfFile: curves + ".svg", encoding: .utf8).hasPrefix("<svg"))

        let noFolder = try CLITests.moegc(["place", "--evaluate", "--policy", policy, "--graphs", "/nonexistent-dir"])
        #expect(noFolder.status == 1 && noFolder.stderr.contains("/nonexistent-dir"))
    }

    /// `compile` with no placer named places with the shipped policy; when that file is missing or
    /// damaged it warns and uses the fastest heuristic; a policy named explicitly that cannot be
    /// read is an error.
    @Test func compileDefaultsToTheShippedPolicy() throws {
        let args = ["compile", "graphs/tiny-moe.graph", "--cluster", "k40x4"]
        let shipped = try CLITests.moegc(args)
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(shipped.stderr.isEmpty)
        #expect(shipped.stdout.contains("placer       policy: learned policy "))
        #expect(shipped.stdout.contains("policies/moegc-default.policy (greedy"))
        #expect(shipped.stdout.contains("  policy       "))   // where the policy's time went
        let named = try CLITests.moegc(args + ["--placer", "policy"])
        #expect(named.status == 0 && named.stdout.contains("placer       policy: learned policy "))

        let missing = try CLITests.moegc(args, environment: ["MOEGC_POLICY": "/nonexistent/moegc-default.policy"])
        #expect(missing.status == 0, "\(missing.stderr)")
        #expect(missing.stderr.hasPrefix("warning: the shipped placement policy was not found (looked in: /nonexistent/moegc-default.policy)"))
        #expect(missing.stderr.contains("placing with the fastest heuristic instead"))
        #expect(missing.stdout.contains("placer       best-heuristic: the fastest of the heuristics but local search"))

        let corrupt = Self.temporary("corrupt.policy")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: CLITests.root + "/policies/moegc-default.policy"))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let damaged = try CLITests.moegc(args, environment: ["MOEGC_POLICY": corrupt])
        #expect(damaged.status == 0, "\(damaged.stderr)")
        #expect(damaged.stderr.hasPrefix("warning: \(corrupt): the policy file is corrupted: checksum"))
        #expect(damaged.stdout.contains("placer       best-heuristic"))
        let foreign = try CLITests.moegc(args, environment: ["MOEGC_POLICY": CLITests.root + "/graphs/tiny-moe.graph"])
        #expect(foreign.status == 0 && foreign.stderr.contains("not a moegc policy file"))

        let explicit = try CLITests.moegc(args + ["--policy", corrupt])
        #expect(explicit.status == 1)
        #expect(explicit.stderr.hasPrefix("\(corrupt): error: the policy file is corrupted"))
        #expect(explicit.stdout.isEmpty)
        let conflicting = try CLITests.moegc(args + ["--policy", corrupt, "--placer", "heft"])
        #expect(conflicting.status != 0 && conflicting.stderr.contains("cannot be combined with --placer heft"))
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
        // `place --placer policy` goes through the same pipeline: the same merges and step time.
        let placed = try CLITests.moegc(["place", "graphs/tiny-switch.graph", "--cluster", "cpu2", "--placer", "policy"],
                                        environment: ["MOEGC_POLICY": policy])
        #expect(placed.status == 0, "\(placed.stderr)")
        func line(_ prefix: String, _ text: String) -> String? {
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }.map(String.init)
        }
        #expect(line("fusion", placed.stdout) != nil && line("fusion", placed.stdout) == line("fusion", compiled.stdout))
        #expect(line("step time", placed.stdout) != nil && line("step time", placed.stdout) == line("step time", compiled.stdout))
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
