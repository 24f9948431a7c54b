import Foundation

/// The summary statistics moegc's reports and benchmarks use: one implementation each.
public enum Statistics {
    /// The median (the mean of the two middle values for an even count; 0 for none).
    /// Coefficient of variation: population standard deviation over mean (0 for an empty or
    /// zero-mean sample).
    public static func coefficientOfVariation(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let m = v.reduce(0, +) / Double(v.count)
        guard m != 0 else { return 0 }
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot() / m
    }

    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The geometric mean of positive values (0 for none).
    public static func geometricMean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : exp(values.map { log($0) }.reduce(0, +) / Double(values.count))
    }

    /// Spearman's rank correlation: Pearson's of the ranks (average ranks for ties).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        pearson(ranks(a), ranks(b))
    }

    /// Ranks 1…n, ties sharing the average of their ranks.
    public static func ranks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var r = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return r
    }

    /// Pearson's correlation coefficient (0 when either side is constant).
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "pearson: \(a.count) and \(b.count) values")
        guard !a.isEmpty else { return 0 }
        let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }
}
