/// An independent reference for the MoE layer, in Double, written from the paper's formulas with
/// dense loops over every expert: y = Σᵢ G(x)ᵢ·Eᵢ(x), G = Softmax(KeepTopK(H(x), k)),
/// H(x)ᵢ = (x·W_g)ᵢ + ε·(Softplus((x·W_noise)ᵢ) + 0.01), Eᵢ(x) = ReLU(x·W_inᵢ)·W_outᵢ.
/// It shares no code with the lowering or the kernels.
struct NaiveMoE {
    var d: Int, n: Int, k: Int, hidden: Int
    var wGate: [Float], wNoise: [Float], wIn: [[Float]], wOut: [[Float]]

    func logits(_ x: [Double], _ w: [Float], cols: Int) -> [Double] {
        (0..<cols).map { j in (0..<d).reduce(0.0) { $0 + x[$1] * Double(w[$1 * cols + j]) } }
    }

    func expert(_ e: Int, _ x: [Double]) -> [Double] {
        let h = (0..<hidden).map { j in max(0, (0..<d).reduce(0.0) { $0 + x[$1] * Double(wIn[e][$1 * hidden + j]) }) }
        return (0..<d).map { c in (0..<hidden).reduce(0.0) { $0 + h[$1] * Double(wOut[e][$1 * d + c]) } }
    }

    static func softplus(_ z: Double) -> Double { z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)) }

    /// The noisy logits H(x) given the standard normal draws ε (nil: no noise, evaluation mode).
    func noisy(_ x: [Double], eps: [Double]?) -> (clean: [Double], h: [Double], std: [Double]) {
        let clean = logits(x, wGate, cols: n)
        guard let eps else { return (clean, clean, Array(repeating: 0, count: n)) }
        let std = logits(x, wNoise, cols: n).map { NaiveMoE.softplus($0) + 0.01 }
        return (clean, (0..<n).map { clean[$0] + eps[$0] * std[$0] }, std)
    }

    /// Top `count` indices by value, ties to the lower index.
    static func top(_ v: [Double], _ count: Int) -> [Int] {
        Array(v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }.prefix(count))
    }

    /// Gates over the kept k: softmax of their logits.
    func gates(_ h: [Double]) -> [(expert: Int, gate: Double)] {
        let kept = NaiveMoE.top(h, k)
        let m = kept.map { h[$0] }.max()!
        let e = kept.map { exp(h[$0] - m) }, s = e.reduce(0, +)
        return zip(kept, e).map { ($0, $1 / s) }
    }

    /// Which (row, choice) assignments an expert capacity accepts: choices in order, then rows.
    static func accepted(_ choices: [[(expert: Int, gate: Double)]], experts: Int, capacity: Int) -> [[Bool]] {
        var counts = [Int](repeating: 0, count: experts)
        var ok = choices.map { Array(repeating: false, count: $0.count) }
        let k = choices.first?.count ?? 0
        for j in 0..<k {
            for r in choices.indices where capacity == 0 || counts[choices[r][j].expert] < capacity {
                counts[choices[r][j].expert] += 1
                ok[r][j] = true
            }
        }
        return ok
    }

    static func cvSquared(_ v: [Double]) -> Double {
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
        return variance / (mean * mean + 1e-10)
    }

    /// Φ, through erf.
    static func phi(_ z: Double) -> Double { 0.5 * (1 + erf(z / 2.0.squareRoot())) }

    /// The paper's smooth load: Σₓ Φ((clean − kth_excluding(H, k, i)) / std).
    func load(_ rows: [(clean: [Double], h: [Double], std: [Double])]) -> [Double] {
        var load = [Double](repeating: 0, count: n)
        for r in rows {
            for i in 0..<n {
                let others = r.h.indices.filter { $0 != i }.map { r.h[$0] }.sorted(by: >)
                load[i] += NaiveMoE.phi((r.clean[i] - others[k - 1]) / r.std[i])
            }
        }
        return load
    }
}

#if canImport(Glibc)
import Glibc
#endif
