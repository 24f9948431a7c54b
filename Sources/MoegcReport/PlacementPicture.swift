import Foundation
import MoegcSupport

/// The placement picture: one row per band of layers, top to bottom in model order, each row the
/// band's boxes side by side (the rest of the layer first, then its experts; by device within
/// each), a box's width its share of the band's simulated busy time; boxes filled with their
/// device's colour, cross-device edges drawn beneath them as grey curves whose width grows with the
/// log of the bytes moved. Every box and edge has a `<title>` (the browser's tooltip).
///
/// Boxes sit on whole pixels and nothing is drawn over them, so `deviceArea` — the pixels of each
/// device's colour the picture holds (boxes and legend swatches) — is what a screenshot shows.
public struct PlacementPicture: Sendable {
    public static let rowHeight = 26
    public static let rowGap = 34
    public static let labelWidth = 170
    public static let minimumRowWidth = 900
    /// At most this many edges are drawn (the heaviest); the caption says how many were left out.
    public static let maxEdges = 400

    public let svg: SVG
    public let attributes: String
    /// Pixels of each device's colour drawn.
    public let deviceArea: [Int]
    public let drawnEdges: Int
    public let omittedEdges: Int

    public init(_ aggregation: LayerAggregation, deviceNames: [String], palette: DevicePalette) {
        let a = aggregation
        let deviceCount = deviceNames.count
        // Row contents and integer widths (largest remainder over 2 px minimum boxes, 2 px gaps).
        var rows = [[Int]](repeating: [], count: a.bands.count)
        for (i, b) in a.boxes.enumerated() { rows[b.band].append(i) }
        for r in rows.indices {
            rows[r].sort { (a.boxes[$0].experts ? 1 : 0, a.boxes[$0].device) < (a.boxes[$1].experts ? 1 : 0, a.boxes[$1].device) }
        }
        // Boxes are at least 2 px wide, 2 px apart; 1 px apart in a crowded row (more than 150 boxes).
        let crowded = (rows.map(\.count).max() ?? 0) > 150
        let gap = crowded ? 1 : 2
        let rowWidth = max(Self.minimumRowWidth, (rows.map(\.count).max() ?? 0) * (2 + gap))
        var x = [Int](repeating: 0, count: a.boxes.count), w = x
        for row in rows where !row.isEmpty {
            let usable = rowWidth - gap * (row.count - 1) - 2 * row.count
            let weight = row.map { max(a.boxes[$0].seconds, 0) }
            let total = weight.reduce(0, +)
            let shares = total > 0 ? weight.map { $0 / total } : row.map { _ in 1 / Double(row.count) }
            var widths = shares.map { Int(($0 * Double(usable)).rounded(.down)) }
            var left = usable - widths.reduce(0, +)
            let order = shares.indices.sorted { (shares[$0] * Double(usable)).truncatingRemainder(dividingBy: 1) > (shares[$1] * Double(usable)).truncatingRemainder(dividingBy: 1) }
            for k in order where left > 0 { widths[k] += 1; left -= 1 }
            var cursor = Self.labelWidth
            for (k, b) in row.enumerated() {
                x[b] = cursor
                w[b] = widths[k] + 2
                cursor += w[b] + gap
            }
        }
        func rowTop(_ band: Int) -> Int { 10 + band * (Self.rowHeight + Self.rowGap) }
        let legendColumns = max(1, min(deviceCount, (rowWidth + Self.labelWidth) / 110))
        let legendRows = (deviceCount + legendColumns - 1) / legendColumns
        let legendTop = rowTop(a.bands.count) + 4
        let height = legendTop + legendRows * 18 + 6
        var svg = SVG(width: Self.labelWidth + rowWidth + 10, height: height)
        var area = [Int](repeating: 0, count: deviceCount)

        // Edges beneath the boxes.
        let edges = a.edges.prefix(Self.maxEdges)
        let maxBytes = Double(edges.first?.bytes ?? 1), minBytes = Double(max(1, edges.last?.bytes ?? 1))
        for e in edges {
            let f = a.boxes[e.from], t = a.boxes[e.to]
            let x1 = Double(x[e.from]) + Double(w[e.from]) / 2, x2 = Double(x[e.to]) + Double(w[e.to]) / 2
            let y1 = Double(rowTop(f.band) + Self.rowHeight)
            let path: String
            if t.band > f.band {
                let y2 = Double(rowTop(t.band)), dy = (y2 - y1) / 2
                path = "M\(SVG.number(x1)) \(SVG.number(y1)) C\(SVG.number(x1)) \(SVG.number(y1 + dy)) \(SVG.number(x2)) \(SVG.number(y2 - dy)) \(SVG.number(x2)) \(SVG.number(y2))"
            } else {
                // Same band or back up: a loop below the source row, into the bottom of the target.
                let y2 = Double(rowTop(t.band) + Self.rowHeight), dip = Double(Self.rowGap) * 0.8
                path = "M\(SVG.number(x1)) \(SVG.number(y1)) C\(SVG.number(x1)) \(SVG.number(y1 + dip)) \(SVG.number(x2)) \(SVG.number(y2 + dip)) \(SVG.number(x2)) \(SVG.number(y2))"
            }
            let span = maxBytes > minBytes ? log(Double(e.bytes) / minBytes) / log(maxBytes / minBytes) : 1
            let title = "\(deviceNames[f.device]) → \(deviceNames[t.device]): \(Quantity.bytes(Double(e.bytes))) in \(e.values) value\(e.values == 1 ? "" : "s")\n\(a.bands[f.band]) → \(a.bands[t.band])"
            svg.path(path, stroke: "#808080", width: 1 + 6 * span, title: title, attributes: "stroke-opacity=\"0.45\"")
        }
        // Labels and boxes.
        for (band, label) in a.bands.enumerated() {
            let short = label.count > 26 ? String(label.prefix(25)) + "…" : label
            svg.text(short, x: Double(Self.labelWidth - 8), y: Double(rowTop(band) + Self.rowHeight / 2 + 4), anchor: "end", title: label)
        }
        for (i, b) in a.boxes.enumerated() {
            let ops = b.ops.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            var title = "\(a.bands[b.band])\(b.experts ? " experts" : "") on \(deviceNames[b.device])"
            if let r = b.expertRange { title += "\nexperts \(r.lowerBound)…\(r.upperBound)" }
            title += "\n\(b.tasks) task\(b.tasks == 1 ? "" : "s"), \(b.nodes) node\(b.nodes == 1 ? "" : "s"): \(ops)"
            title += "\nbusy \(Quantity.seconds(b.seconds)), \(Quantity.count(b.flops)) FLOP, weights \(Quantity.bytes(Double(b.weightBytes)))"
            if !b.samples.isEmpty { title += "\n" + b.samples.joined(separator: "\n") }
            svg.rect(x: Double(x[i]), y: Double(rowTop(b.band)), width: Double(w[i]), height: Double(Self.rowHeight),
                     fill: palette[b.device], title: title, attributes: "class=\"box\"")
            area[b.device] += w[i] * Self.rowHeight
        }
        // Legend: a 12 × 12 swatch and the name of each device.
        for dev in 0..<deviceCount {
            let cx = 10 + (dev % legendColumns) * 110, cy = legendTop + (dev / legendColumns) * 18
            svg.rect(x: Double(cx), y: Double(cy), width: 12, height: 12, fill: palette[dev], title: deviceNames[dev])
            area[dev] += 144
            let name = deviceNames[dev].count > 14 ? String(deviceNames[dev].prefix(13)) + "…" : deviceNames[dev]
            svg.text(name, x: Double(cx + 16), y: Double(cy + 10), size: 10)
        }
        self.svg = svg
        deviceArea = area
        drawnEdges = edges.count
        omittedEdges = a.edges.count - edges.count
        let areaList = area.map(String.init).joined(separator: ",")
        attributes = "id=\"placement-picture\" data-device-area=\"\(areaList)\" data-device-colors=\"\(palette.colors.joined(separator: ","))\""
    }

    public var rendered: String { svg.rendered(attributes: attributes) }
}
