import MoegcIR
import MoegcRuntime
import Testing

/// The lowered MoE, run by the reference interpreter, equals the paper's dense per-token formula
/// computed independently in Double (NaiveMoE): outputs to ≤1e−5 relative to the output's scale,
/// gates exactly k per token summing to 1, losses to ≤1e−5 relative.
struct MoEEquivalenceTests {
    struct Flat: Sendable, CustomTestStringConvertible {
        var n: Int, k: Int, capacity: Double, training: Bool
        var testDescription: String { "n=\(n) k=\(k) capacity=\(capacity) \(training ? "train" : "eval")" }
    }

    static let flat: [Flat] = [
        Flat(n: 4, k: 4, capacity: 0, training: true),     // MoE-4-shaped: every expert used
        Flat(n: 32, k: 4, capacity: 0, training: true),    // MoE-32-shaped
        Flat(n: 32, k: 4, capacity: 0, training: false),
        Flat(n: 32, k: 4, capacity: 1.0, training: true),  // capacity: some rows dropped
        Flat(n: 8, k: 2, capacity: 0.5, training: false),
    ]

    static let (rows, d, hidden) = (24, 8, 16)

    static func weights(prefix: String, d: Int, n: Int, hidden: Int, experts: Int, seed: UInt64) -> [String: HostTensor] {
        var w: [String: HostTensor] = [
            "\(prefix).w_gate": HostTensor([d, n], floats: randomFloats(d * n, std: 0.8, seed: seed)),
            "\(prefix).w_noise": HostTensor([d, n], floats: randomFloats(d * n, std: 0.5, seed: seed + 1)),
        ]
        for e in 0..<experts {
            w["\(prefix).expert\(e).w_in"] = HostTensor([d, hidden], floats: randomFloats(d * hidden, std: 0.4, seed: seed + 10 + UInt64(e)))
            w["\(prefix).expert\(e).w_out"] = HostTensor([hidden, d], floats: randomFloats(hidden * d, std: 0.3, seed: seed + 5000 + UInt64(e)))
        }
        return w
    }

