import MoegcSim
import MoegcSupport

/// Bytes in use on each device over the simulated step, against its capacity: the simulator's own
/// record of every allocation and free (`Simulator.recordsMemory`, `MemoryLog`), replayed in the
/// order it made them, so each curve's peak is the report's peak for that device.
public struct MemoryCurves: Sendable {
    public struct Curve: Sendable {
        /// (time, bytes in use from then on), time increasing; at most `points` entries after sampling.
        public var steps: [(time: Double, bytes: Int)]
        public var peak: Int
        public var capacity: Int
    }

    public var curves: [Curve]
    public var span: Double

    public init(log: MemoryLog, cluster: Cluster, span: Double, points: Int = 240) {
        let d = cluster.deviceCount
        var level = (0..<d).map { $0 < log.initial.count ? log.initial[$0] : 0 }
        var peak = level
        var steps = level.map { [(time: 0.0, bytes: $0)] }
        for c in log.changes {
            level[c.device] += c.bytes
            peak[c.device] = max(peak[c.device], level[c.device])
            steps[c.device].append((c.time, level[c.device]))   // changes at one instant draw as a vertical run
        }
        self.span = span
        curves = (0..<d).map { dev in
            Curve(steps: Self.sample(steps[dev], span: span, points: points), peak: peak[dev], capacity: cluster.memoryCapacity(dev))
        }
    }

    /// At most `points` steps: the highest level within each of `points / 2` time bins, then the level
    /// the bin ends on, so peaks survive sampling.
    static func sample(_ steps: [(time: Double, bytes: Int)], span: Double, points: Int) -> [(time: Double, bytes: Int)] {
        guard steps.count > points, span > 0 else { return steps }
        let bins = max(1, points / 2)
        var out: [(time: Double, bytes: Int)] = []
        var i = 0
        var level = steps[0].bytes
        for b in 0..<bins {
            let lo = span * Double(b) / Double(bins), hi = span * Double(b + 1) / Double(bins)
            var high = level
            while i < steps.count && (steps[i].time < hi || b == bins - 1) {
                level = steps[i].bytes
                high = max(high, level)
                i += 1
            }
            out.append((lo, high))
            out.append(((lo + hi) / 2, level))
        }
        return out
    }

    /// One polyline per device, in its colour, in % of its capacity; the capacity as a red line.
    public func svg(deviceNames: [String], palette: DevicePalette) -> SVG {
        let left = 60, width = 1000, plotHeight = 220, top = 12
        let highest = curves.map { Double($0.peak) / Double(max(1, $0.capacity)) }.max() ?? 0
        // The axis reaches past the capacity line when a device comes near it; a step that uses a
        // sliver of the memory gets an axis of its own scale (the capacity line is then off the chart).
        let top100 = highest > 0.5 ? max(1.0, highest * 1.05) : max(highest * 1.25, 1e-9)
        var svg = SVG(width: left + width + 20, height: top + plotHeight + 30)
        func y(_ fraction: Double) -> Double { Double(top) + Double(plotHeight) * (1 - fraction / top100) }
        func x(_ t: Double) -> Double { Double(left) + t / max(span, 1e-12) * Double(width) }
        svg.rect(x: Double(left), y: Double(top), width: Double(width), height: Double(plotHeight), fill: "#fafafa")
        for i in 0...4 {
            let f = top100 * Double(i) / 4
            svg.line(x1: Double(left), y1: y(f), x2: Double(left + width), y2: y(f), stroke: "#e4e4e4")
            svg.text("\(Quantity.fixed(100 * f, top100 >= 0.1 ? 0 : top100 >= 0.001 ? 2 : 4))%", x: Double(left - 6), y: y(f) + 4, anchor: "end", size: 10, fill: "#555")
        }
        if top100 >= 1 {
            svg.line(x1: Double(left), y1: y(1), x2: Double(left + width), y2: y(1), stroke: "#d62728", width: 1.5)
            svg.text("capacity", x: Double(left + width - 4), y: y(1) - 4, anchor: "end", size: 10, fill: "#d62728")
        } else {
            svg.text("capacity (100%) is above the chart: the step uses at most \(Quantity.fixed(100 * highest, highest < 0.01 ? 4 : 2))% of a device",
                     x: Double(left + width - 4), y: Double(top) + 12, anchor: "end", size: 10, fill: "#d62728")
        }
        for (dev, c) in curves.enumerated() {
            var pts: [(Double, Double)] = []
            let cap = Double(max(1, c.capacity))
            for (k, s) in c.steps.enumerated() {
                if k > 0 { pts.append((x(s.time), pts.last!.1)) }
                pts.append((x(s.time), y(Double(s.bytes) / cap)))
            }
            pts.append((x(span), pts.last?.1 ?? y(0)))
            svg.polyline(pts, stroke: palette[dev], width: 1.5,
                         title: "\(deviceNames[dev]): peak \(Quantity.bytes(Double(c.peak))) of \(Quantity.bytes(Double(c.capacity))) (\(Quantity.fixed(100 * Double(c.peak) / cap, 1))%)")
        }
        let ay = Double(top + plotHeight)
        for i in 0...5 {
            let t = span * Double(i) / 5
            svg.text(Quantity.seconds(t), x: x(t), y: ay + 16, anchor: i == 0 ? "start" : i == 5 ? "end" : "middle", size: 10, fill: "#555")
        }
        return svg
    }
}
