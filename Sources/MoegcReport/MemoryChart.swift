import MoegcSim
import MoegcSupport

/// Bytes in use on each device over the simulated step, against its capacity, derived from the
/// step's timeline by the simulator's memory model (`Simulator`'s doc comment):
///
///     t = 0              weights of the device's tasks, a copy of each graph input it reads
///     task start         + its outputs (on its device)
///     transfer start     + the value (on the destination)
///     last local reader  − a copy: on the destination when its readers there are done; on the
///       ends                producer's device when its readers there and its outgoing transfers are
///                          done; graph outputs stay on the producer's device
///
/// The simulator orders events of the same instant by their push order; the curve is built
/// with the frees of an instant before its allocations (`peak`), and `upperPeak` with them after,
/// so the simulator's peak lies between the two (a test holds it there).
public struct MemoryCurves: Sendable {
    public struct Curve: Sendable {
        /// (time, bytes in use from then on), time increasing; at most `points` entries after sampling.
        public var steps: [(time: Double, bytes: Int)]
        public var peak: Int
        /// The peak with allocations of an instant before its frees.
        public var upperPeak: Int
        public var capacity: Int
    }

    public var curves: [Curve]
    public var span: Double

    public init(cost: CostGraph, timeline: Timeline, cluster: Cluster, span: Double, points: Int = 240) {
        let d = cluster.deviceCount, taskCount = cost.taskCount
        var events = [[(time: Double, delta: Int)]](repeating: [], count: d)
        var base = [Int](repeating: 0, count: d)
        for t in 0..<taskCount { base[timeline.placement[t]] += cost.residentBytes[t] }
        for i in cost.graphInputBytes.indices {
            var holds = Set<Int>()
            for r in Int(cost.graphInputReaderStart[i])..<Int(cost.graphInputReaderStart[i + 1]) {
                holds.insert(timeline.placement[Int(cost.graphInputReaders[r])])
            }
            for dev in holds { base[dev] += cost.graphInputBytes[i] }
        }
        // The end of each value's transfers, by value, for the producer's copy.
        var transfersOf = [Int: [Int]]()
        for (k, x) in timeline.transfers.enumerated() { transfersOf[x.value, default: []].append(k) }
        for v in 0..<cost.valueCount {
            let p = Int(cost.valueProducer[v])
            guard p >= 0 && p < taskCount else { continue }
            let pd = timeline.placement[p], bytes = cost.valueBytes[v]
            guard bytes > 0 else { continue }
            var homeFree = timeline.taskEnd[p]
            var lastOn = [Int: Double]()
            for e in Int(cost.consumerStart[v])..<Int(cost.consumerStart[v + 1]) {
                let c = Int(cost.consumers[e]), cd = timeline.placement[c]
                lastOn[cd] = max(lastOn[cd] ?? 0, timeline.taskEnd[c])
            }
            if let local = lastOn[pd] { homeFree = max(homeFree, local) }
            for k in transfersOf[v] ?? [] {
                let x = timeline.transfers[k]
                homeFree = max(homeFree, x.end)
                events[x.destination].append((x.start, bytes))
                events[x.destination].append((lastOn[x.destination] ?? x.end, -bytes))
            }
            events[pd].append((timeline.taskStart[p], bytes))
            if !cost.valueIsOutput[v] { events[pd].append((homeFree, -bytes)) }
        }
        self.span = span
        curves = (0..<d).map { dev in
            let lower = events[dev].sorted { ($0.time, $0.delta) < ($1.time, $1.delta) }
            var level = base[dev], peak = level
            var steps: [(time: Double, bytes: Int)] = [(0, level)]
            for e in lower {
                level += e.delta
                peak = max(peak, level)
                if let last = steps.last, last.time == e.time { steps[steps.count - 1].bytes = level } else { steps.append((e.time, level)) }
            }
            var upper = base[dev], upperPeak = upper
            for e in events[dev].sorted(by: { ($0.time, -$0.delta) < ($1.time, -$1.delta) }) {
                upper += e.delta
                upperPeak = max(upperPeak, upper)
            }
            return Curve(steps: Self.sample(steps, span: span, points: points), peak: peak, upperPeak: upperPeak,
                         capacity: cluster.memoryCapacity(dev))
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
