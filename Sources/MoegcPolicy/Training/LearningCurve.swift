import Foundation

/// The learning curve of a training run as CSV (one row per iteration) and as a standalone SVG
/// plot of step time relative to the reference heuristic.
public enum LearningCurve {
    /// Header and one row per record; step times also as ratios to `reference`.
    public static func csv(_ history: [IterationRecord], reference: Double) -> String {
        var out = "iteration,samples,mean_reward,best_reward,mean_step,best_step,mean_step_ratio,best_step_ratio,"
            + "entropy,approx_kl,clip_fraction,explained_variance,value_loss,gradient_norm,oom_fraction\n"
        for r in history {
            let fields: [String] = [
                "\(r.iteration)", "\(r.samples)", g(r.meanReward), g(r.bestReward), g(r.meanStep), g(r.bestStep),
                g(r.meanStep / reference), g(r.bestStep / reference), g(r.entropy), g(r.approxKL), g(r.clipFraction),
                g(r.explainedVariance), g(r.valueLoss), g(r.gradientNorm), g(r.outOfMemoryFraction),
            ]
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }

    /// A 640×360 SVG: mean sampled and best-so-far step time over the iterations, as ratios to the
    /// reference, with horizontal lines for each named level (heuristics, lower bound). The mean
    /// curve is clipped at 1.5× the top of the others.
    public static func svg(_ history: [IterationRecord], reference: Double, levels: [(name: String, step: Double)],
                           title: String) -> String {
        let width = 640.0, height = 360.0, left = 60.0, right = 150.0, top = 30.0, bottom = 40.0
        let plotW = width - left - right, plotH = height - top - bottom
        let mean = history.filter { $0.meanStep > 0 }.map { (Double($0.iteration), $0.meanStep / reference) }
        let best = history.filter { $0.bestStep > 0 }.map { (Double($0.iteration), $0.bestStep / reference) }
        // The range shows the best curve and the levels in full; the mean curve is cut at 1.5× the
        // top of those (early samples on many devices can be many times slower and would squash it).
        let firm = best.map(\.1) + levels.map { $0.step / reference } + [1]
        let ratios = firm + mean.map { min($0.1, 1.5 * (firm.max() ?? 1)) }
        var lo = (ratios.min() ?? 0.5), hi = (ratios.max() ?? 1.5)
        if hi - lo < 1e-6 { lo -= 0.05; hi += 0.05 }
        let pad = (hi - lo) * 0.05
        lo -= pad; hi += pad
        let maxIteration = Double(max(history.last?.iteration ?? 1, 1))
        func x(_ i: Double) -> Double { left + plotW * i / maxIteration }
        func y(_ r: Double) -> Double { top + plotH * (1 - (min(max(r, lo), hi) - lo) / (hi - lo)) }
        func polyline(_ points: [(Double, Double)], _ color: String) -> String {
            guard !points.isEmpty else { return "" }
            let p = points.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ")
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(p)\"/>\n"
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(left))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        for k in 0...4 {
            let r = lo + (hi - lo) * Double(k) / 4
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(r) + 4))\" text-anchor=\"end\">\(String(format: "%.3f", r))</text>\n"
            let i = maxIteration * Double(k) / 4
            s += "<text x=\"\(f(x(i)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(Int(i))</text>\n"
        }
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">iteration</text>\n"
        s += "<text transform=\"translate(14,\(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">step / reference</text>\n"
        let palette = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        var legend: [(String, String)] = [("mean sampled", "#1f77b4"), ("best so far", "#ff7f0e")]
        for (i, level) in levels.enumerated() {
            let color = palette[i % palette.count]
            let ly = y(level.step / reference)
            s += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(ly))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-dasharray=\"4 3\"/>\n"
            legend.append((level.name, color))
        }
        s += polyline(mean, "#1f77b4") + polyline(best, "#ff7f0e")
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
