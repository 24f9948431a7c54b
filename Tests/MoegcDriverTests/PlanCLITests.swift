import Foundation
import Testing

/// `moegc compile -o`, `moegc run model.plan`, `moegc inspect`, end to end.
struct PlanCLITests {
    static func temp(_ name: String) -> String { NSTemporaryDirectory() + "moegc-plan-\(getpid())-\(name)" }

    @Test func compileRunInspectEndToEnd() throws {
        let plan = PlanCLITests.temp("tiny.plan"), trace = PlanCLITests.temp("trace.json"), out = PlanCLITests.temp("out.json")
        defer { for p in [plan, trace, out] { try? FileManager.default.removeItem(atPath: p) } }
        let c = try CLITests.moegc(["compile", "graphs/tiny-hmoe.graph", "--cluster", "cpu2", "--placer", "expert-parallel", "--eval", "-o", plan])
        #expect(c.status == 0, "\(c.stderr)")
        let r = try CLITests.moegc(["run", plan, "--steps", "3", "--trace", trace, "--outputs", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("placed by expert-parallel on cpu2 (2 devices), evaluation mode, seed 0"))
        #expect(r.stdout.contains("step time: measured"))
        #expect(r.stdout.contains("simulated"))
        let traceObject = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any]
        let events = traceObject?["traceEvents"] as? [[String: Any]] ?? []
        #expect(events.contains { $0["ph"] as? String == "X" })
        // The runtime and the reference interpreter agree on the plan's graph, bit for bit.
        let reference = try CLITests.moegc(["run", plan, "--reference"])
        let lines = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("  %") } }
        #expect(lines(reference.stdout) == lines(r.stdout))
        let i = try CLITests.moegc(["inspect", plan])
        #expect(i.status == 0)
        #expect(i.stdout.contains("placer          expert-parallel"))
        #expect(i.stdout.contains("cluster         cpu2 (2 devices)"))
        // --json: the same figures, exact (the simulated step agrees with compile --json's).
        let j = try CLITests.moegc(["inspect", plan, "--json"])
        #expect(j.status == 0, "\(j.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(summary["schema"] as? String == "moegc.plan/1")
        #expect(summary["placer"] as? String == "expert-parallel" && summary["cluster"] as? String == "cpu2")
        let devices = try #require(summary["devices"] as? [[String: Any]])
        #expect(devices.count == 2 && devices.allSatisfy { ($0["plannedPeakBytes"] as? Int ?? -1) > 0 })
        let compiled = try CLITests.moegc(["compile", "graphs/tiny-hmoe.graph", "--cluster", "cpu2", "--placer", "expert-parallel", "--eval", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(compiled.stdout.utf8)) as? [String: Any])
        #expect(summary["simulatedStepSeconds"] as? Double == report["stepSeconds"] as? Double)
        #expect(try CLITests.moegc(["inspect", plan, "--json", "--graph"]).status != 0)
        // run --json: every step's time, the planned and measured peaks, the outputs' summaries
        // (a NaN or an infinity as a string, as --outputs writes it).
        let runJSON = try CLITests.moegc(["run", plan, "--steps", "2", "--json"])
        #expect(runJSON.status == 0, "\(runJSON.stderr)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(runJSON.stdout.utf8)) as? [String: Any])
        #expect(run["schema"] as? String == "moegc.run/1")
        #expect((run["stepSeconds"] as? [Double])?.count == 2)
        #expect((run["plan"] as? [String: Any])?["simulatedStepSeconds"] as? Double == report["stepSeconds"] as? Double)
        let runDevices = try #require(run["devices"] as? [[String: Any]])
        #expect(runDevices.allSatisfy { ($0["measuredPeakBytes"] as? Int ?? .max) <= ($0["plannedPeakBytes"] as? Int ?? -1) })
        let names = (run["outputs"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(names == ["loss", "l_importance", "l_load"] || names?.isEmpty == false, "\(names ?? [])")
        let graphJSON = try CLITests.moegc(["run", "graphs/tiny-moe.graph", "--reference", "--json"])
        let graphRun = try #require(try JSONSerialization.jsonObject(with: Data(graphJSON.stdout.utf8)) as? [String: Any])
        #expect(graphRun["executor"] as? String == "reference interpreter" && graphRun["plan"] == nil)
        // The placed graph a plan holds is the one `compile --emit placed` prints.
        let placed = try CLITests.moegc(["compile", "graphs/tiny-hmoe.graph", "--cluster", "cpu2", "--placer", "expert-parallel", "--eval", "--emit", "placed"])
        #expect(try CLITests.moegc(["inspect", plan, "--graph"]).stdout == placed.stdout)
    }

    @Test func planErrorsAreClear() throws {
        let bad = PlanCLITests.temp("bad.plan")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try Data("MOEGCPLN\u{1}\u{2}garbage".utf8).write(to: URL(fileURLWithPath: bad))
        let r = try CLITests.moegc(["run", bad])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(bad): error: the plan is truncated or corrupted"))
        let i = try CLITests.moegc(["inspect", "graphs/tiny-moe.graph"])
        #expect(i.status == 1)
        #expect(i.stderr.contains("this looks like a .graph text, not a compiled plan"))
        let missing = try CLITests.moegc(["inspect", PlanCLITests.temp("none.plan")])
        #expect(missing.status == 1 && missing.stderr.contains("no such file or directory"))
    }

    @Test func weightsGoIntoThePlan() throws {
        let plan = PlanCLITests.temp("w.plan"), weights = PlanCLITests.temp("w.json")
        defer { for p in [plan, weights] { try? FileManager.default.removeItem(atPath: p) } }
        let data = (0..<64).map { String(Double($0) / 64) }.joined(separator: ", ")
        try #"{"y.w_gate": {"shape": [16, 4], "data": [\#(data)]}}"#.write(toFile: weights, atomically: true, encoding: .utf8)
        let graph = PlanCLITests.temp("g.graph")
        defer { try? FileManager.default.removeItem(atPath: graph) }
        try "graph g [t = 8] (%x: f32[t, 16]) -> (%y) {\n  %y, %li, %ll = moe(%x) {experts = 4, k = 2, hidden = 8}\n}\n"
            .write(toFile: graph, atomically: true, encoding: .utf8)
        let c = try CLITests.moegc(["compile", graph, "--cluster", "cpu2", "--placer", "single", "--eval", "-o", plan, "--weights", weights])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(try CLITests.moegc(["inspect", plan]).stdout.contains("weights stored  1 tensors, 256 B"))
        try #"{"nope": [1]}"#.write(toFile: weights, atomically: true, encoding: .utf8)
        let bad = try CLITests.moegc(["compile", graph, "--cluster", "cpu2", "--placer", "single", "-o", plan, "--weights", weights])
        #expect(bad.status == 1 && bad.stderr.contains("'nope' is not a parameter of the model"))
    }
}
