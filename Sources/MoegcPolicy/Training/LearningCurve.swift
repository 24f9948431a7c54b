import Foundation

/// The learning curve of a training run as CSV (one row per iteration) and as standalone SVG plots
/// of step time relative to the reference heuristic.
public enum LearningCurve {
    /// Header and one row per record; step times also as ratios to the record's own problem
    /// reference (or `reference` for records that carry none).
    public static func csv(_ history: [IterationRecord], reference: Double) -> String {
        var out = "iteration,samples,mean_reward,best_reward,mean_step,best_step,mean_step_ratio,best_step_ratio,"
            + "entropy,approx_kl,clip_fraction,explained_variance,value_loss,gradient_norm,oom_fraction,problem\n"
        for r in history {
            let base = r.referenceStep > 0 ? r.referenceStep : reference
            let fields: [String] = [
                "\(r.iteration)", "\(r.samples)", g(r.meanReward), g(r.bestReward), g(r.meanStep), g(r.bestStep),
                g(base > 0 ? r.meanStep / base : 0), g(base > 0 ? r.bestStep / base : 0), g(r.entropy), g(r.approxKL),
                g(r.clipFraction), g(r.explainedVariance), g(r.valueLoss), g(r.gradientNorm), g(r.outOfMemoryFraction),
                "\(r.problem)",
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// One curve of a plot: points (x, ratio), a name and a colour; `firm` curves set the y range in
    /// full, the others are clipped at 1.5× its top.
    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var firm: Bool

        public init(name: String, color: String, points: [(x: Double, y: Double)], firm: Bool) {
            self.name = name
            self.color = color
            self.points = points
            self.firm = firm
        }
    }

    /// A 640×360 SVG of one graph's run: mean sampled and best-so-far step time over the iterations,
    /// as ratios to the reference, with horizontal lines for each named level (heuristics, lower
    /// bound). The mean curve is clipped at 1.5× the top of the others.
    public static func svg(_ history: [IterationRecord], reference: Double, levels: [(name: String, step: Double)],
                           title: String) -> String {
        let mean = history.filter { $0.meanStep > 0 }.map { (x: Double($0.iteration), y: $0.meanStep / reference) }
        let best = history.filter { $0.bestStep > 0 }.map { (x: Double($0.iteration), y: $0.bestStep / reference) }
        return plot([Series(name: "mean sampled", color: "#1f77b4", points: mean, firm: false),
                     Series(name: "best so far", color: "#ff7f0e", points: best, firm: true)],
                    levels: levels.map { ($0.name, $0.step / reference) }, title: title, xLabel: "iteration")
    }

    /// A run over many problems: each iteration's mean sampled step and its problem's best so far,
    /// both over that problem's reference, as geometric means over the last `window` iterations
    /// (one round of the problems), against the reference (1).
    public static func svgOverProblems(_ history: [IterationRecord], window: Int, title: String) -> String {
        func rolling(_ values: [(Double, Double)]) -> [(x: Double, y: Double)] {
            var out: [(x: Double, y: Double)] = []
            var logs: [Double] = []
            var sum = 0.0
            for (x, y) in values {
                logs.append(log(y))
                sum += logs.last!
                if logs.count > window { sum -= logs[logs.count - window - 1] }
                let n = min(logs.count, window)
                if logs.count >= min(window, values.count) { out.append((x, exp(sum / Double(n)))) }
            }
            return out
        }
        let mean = rolling(history.filter { $0.meanRatio > 0 }.map { (Double($0.iteration), $0.meanRatio) })
        let best = rolling(history.filter { $0.bestRatio > 0 }.map { (Double($0.iteration), $0.bestRatio) })
        return plot([Series(name: "mean sampled", color: "#1f77b4", points: mean, firm: false),
                     Series(name: "best so far", color: "#ff7f0e", points: best, firm: true)],
                    levels: [("best heuristic", 1)], title: title, xLabel: "iteration (geometric means over \(window))")
    }

    /// A 640×360 SVG of `series` (ratios) with dashed horizontal `levels` (ratios) and a legend.
    public static func plot(_ series: [Series], levels: [(name: String, ratio: Double)], title: String, xLabel: String,
                            yLabel: String = "step / reference") -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 150.0, top = 30.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        // The range shows the firm curves and the levels in full; the others are cut at 1.5× the
        // top of those (early samples on many devices can be many times slower and would squash it).
        let firm = series.filter(\.firm).flatMap { $0.points.map(\.y) } + levels.map(\.ratio) + [1]
        let top15 = 1.5 * (firm.max() ?? 1)
        let ratios = firm + series.filter { !$0.firm }.flatMap { $0.points.map { min($0.y, top15) } }
        var lo = (ratios.min() ?? 0.5), hi = (ratios.max() ?? 1.5)
        if hi - lo < 1e-6 { lo -= 0.05; hi += 0.05 }
        let pad = (hi - lo) * 0.05
        lo -= pad; hi += pad
        let maxX = max(series.flatMap { $0.points.map(\.x) }.max() ?? 1, 1)
        func x(_ i: Double) -> Double { left + plotW * i / maxX }
        func y(_ r: Double) -> Double { top + plotH * (1 - (min(max(r, lo), hi) - lo) / (hi - lo)) }
        func polyline(_ points: [(x: Double, y: Double)], _ color: String) -> String {
            guard !points.isEmpty else { return "" }
            let p = points.map { "\(f(x($0.x))),\(f(y($0.y)))" }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(p)\"/>\n"
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(left))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        for k in 0...4 {
            let r = lo + (hi - lo) * Double(k) / 4
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(r) + 4))\" text-anchor=\"end\">\(String(format: "%.3f", r))</text>\n"
            let i = maxX * Double(k) / 4
            s += "<text x=\"\(f(x(i)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(Int(i.rounded()))</text>\n"
        }
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(14,\(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        let palette = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        var legend = series.map { ($0.name, $0.color) }
        for (i, level) in levels.enumerated() {
            let color = palette[i % palette.count]
            let ly = y(level.ratio)
            s += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-dasharray=\"4 3\"/>\n"
            legend.append((level.name, color))
        }
        for curve in series { s += polyline(curve.points, curve.color) }
        for (i, (name, color)) in legend.enumerated() {
            let ly = top + 14 * Double(i) + 6
            s += "<line x1=\"\(f(left + plotW + 10))\" x2=\"\(f(left + plotW + 28))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(f(left + plotW + 32))\" y=\"\(f(ly + 4))\">\(escape(name))</text>\n"
        }
        return s + "</svg>\n"
    }

    private static func g(_ x: Double) -> String { String(format: "%.6g", x) }
    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
