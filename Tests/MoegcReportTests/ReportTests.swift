import Foundation
import MoegcCompiler
import MoegcIR
import MoegcPlacement
import MoegcPlan
import MoegcReport
import MoegcSim
import MoegcSupport
import Testing

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// A model from graphs/ compiled and placed as `moegc compile --cluster C --placer P` does.
func placed(_ file: String, cluster: String, placer: String) throws -> Compilation {
    var c = try Compilation.load(path: repoRoot + "/graphs/" + file, options: .init(training: true, seed: 0))
    try c.fuse()
    try c.adapt(to: Cluster.preset(cluster)!)
    try c.place(with: try Placers.make(placer))
    return c
}

func report(_ c: Compilation, placer: String) throws -> ReportModel {
    try ReportModel(problem: c.placed!.problem, placement: c.placed!.evaluation.placement,
                    origin: .init(source: c.options.file, placer: placer, training: true, seed: 0))
}

/// The report's data: built from the same step `compile` simulates, adding up to it.
struct ReportModelTests {
    static let cases: [(String, String, String)] = [
        ("tiny-moe.graph", "cpu2", "expert-parallel"), ("tiny-hmoe.graph", "k40x4", "round-robin"),
        ("switch-base-32.graph", "k40x16", "expert-parallel"), ("tiny-switch.graph", "hetero4", "m-etf"),
    ]

