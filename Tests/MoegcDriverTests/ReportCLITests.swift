import Foundation
@testable import MoegcDriver
import MoegcSupport
import Testing

/// `moegc report` and `compile --report` end to end: the page is written (atomically, whole) and
/// bad input is a message naming the file, exit status 1, and no page.
struct ReportCLITests {
    static func temporary(_ name: String) -> String { NSTemporaryDirectory() + "moegc-report-cli-\(getpid())-\(name)" }

    @Test func compileAndReportWriteThePage() throws {
        let plan = Self.temporary("tiny.plan"), html = Self.temporary("tiny.html"), again = Self.temporary("again.html")
        defer { for f in [plan, html, again] { unlink(f) } }
        let c = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--placer", "expert-parallel",
                                    "-o", plan, "--report", html])
        #expect(c.status == 0, "\(c.stderr)")
        let r = try CLITests.moegc(["report", plan, "-o", again])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty && r.stderr.isEmpty)
        let fromCompile = try String(contentsOfFile: html, encoding: .utf8), fromPlan = try String(contentsOfFile: again, encoding: .utf8)
        for page in [fromCompile, fromPlan] {
            #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n"))
            #expect(page.contains("id=\"placement-picture\"") && page.contains("expert-parallel"))
        }
        // The plan's step is the one compile placed: the same timeline and picture.
        let picture = { (s: String) in s.components(separatedBy: "<section id=\"placement\">")[1].components(separatedBy: "</section>")[0] }
        #expect(picture(fromCompile) == picture(fromPlan))
    }

    @Test func placeCompareReportShowsEveryPlacer() throws {
        let html = Self.temporary("compare.html")
        defer { unlink(html) }
        let r = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--compare", "--report", html])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        for placer in ["single", "round-robin", "expert-parallel", "m-topo", "m-etf", "heft", "metis", "linear", "local-search"] {
            #expect(page.contains("<tr><td>\(placer)"), "\(placer)")
        }
        #expect(page.contains("id=\"compare-utilisation\"") && page.contains("id=\"placement-picture\""))
        #expect(!page.contains("<script"))
        // No wall times: the same page on every run.
        let again = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--compare", "--report", html])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: html, encoding: .utf8) == page)
    }

    @Test func badInputIsAnErrorAndNoPage() throws {
        let html = Self.temporary("bad.html"), trace = Self.temporary("bad.json"), plan = Self.temporary("ok.plan")
        defer { for f in [html, trace, plan] { unlink(f) } }
        let missing = try CLITests.moegc(["report", "graphs/nope.plan", "-o", html])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("graphs/nope.plan"))
        let graph = try CLITests.moegc(["report", "graphs/tiny-moe.graph", "-o", html])
        #expect(graph.status == 1)
        #expect(graph.stderr.contains("this looks like a .graph text, not a compiled plan"))
        #expect(try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "-o", plan]).status == 0)
        try "{\"traceEvents\":[{\"ph\":\"X\",\"pid\":0}]}".write(toFile: trace, atomically: true, encoding: .utf8)
        let badTrace = try CLITests.moegc(["report", plan, "-o", html, "--trace", trace])
        #expect(badTrace.status == 1)
        #expect(badTrace.stderr == "\(trace): error: traceEvents[0] needs finite \"ts\" and \"dur\" ≥ 0 (microseconds)\n")
        let noOutput = try CLITests.moegc(["report", plan])
        #expect(noOutput.status != 0)
        #expect(noOutput.stderr.contains("--output"))
        #expect(!FileManager.default.fileExists(atPath: html))
        let unwritable = try CLITests.moegc(["report", plan, "-o", "/nonexistent-dir/r.html"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("/nonexistent-dir/r.html"))
    }

    /// The stage progress line (drawn only on a terminal; the CLI tests' stderr is a pipe, so every
    /// test that expects an empty or exact stderr also checks it stays silent there).
    @Test func stageProgressLine() {
        #expect(StageProgress.line(stage: "lowering", done: 0, total: 5, elapsed: 0.4) == "moegc: lowering (stage 1/5), 0:00 elapsed, ETA —")
        #expect(StageProgress.line(stage: "fusing", done: 2, total: 5, elapsed: 6) == "moegc: fusing (stage 3/5), 0:06 elapsed, ETA ~0:09")
        let silent = StageProgress(stages: 3, enabled: false)
        silent.begin("parsing")
        silent.end()
    }

    @Test func compileOnAPipeIsSilentOnStderr() throws {
        let r = try CLITests.moegc(["compile", "graphs/switch-base-32.graph", "--cluster", "k40x16", "--placer", "m-etf"])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--quiet"]).status == 0)
    }
}
