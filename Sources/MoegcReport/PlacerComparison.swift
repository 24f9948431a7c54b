import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// Every placer of a `place --compare` side by side as one HTML page: a table (step time, ratio to
/// the best lower bound, highest peak memory, bytes moved), the step times as bars, each placer's
/// per-device utilisation as a row of cells (darker is busier), and the fastest placement's
/// picture and timeline. Wall times are left out, so the page is the same on every run.
public enum PlacerComparison {
    public struct Row: Sendable {
        public var label: String
        public var outcome: Result<PlacedProblem, PlacementError>
        public init(label: String, outcome: Result<PlacedProblem, PlacementError>) {
            self.label = label
            self.outcome = outcome
        }
    }

    public static func html(problem: PlacementProblem, rows: [Row], source: String, training: Bool, seed: UInt64) throws(ReportError) -> String {
        let b = problem.bounds, cluster = problem.cluster
        let names = cluster.devices.map(\.name)
        let placed = rows.compactMap { row -> (String, PlacedProblem)? in (try? row.outcome.get()).map { (row.label, $0) } }
        var body = "<section id=\"summary\">\n<h2>Placers compared</h2>\n<p class=\"note\">"
            + SVG.escape("\(problem.graph.name) (\(source)) on \(cluster.name), \(cluster.deviceCount) devices: \(problem.graph.nodes.count) nodes, \(problem.taskCount) fused tasks; lower bound \(Quantity.seconds(b.best.seconds)) (\(b.best.name)).")
            + "</p>\n<table>\n<tr><th>placer</th><th>step time</th><th>÷ bound</th><th>peak memory</th><th>moved</th></tr>\n"
        for row in rows {
            switch row.outcome {
            case .success(let p):
                let r = p.evaluation.report
                body += "<tr><td>\(SVG.escape(row.label))</td><td class=\"n\">\(Quantity.seconds(r.makespan))</td>"
                    + "<td class=\"n\">\(Quantity.fixed(p.evaluation.ratio, 2))</td><td class=\"n\">\(Quantity.bytes(Double(r.peakMemory.max() ?? 0)))</td>"
                    + "<td class=\"n\">\(Quantity.bytes(r.bytesTransferred))</td></tr>\n"
            case .failure(let error):
                body += "<tr><td>\(SVG.escape(row.label))</td><td colspan=\"4\">\(SVG.escape(error.description))</td></tr>\n"
            }
        }
        body += "</table>\n</section>\n"

        // Step times as bars, the best bound as a line; per-device utilisation as cells.
        let longest = placed.map { $0.1.evaluation.report.makespan }.max() ?? 1
        let label = 190, barWidth = 700, cell = max(4, min(24, 800 / max(1, cluster.deviceCount)))
        var bars = SVG(width: label + barWidth + 110, height: 8 + placed.count * 20 + 8)
        for (k, (name, p)) in placed.enumerated() {
            let y = Double(8 + k * 20), w = Double(barWidth) * p.evaluation.report.makespan / longest
            bars.text(name, x: Double(label - 6), y: y + 12, anchor: "end")
            bars.rect(x: Double(label), y: y, width: max(1, w), height: 14, fill: "#4e79a7",
                      title: "\(name): \(Quantity.seconds(p.evaluation.report.makespan)), \(Quantity.fixed(p.evaluation.ratio, 2)) × the bound")
            bars.text(Quantity.seconds(p.evaluation.report.makespan), x: Double(label) + w + 4, y: y + 12, size: 10, fill: "#555")
        }
        let bx = Double(label) + Double(barWidth) * b.best.seconds / longest
        bars.line(x1: bx, y1: 4, x2: bx, y2: Double(bars.height - 4), stroke: "#d62728", width: 1.5,
                  attributes: "stroke-dasharray=\"4 3\"")
        var util = SVG(width: label + cluster.deviceCount * cell + 20, height: 8 + placed.count * (cell + 2) + 8)
        for (k, (name, p)) in placed.enumerated() {
            let y = Double(8 + k * (cell + 2)), u = p.evaluation.report.utilization
            util.text(name, x: Double(label - 6), y: y + Double(cell) / 2 + 4, anchor: "end")
            for d in 0..<cluster.deviceCount {
                let f = min(1, max(0, u[d]))
                let c = (Int(255 - f * (255 - 0x08)), Int(255 - f * (255 - 0x30)), Int(255 - f * (255 - 0x6b)))
                util.rect(x: Double(label + d * cell), y: y, width: Double(cell - 1), height: Double(cell), fill: DevicePalette.hex(c),
                          title: "\(name) on \(names[d]): \(Quantity.fixed(100 * u[d], 1))% busy (\(Quantity.seconds(p.evaluation.report.deviceBusy[d])))")
            }
        }
        body += Report.section("steps", "Step time", "Simulated step of each placer; the dashed red line is the best lower bound.",
                               bars.rendered(attributes: "id=\"compare-steps\""))
        body += Report.section("utilisation", "Per-device utilisation",
                               "One row per placer, one cell per device (\(names.first ?? "") … \(names.last ?? "")), darker is busier; hover for the figure.",
                               util.rendered(attributes: "id=\"compare-utilisation\""))
        if let (name, best) = placed.min(by: { $0.1.evaluation.report.makespan < $1.1.evaluation.report.makespan }) {
            let m = try ReportModel(problem: best.problem, placement: best.evaluation.placement,
                                    origin: .init(source: source, placer: name, training: training, seed: seed))
            let picture = PlacementPicture(m.aggregation, deviceNames: m.deviceNames, palette: m.palette)
            body += Report.section("placement", "The fastest placement: \(name)",
                                   "As `moegc compile --placer \(name) --report` draws it: one row per layer, a box per device (experts apart), width by busy time; grey curves are values moving between devices.",
                                   picture.rendered)
            body += Report.section("timeline", "Its timeline", "One lane per device; the thin grey lane beneath holds the transfers arriving there.",
                                   m.simulatedChart().svg.rendered(attributes: "id=\"timeline-simulated\""))
        }
        return Report.page(title: "\(problem.graph.name) on \(cluster.name) — moegc placers compared", body: body)
    }
}
