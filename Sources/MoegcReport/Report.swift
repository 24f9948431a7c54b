import MoegcPasses
import MoegcSim
import MoegcSupport

/// The report as one self-contained HTML file: inline CSS and SVG, no script, no network. Sections
/// (each addressable: `report.html#placement` shows that section alone, by CSS `:target`):
///
///     #summary    model, cluster, placer, step time, bounds and ratio, parameters, memory; per device
///     #placement  the placement picture (`PlacementPicture`)
///     #timeline   the simulated timeline, and the measured one when a trace was given
///     #memory     bytes in use over the step per device, against capacity
///     #transfers  the device × device bytes-moved matrix
public enum Report {
    /// The whole page.
    public static func html(_ m: ReportModel) -> String {
        var body = summary(m)
        let picture = PlacementPicture(m.aggregation, deviceNames: m.deviceNames, palette: m.palette)
        let omitted = picture.omittedEdges > 0 ? " The \(picture.omittedEdges) lightest cross-device edges are left out." : ""
        body += section("placement", "Placement",
                        "\(m.aggregation.boxes.count) boxes for \(m.tasks) tasks (\(m.nodes) nodes): one row per layer in model order, a box per device (experts apart), its width the share of the layer's simulated busy time; grey curves are values moving between devices (\(picture.drawnEdges) drawn, width by bytes).\(omitted) Hover a box for its ops, shapes, device and cost.",
                        picture.rendered)
        let sim = m.simulatedChart()
        var timelines = "<h3>Simulated step (\(Quantity.seconds(m.stepSeconds)))</h3>\n" + sim.svg.rendered(attributes: "id=\"timeline-simulated\"")
        if let measured = m.measuredChart() {
            timelines += "\n<h3>Measured step (moegc run --trace, \(Quantity.seconds(measured.span)))</h3>\n"
                + measured.svg.rendered(attributes: "id=\"timeline-measured\"")
        }
        body += section("timeline", "Timelines",
                        "One lane per device: its tasks as bars (nearby tasks merged into one bar, \(sim.barCount) bars in all), gaps are idle time; the thin grey lane beneath holds the transfers arriving at the device.",
                        timelines)
        body += section("memory", "Memory over the step",
                        "Bytes in use on each device (weights, live values), in % of its capacity (red line).",
                        m.memory.svg(deviceNames: m.deviceNames, palette: m.palette).rendered(attributes: "id=\"memory-chart\""))
        body += section("transfers", "Bytes moved between devices",
                        "Row: from, column: to; darker is more (log scale). \(m.transfers) transfers, \(Quantity.bytes(m.bytesTransferred)).",
                        m.matrix.svg(deviceNames: m.deviceNames).rendered(attributes: "id=\"transfer-matrix\""))
        return page(title: "\(m.model) on \(m.cluster) — moegc placement report", body: body)
    }

    static let style = """
        body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:16px;color:#222;background:#fff}
        h1{font-size:19px;margin:0 0 8px}h2{font-size:16px;margin:22px 0 4px}h3{font-size:13px;margin:10px 0 4px}
        p.note{color:#555;margin:2px 0 8px;max-width:1100px}
        table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
        th{font-weight:600;color:#444}td.n{text-align:right;font-variant-numeric:tabular-nums}
        .swatch{display:inline-block;width:10px;height:10px;margin-right:5px;vertical-align:-1px}
        section{margin-bottom:14px}svg{display:block}
        body:has(section:target) section:not(:target){display:none}
        body:has(section:target) h1{display:none}
        """

    static func page(title: String, body: String) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>\(SVG.escape(title))</title>\n"
            + "<style>\n\(style)\n</style>\n</head>\n<body>\n<h1>\(SVG.escape(title))</h1>\n\(body)</body>\n</html>\n"
    }

    static func section(_ id: String, _ heading: String, _ note: String, _ content: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(SVG.escape(heading))</h2>\n<p class=\"note\">\(SVG.escape(note))</p>\n\(content)\n</section>\n"
    }

    static func table(_ rows: [(String, String)]) -> String {
        "<table>\n" + rows.map { "<tr><th>\(SVG.escape($0.0))</th><td>\(SVG.escape($0.1))</td></tr>" }.joined(separator: "\n") + "\n</table>\n"
    }

    /// Parameters as the paper writes them (137577.6M), small counts exactly.
    static func parameters(_ n: Int) -> String {
        n >= 100_000 ? Quantity.millions(Double(n), 1) : "\(n)"
    }

    static func summary(_ m: ReportModel) -> String {
        let s = m.statistics
        let rows: [(String, String)] = [
            ("model", "\(m.model) (\(m.origin.source))"),
            ("mode", "\(m.origin.training ? "training" : "evaluation"), seed \(m.origin.seed)"),
            ("cluster", "\(m.cluster) (\(m.devices.count) devices)"),
            ("placer", m.origin.placer),
            ("graph", "\(m.nodes) nodes in \(m.tasks) fused tasks, \(m.edges) edges"),
            ("simulated step", Quantity.seconds(m.stepSeconds)),
            ("lower bound", "\(Quantity.seconds(m.bestBound.seconds)) (\(m.bestBound.name)); ratio \(Quantity.fixed(m.ratio, 3))"),
            ("bounds", m.bounds.map { "\($0.name) \(Quantity.seconds($0.seconds))" }.joined(separator: ", ")),
            // The lowered graph no longer marks embedding and softmax layers, so only the total is shown.
            ("parameters", "\(parameters(s.parameters)) in all, \(Quantity.bytes(Double(s.weightBytes)))"),
            ("memory", "peak \(Quantity.bytes(Double(m.devices.map(\.peakMemory).max() ?? 0))) on one device; \(Quantity.bytes(Double(m.devices.reduce(0) { $0 + $1.peakMemory }))) of \(Quantity.bytes(Double(m.devices.reduce(0) { $0 + $1.capacity }))) in all"),
            ("transfers", "\(m.transfers), \(Quantity.bytes(m.bytesTransferred))"),
        ]
        var out = table(rows)
        // A long device table (the 137B model's 128 devices) folds away, its summary line showing.
        if m.devices.count > 16 {
            let busiest = m.devices.indices.max { m.devices[$0].utilization < m.devices[$1].utilization }!
            out += "<details><summary>\(m.devices.count) devices; busiest \(SVG.escape(m.devices[busiest].name)) at "
                + "\(Quantity.fixed(100 * m.devices[busiest].utilization, 1))% — each device's tasks, busy time and memory</summary>\n"
        }
        out += "<table>\n<tr><th>device</th><th>tasks</th><th>busy</th><th>util</th><th>peak memory</th><th>capacity</th></tr>\n"
        for (d, dev) in m.devices.enumerated() {
            out += "<tr><td><span class=\"swatch\" style=\"background:\(m.palette[d])\"></span>\(SVG.escape(dev.name))</td>"
                + "<td class=\"n\">\(dev.tasks)</td><td class=\"n\">\(Quantity.seconds(dev.busy))</td>"
                + "<td class=\"n\">\(Quantity.fixed(100 * dev.utilization, 1))%</td><td class=\"n\">\(Quantity.bytes(Double(dev.peakMemory)))</td>"
                + "<td class=\"n\">\(Quantity.bytes(Double(dev.capacity)))</td></tr>\n"
        }
        out += "</table>\n"
        if m.devices.count > 16 { out += "</details>\n" }
        return "<section id=\"summary\">\n<h2>Summary</h2>\n\(out)</section>\n"
    }
}