    @Test(arguments: cases.indices)
    func theSummaryIsTheSimulatedStep(_ k: Int) throws {
        let (file, cluster, placer) = Self.cases[k]
        let c = try placed(file, cluster: cluster, placer: placer)
        let m = try report(c, placer: placer), r = c.placed!.evaluation.report
        #expect(m.stepSeconds == r.makespan)
        #expect(m.devices.map(\.peakMemory) == r.peakMemory)
        #expect(m.devices.map(\.busy) == r.deviceBusy)
        #expect(m.ratio == c.placed!.evaluation.ratio)
        // The matrix counts every transfer once with its bytes: it sums to the simulator's total.
        #expect(Double(m.matrix.total) == r.bytesTransferred)
        #expect(m.matrix.count.joined().reduce(0, +) == r.transferCount)
        for d in m.devices.indices { #expect(m.matrix.bytes[d][d] == 0) }
    }

    @Test(arguments: cases.indices)
    func theBoxesHoldEveryTaskOnce(_ k: Int) throws {
        let (file, cluster, placer) = Self.cases[k]
        let c = try placed(file, cluster: cluster, placer: placer)
        let m = try report(c, placer: placer), a = m.aggregation, problem = c.placed!.problem
        let devices = c.placed!.evaluation.placement.taskDevice
        #expect(a.boxes.reduce(0) { $0 + $1.tasks } == problem.taskCount)
        #expect(a.boxes.reduce(0) { $0 + $1.nodes } == problem.graph.nodes.count)
        #expect(a.boxes.reduce(0) { $0 + $1.weightBytes } == problem.weights.reduce(0, +))
        for t in 0..<problem.taskCount { #expect(a.boxes[Int(a.taskBox[t])].device == Int(devices[t])) }
        let busy = a.boxes.reduce(0.0) { $0 + $1.seconds }, simulated = c.placed!.evaluation.report.deviceBusy.reduce(0, +)
        #expect(abs(busy - simulated) <= 1e-9 * max(1, simulated))   // summed in another order
        // Edges join boxes on different devices; every value moved is counted at least once
        // (once per consumer box, so at least the simulator's once per device).
        for e in a.edges { #expect(a.boxes[e.from].device != a.boxes[e.to].device) }
        #expect(Double(a.edges.reduce(0) { $0 + $1.bytes }) >= c.placed!.evaluation.report.bytesTransferred)
        #expect(a.edges.isEmpty == (c.placed!.evaluation.report.transferCount == 0))
    }

    /// The memory curve replays the simulator's own record of allocations and frees: at each
    /// device its peak is the simulator's peak (the bracket the re-derived curve could only give
    /// is now exact), and the curve never goes below zero.
    @Test(arguments: cases.indices)
    func theMemoryCurveBracketsTheSimulatedPeak(_ k: Int) throws {
        let (file, cluster, placer) = Self.cases[k]
        let c = try placed(file, cluster: cluster, placer: placer)
        let m = try report(c, placer: placer)
        for (d, curve) in m.memory.curves.enumerated() {
            #expect(curve.peak <= m.devices[d].peakMemory, "device \(d)")
            #expect(m.devices[d].peakMemory <= curve.peak, "device \(d)")
            #expect(curve.steps.allSatisfy { $0.bytes >= 0 })
            #expect(curve.steps.map(\.bytes).max()! <= curve.peak)
        }
    }

    /// A plan read back is simulated to the step `compile` stored: the same fusion groups, devices
    /// and orders give the same time and peaks, bit for bit.
    @Test(arguments: cases.indices)
    func aPlanReportsTheStepItStored(_ k: Int) throws {
        let (file, cluster, placer) = Self.cases[k]
        let c = try placed(file, cluster: cluster, placer: placer)
        let plan = try c.plan(placer: placer)
        let path = NSTemporaryDirectory() + "moegc-report-test-\(getpid())-\(k).plan"
        defer { unlink(path) }
        try PlanFile.write(plan, to: path)
        let m = try ReportModel(plan: try PlanFile.read(path), file: path)
        #expect(m.stepSeconds == plan.simulatedStepSeconds)
        #expect(m.devices.map(\.peakMemory) == plan.peakMemory)
        #expect(m.transfers == plan.transfers.count)
        #expect(m.origin.placer == placer)
    }

    @Test func thePageIsSelfContained() throws {
        let c = try placed("tiny-moe.graph", cluster: "cpu2", placer: "expert-parallel")
        let html = Report.html(try report(c, placer: "expert-parallel"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(html.components(separatedBy: "http").count == html.components(separatedBy: "http://www.w3.org/2000/svg").count)
        for id in ["summary", "placement", "timeline", "memory", "transfers"] { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(html.contains("<title>"))
        // The declared areas are the boxes' and the legend's.
        let picture = PlacementPicture(try report(c, placer: "").aggregation, deviceNames: ["cpu0", "cpu1"], palette: DevicePalette(deviceCount: 2))
        #expect(picture.deviceArea.reduce(0, +) >= 2 * 144)
    }
}

/// The pieces: escaping, colours, merging bars, reading a measured trace.
struct ReportPartsTests {
    @Test func textIsEscaped() {
        #expect(SVG.escape("a<b&\"c\"'>") == "a&lt;b&amp;&quot;c&quot;&#39;&gt;")
        #expect(SVG.escape("x\u{1}y") == "x\u{FFFD}y")
        var svg = SVG(width: 10, height: 10)
        svg.rect(x: 0, y: 0, width: 1.25, height: 2, fill: "#000000", title: "%moe.<e>")
        #expect(svg.rendered().contains("<rect x=\"0\" y=\"0\" width=\"1.3\" height=\"2\" fill=\"#000000\"><title>%moe.&lt;e&gt;</title></rect>"))
        #expect(SVG.number(-0.04) == "0")
        #expect(SVG.number(-2.25) == "-2.3")   // ties away from zero
        #expect(SVG.number(12.34) == "12.3")
        #expect(SVG.number(.nan) == "0")
    }

    @Test(arguments: [1, 2, 12, 13, 16, 64, 128, 512])
    func everyDeviceHasItsOwnColour(_ n: Int) {
        let p = DevicePalette(deviceCount: n)
        #expect(p.colors.count == n)
        #expect(Set(p.colors).count == n)
        for c in p.rgb { #expect(max(c.0, c.1, c.2) - min(c.0, c.1, c.2) >= 40, "no greys: \(c)") }
        #expect(p == DevicePalette(deviceCount: n))
    }

    @Test func barsMergeWithinTheBudgetAndKeepBusyTime() {
        let intervals = (0..<10_000).map { i in TimelineChart.Interval(start: Double(i) * 1e-6, end: Double(i) * 1e-6 + 0.6e-6, label: "t\(i)") }
            + [TimelineChart.Interval(start: 0.5, end: 0.6, label: "late")]
        var chart = TimelineChart(title: "t", span: 1)
        chart.add(label: "d", color: "#4e79a7", intervals: intervals, budget: 50)
        let lane = chart.lanes[0]
        #expect(lane.bars.count <= 50)
        #expect(lane.bars.reduce(0) { $0 + $1.count } == intervals.count)
        #expect(abs(lane.bars.reduce(0.0) { $0 + $1.busy } - intervals.reduce(0.0) { $0 + $1.end - $1.start }) < 1e-9)
        // The idle stretch from 10 ms to 0.5 s stays a gap.
        #expect(lane.bars.count >= 2)
        #expect(lane.bars.last!.start == 0.5)
        #expect(abs(lane.busy - (10_000 * 0.6e-6 + 0.1)) < 1e-9)
    }

    @Test func aMeasuredTraceIsRead() throws {
        let text = """
            {"displayTimeUnit":"ms","traceEvents":[
            {"name":"process_name","ph":"M","pid":0,"args":{"name":"cpu0"}},
            {"name":"process_name","ph":"M","pid":2,"args":{"name":"cpu0:out"}},
            {"name":"matmul %a","ph":"X","pid":0,"tid":0,"ts":100,"dur":50},
            {"name":"send","ph":"X","pid":2,"tid":0,"ts":160,"dur":10}
            ]}
            """
        let t = try MeasuredTrace.parse(Array(text.utf8), path: "run.json")
        #expect(t.tracks.map(\.name) == ["cpu0", "cpu0:out"])
        #expect(abs(t.span - 70e-6) < 1e-12)
        #expect(t.tracks[0].intervals[0].start == 0)
    }

    @Test func aBadTraceIsAnErrorNamingTheFile() {
        func message(_ text: String) -> String {
            do { _ = try MeasuredTrace.parse(Array(text.utf8), path: "run.json"); return "" } catch { return error.description }
        }
        #expect(message("{").hasPrefix("run.json: error: not a JSON trace"))
        #expect(message("{\"a\":1}") == "run.json: error: not a Chrome trace: no \"traceEvents\" array (write one with `moegc run PLAN --trace FILE`)")
        #expect(message("{\"traceEvents\":[1]}") == "run.json: error: traceEvents[0] is not an event object with \"ph\"")
        #expect(message("{\"traceEvents\":[{\"ph\":\"X\",\"pid\":0,\"ts\":1}]}") == "run.json: error: traceEvents[0] needs finite \"ts\" and \"dur\" ≥ 0 (microseconds)")
        #expect(message("{\"traceEvents\":[]}") == "run.json: error: the trace holds no complete (\"ph\":\"X\") events")
    }
}

/// `--emit dot`: the placed graph as Graphviz reads it.
struct DotGraphTests {
    @Test func everyNodeOnceClustersByTaskRedEdgesBetweenDevices() throws {
        let c = try placed("tiny-moe.graph", cluster: "cpu2", placer: "expert-parallel")
        let problem = c.placed!.problem, placement = c.placed!.evaluation.placement
        let dot = DotGraph.render(problem: problem, placement: placement)
        let lines = dot.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(dot.hasPrefix("digraph \"tiny_moe\" {\n") && dot.hasSuffix("}\n"))
        let g = problem.graph
        let declared = lines.filter { $0.range(of: #"^n\d+ \["#, options: .regularExpression) != nil }
        #expect(declared.count == g.nodes.count)
        #expect(Set(declared.map { $0.split(separator: " ")[0] }).count == g.nodes.count)
        let multi = (0..<problem.taskCount).filter { problem.tasks.members(of: $0).count > 1 }.count
        #expect(lines.filter { $0.hasPrefix("subgraph cluster_t") }.count == multi)
        let devices = placement.nodeDevices(problem.tasks)
        var crossing = 0, uses = 0
        for (i, n) in g.nodes.enumerated() {
            for v in n.operands {
                uses += 1
                if let p = g[v].producer?.index, devices[p] != devices[i] { crossing += 1 }
            }
        }
        #expect(crossing > 0)
        #expect(lines.filter { $0.contains("-> n") && $0.contains("#d62728") }.count == crossing)
        #expect(lines.filter { $0.contains(" -> n") }.count == uses)
        // Device colours are the report's.
        #expect(dot.contains("fillcolor=\"\(DevicePalette(deviceCount: 2)[1])\""))
        #expect(DotGraph.render(problem: problem, placement: placement) == dot)
    }
}
