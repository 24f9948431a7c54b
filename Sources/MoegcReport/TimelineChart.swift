import MoegcSupport

/// A timeline: one lane per device (and one beneath it for the transfers arriving there), bars
/// where the device is busy, gaps where it idles.
///
/// A step of the 137B model runs 396k tasks; bars closer than `mergeGap` (¾ of a pixel at first)
/// merge into one bar that says how many tasks it holds and how busy they kept the device, and the
/// gap doubles until each lane holds at most `budget` bars, so the file stays small while any idle
/// time wider than the gap stays visible.
public struct TimelineChart: Sendable {
    public struct Interval: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var label: String
        public init(start: Double, end: Double, label: String) {
            self.start = start
            self.end = end
            self.label = label
        }
    }

    public struct Bar: Sendable, Equatable {
        public var start: Double
        public var end: Double
        /// Intervals merged into the bar.
        public var count: Int
        /// Their summed length (≤ end − start: the idle gaps inside are not busy).
        public var busy: Double
        /// The label of the first interval.
        public var label: String
    }

    public struct Lane: Sendable {
        public var label: String
        /// The colour of the bars (`#rrggbb`).
        public var color: String
        /// Thin lanes are transfers.
        public var thin: Bool
        public var bars: [Bar]
        /// Intervals before merging.
        public var intervals: Int
        public var busy: Double
    }

    public static let width = 1000
    public static let labelWidth = 130

    public var title: String
    /// The time the axis spans (seconds): the step.
    public var span: Double
    public var lanes: [Lane] = []

    public init(title: String, span: Double) {
        self.title = title
        self.span = span > 0 ? span : 1e-9
    }

    /// Adds a lane of `intervals` (any order, may overlap), merged to at most `budget` bars.
    public mutating func add(label: String, color: String, thin: Bool = false, intervals: [Interval], budget: Int) {
        let sorted = intervals.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        var gap = span / Double(Self.width) * 0.75
        var bars = Self.merge(sorted, gap: gap)
        while bars.count > max(1, budget) {
            gap *= 2
            bars = Self.merge(sorted, gap: gap)
        }
        lanes.append(Lane(label: label, color: color, thin: thin, bars: bars, intervals: intervals.count,
                          busy: Self.union(sorted)))
    }

    /// Merges sorted intervals separated by at most `gap`.
    static func merge(_ sorted: [Interval], gap: Double) -> [Bar] {
        var bars: [Bar] = []
        for i in sorted {
            if var last = bars.last, i.start - last.end <= gap {
                last.end = max(last.end, i.end)
                last.count += 1
                last.busy += i.end - i.start
                bars[bars.count - 1] = last
            } else {
                bars.append(Bar(start: i.start, end: i.end, count: 1, busy: i.end - i.start, label: i.label))
            }
        }
        return bars
    }

    /// Length of the union of sorted intervals.
    static func union(_ sorted: [Interval]) -> Double {
        var total = 0.0, s = -Double.infinity, e = -Double.infinity
        for i in sorted {
            if i.start > e {
                if e > s { total += e - s }
                s = i.start
                e = i.end
            } else { e = max(e, i.end) }
        }
        if e > s { total += e - s }
        return total
    }

    public var barCount: Int { lanes.reduce(0) { $0 + $1.bars.count } }

    public var svg: SVG {
        let top = 8, axis = 22
        var y = top
        var laneY: [Int] = []
        for lane in lanes {
            laneY.append(y)
            y += lane.thin ? 8 : 16
            if lane.thin { y += 6 }
        }
        let height = y + axis
        var svg = SVG(width: Self.labelWidth + Self.width + 20, height: height)
        let scale = Double(Self.width) / span
        for (k, lane) in lanes.enumerated() {
            let ly = Double(laneY[k]), h = lane.thin ? 6.0 : 14.0
            svg.rect(x: Double(Self.labelWidth), y: ly, width: Double(Self.width), height: h, fill: "#f3f3f3")
            if !lane.thin {
                let idle = span - lane.busy
                svg.text(lane.label, x: Double(Self.labelWidth - 6), y: ly + 11, anchor: "end", size: 10,
                         title: "\(lane.label): \(lane.intervals) tasks, busy \(Quantity.seconds(lane.busy)) (\(Quantity.fixed(100 * lane.busy / span, 1))%), idle \(Quantity.seconds(max(0, idle)))")
            }
            for b in lane.bars {
                let x = Double(Self.labelWidth) + b.start * scale
                let w = max(0.5, (b.end - b.start) * scale)
                let title = b.count == 1
                    ? "\(b.label)\n\(Quantity.seconds(b.start)) – \(Quantity.seconds(b.end)) (\(Quantity.seconds(b.end - b.start)))"
                    : "\(b.count) \(lane.thin ? "transfers" : "tasks") from \(b.label)\n\(Quantity.seconds(b.start)) – \(Quantity.seconds(b.end)), busy \(Quantity.seconds(b.busy)) of \(Quantity.seconds(b.end - b.start))"
                svg.rect(x: x, y: ly, width: w, height: h, fill: lane.color, title: title)
            }
        }
        // Time axis: 5 ticks.
        let ay = Double(height - axis + 4)
        svg.line(x1: Double(Self.labelWidth), y1: ay, x2: Double(Self.labelWidth + Self.width), y2: ay, stroke: "#999")
        for i in 0...5 {
            let t = span * Double(i) / 5, x = Double(Self.labelWidth) + t * scale
            svg.line(x1: x, y1: ay, x2: x, y2: ay + 4, stroke: "#999")
            svg.text(Quantity.seconds(t), x: x, y: ay + 15, anchor: i == 0 ? "start" : i == 5 ? "end" : "middle", size: 10, fill: "#555")
        }
        return svg
    }
}