    @Test(arguments: flat)
    func flatMoEMatchesTheDenseFormula(_ c: Flat) throws {
        let (rows, d, hidden) = MoEEquivalenceTests.rows == 24 ? (24, 8, 16) : (0, 0, 0)
        let g = try lowered("""
        graph g [t = \(rows)] (%x: f32[t, \(d)]) -> (%y, %li, %ll) {
          %y, %li, %ll = moe(%x) {experts = \(c.n), k = \(c.k), hidden = \(hidden), w_importance = 0.1, w_load = 0.1, capacity_factor = \(c.capacity)}
        }
        """, training: c.training)
        var weights = MoEEquivalenceTests.weights(prefix: "y", d: d, n: c.n, hidden: hidden, experts: c.n, seed: 11)
        if !c.training { weights["y.w_noise"] = nil }
        let interp = try ReferenceInterpreter(graph: g, seed: 3, weights: weights)
        let x = randomFloats(rows * d, seed: 99)
        let noise = g.value(named: "y.gate.noise"), gates = g.value(named: "y.gate.gates")!, experts = g.value(named: "y.gate.experts")!
        let run = try interp.run([HostTensor([rows, d], floats: x)], keep: Set([gates, experts] + (noise.map { [$0] } ?? [])))
        #expect((noise != nil) == c.training, "noise only in training")

        let naive = NaiveMoE(d: d, n: c.n, k: c.k, hidden: hidden, wGate: weights["y.w_gate"]!.floats,
                             wNoise: weights["y.w_noise"]?.floats ?? [], wIn: (0..<c.n).map { weights["y.expert\($0).w_in"]!.floats },
                             wOut: (0..<c.n).map { weights["y.expert\($0).w_out"]!.floats })
        let eps = noise.map { run.kept[$0]!.floats }
        var rowsInfo: [(clean: [Double], h: [Double], std: [Double])] = []
        var choices: [[(expert: Int, gate: Double)]] = []
        for r in 0..<rows {
            let xr = (0..<d).map { Double(x[r * d + $0]) }
            let info = naive.noisy(xr, eps: eps.map { e in (0..<c.n).map { Double(e[r * c.n + $0]) } })
            rowsInfo.append(info)
            choices.append(naive.gates(info.h))
        }
        let cap = c.capacity > 0 ? Int((c.capacity * Double(c.k * rows) / Double(c.n)).rounded(.up)) : 0
        let ok = NaiveMoE.accepted(choices, experts: c.n, capacity: cap)
        if c.capacity > 0 && c.capacity < 1.01 { #expect(ok.joined().contains(false), "the capacity case should drop rows") }
        var y = [Double](repeating: 0, count: rows * d)
        for r in 0..<rows {
            let xr = (0..<d).map { Double(x[r * d + $0]) }
            for (j, choice) in choices[r].enumerated() where ok[r][j] {
                for (col, v) in naive.expert(choice.expert, xr).enumerated() { y[r * d + col] += choice.gate * v }
            }
        }
        #expect(relativeError(run.outputs[0].floats, y) <= 1e-5)

        // Exactly k non-zero gates per token, summing to 1, on the experts the dense formula picks.
        let gv = run.kept[gates]!.floats, ev = run.kept[experts]!.ints
        for r in 0..<rows {
            let row = gv[(r * c.k)..<((r + 1) * c.k)]
            #expect(row.allSatisfy { $0 > 0 })
            #expect(abs(row.reduce(0, +) - 1) <= 1e-6)
            #expect(Set(ev[(r * c.k)..<((r + 1) * c.k)]).count == c.k)
            #expect(ev[(r * c.k)..<((r + 1) * c.k)].map(Int.init) == choices[r].map(\.expert))
        }

        var importance = [Double](repeating: 0, count: c.n)
        for ch in choices { for (e, gate) in ch { importance[e] += gate } }
        let load = c.training && c.k < c.n ? naive.load(rowsInfo)
            : choices.reduce(into: [Double](repeating: 0, count: c.n)) { acc, ch in for (e, _) in ch { acc[e] += 1 } }
        let li = 0.1 * NaiveMoE.cvSquared(importance), ll = 0.1 * NaiveMoE.cvSquared(load)
        #expect(abs(Double(run.outputs[1].floats[0]) - li) <= 1e-5 * max(li, 1e-6), "importance loss \(run.outputs[1].floats[0]) vs \(li)")
        #expect(abs(Double(run.outputs[2].floats[0]) - ll) <= 1e-5 * max(ll, 1e-6), "load loss \(run.outputs[2].floats[0]) vs \(ll)")
    }

    struct Hier: Sendable, CustomTestStringConvertible {
        var a: Int, b: Int, k1: Int, k2: Int, capacity: Double, training: Bool
        var testDescription: String { "\(a)x\(b) k=[\(k1),\(k2)] capacity=\(capacity) \(training ? "train" : "eval")" }
    }

    static let hier: [Hier] = [
        Hier(a: 4, b: 4, k1: 2, k2: 2, capacity: 0, training: true),    // MoE-256-h-shaped (16 experts)
        Hier(a: 4, b: 8, k1: 2, k2: 2, capacity: 0, training: false),
        Hier(a: 4, b: 4, k1: 2, k2: 2, capacity: 1.0, training: true),
        Hier(a: 2, b: 3, k1: 2, k2: 1, capacity: 0, training: true),
    ]

    @Test(arguments: hier)
    func hierarchicalMoEMatchesEquation12(_ c: Hier) throws {
        let (rows, d, hidden) = (24, 8, 16)
        let g = try lowered("""
        graph g [t = \(rows)] (%x: f32[t, \(d)]) -> (%y, %li, %ll) {
          %y, %li, %ll = hmoe(%x) {groups = \(c.a), experts_per_group = \(c.b), k = [\(c.k1), \(c.k2)], hidden = \(hidden), w_importance = 0.1, w_load = 0.1, capacity_factor = \(c.capacity)}
        }
        """, training: c.training)
        var w = MoEEquivalenceTests.weights(prefix: "y", d: d, n: c.a, hidden: hidden, experts: c.a * c.b, seed: 21)
        for i in 0..<c.a {
            w["y.group\(i).w_gate"] = HostTensor([d, c.b], floats: randomFloats(d * c.b, std: 0.8, seed: 300 + UInt64(i)))
            w["y.group\(i).w_noise"] = HostTensor([d, c.b], floats: randomFloats(d * c.b, std: 0.5, seed: 400 + UInt64(i)))
        }
        if !c.training { for key in w.keys where key.hasSuffix("w_noise") { w[key] = nil } }
        let interp = try ReferenceInterpreter(graph: g, seed: 5, weights: w)
        let x = randomFloats(rows * d, seed: 77)
        let noiseNames = ["y.gate.noise"] + (0..<c.a).map { "y.group\($0).gate.noise" }
        let keep = c.training ? Set(noiseNames.map { g.value(named: $0)! }) : []
        let run = try interp.run([HostTensor([rows, d], floats: x)], keep: keep)
        func eps(_ name: String, row: Int, width: Int) -> [Double]? {
            guard c.training, let v = g.value(named: name), let t = run.kept[v] else { return nil }
            return (0..<width).map { Double(t.floats[row * width + $0]) }
        }

        let primary = NaiveMoE(d: d, n: c.a, k: c.k1, hidden: hidden, wGate: w["y.w_gate"]!.floats, wNoise: w["y.w_noise"]?.floats ?? [],
                               wIn: [], wOut: [])
        let xs = (0..<rows).map { r in (0..<d).map { Double(x[r * d + $0]) } }
        let pInfo = xs.enumerated().map { primary.noisy($0.element, eps: eps("y.gate.noise", row: $0.offset, width: c.a)) }
        let pChoices = pInfo.map { primary.gates($0.h) }
        let cap = c.capacity > 0 ? Int((c.capacity * Double(c.k1 * c.k2 * rows) / Double(c.a * c.b)).rounded(.up)) : 0
        var y = [Double](repeating: 0, count: rows * d)
        var importance = [Double](repeating: 0, count: c.a * c.b), loadH = [Double](repeating: 0, count: c.a * c.b)
        let loadP = c.training && c.k1 < c.a ? primary.load(pInfo)
            : pChoices.reduce(into: [Double](repeating: 0, count: c.a)) { acc, ch in for (e, _) in ch { acc[e] += 1 } }
        for i in 0..<c.a {
            let members = (0..<rows).filter { r in pChoices[r].contains { $0.expert == i } }
            let secondary = NaiveMoE(d: d, n: c.b, k: c.k2, hidden: hidden, wGate: w["y.group\(i).w_gate"]!.floats,
                                     wNoise: w["y.group\(i).w_noise"]?.floats ?? [],
                                     wIn: (0..<c.b).map { w["y.expert\(i * c.b + $0).w_in"]!.floats },
                                     wOut: (0..<c.b).map { w["y.expert\(i * c.b + $0).w_out"]!.floats })
            let sInfo = members.enumerated().map { secondary.noisy(xs[$0.element], eps: eps("y.group\(i).gate.noise", row: $0.offset, width: c.b)) }
            let sChoices = sInfo.map { secondary.gates($0.h) }
            let ok = NaiveMoE.accepted(sChoices, experts: c.b, capacity: cap)
            for (m, r) in members.enumerated() {
                let gp = pChoices[r].first { $0.expert == i }!.gate
                for (j, ch) in sChoices[m].enumerated() {
                    importance[i * c.b + ch.expert] += gp * ch.gate
                    guard ok[m][j] else { continue }
                    for (col, v) in secondary.expert(ch.expert, xs[r]).enumerated() { y[r * d + col] += gp * ch.gate * v }
                }
            }
            let loadI = c.training && c.k2 < c.b ? secondary.load(sInfo)
                : sChoices.reduce(into: [Double](repeating: 0, count: c.b)) { acc, ch in for (e, _) in ch { acc[e] += 1 } }
            for j in 0..<c.b where !members.isEmpty { loadH[i * c.b + j] = loadP[i] * loadI[j] / Double(members.count) }
        }
        #expect(relativeError(run.outputs[0].floats, y) <= 1e-5)
        let li = 0.1 * NaiveMoE.cvSquared(importance), ll = 0.1 * NaiveMoE.cvSquared(loadH)
        #expect(abs(Double(run.outputs[1].floats[0]) - li) <= 1e-5 * max(li, 1e-6), "importance loss \(run.outputs[1].floats[0]) vs \(li)")
        #expect(abs(Double(run.outputs[2].floats[0]) - ll) <= 1e-5 * max(ll, 1e-6), "load loss \(run.outputs[2].floats[0]) vs \(ll)")
    }
}
