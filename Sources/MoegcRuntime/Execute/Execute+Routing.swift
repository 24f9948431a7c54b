import MoegcIR
import MoegcKernels

/// The MoE routing kernels: sort assignments by expert, gather an expert's rows, combine expert
/// outputs weighted by their gates, and the auxiliary-loss statistics.
extension NodeExecutor {
    /// Assignments (row r, choice j) → expert indices[r, j] with gate gates[r, j], accepted in order
    /// of choice then row (every row's first choice before any second choice) while the expert has
    /// capacity; accepted ones listed by expert, rows ascending within an expert.
    func route(_ indices: HostTensor, _ gates: HostTensor, experts n: Int, capacity: Int, _ name: String) throws(ExecutionError) -> [HostTensor] {
        let rows = indices.shape[0], k = indices.shape[1]
        try NodeExecutor.checkIndices(indices, below: n, "expert indices", name)
        let idx = indices.ints, g = gates.floats
        var accepted = [Bool](repeating: false, count: rows * k)
        var counts = [Int](repeating: 0, count: n)
        for j in 0..<k {
            for r in 0..<rows {
                let e = Int(idx[r * k + j])
                if capacity == 0 || counts[e] < capacity {
                    counts[e] += 1
                    accepted[r * k + j] = true
                }
            }
        }
        var positions = [Int32](repeating: 0, count: n + 1)
        for e in 0..<n { positions[e + 1] = positions[e] + Int32(counts[e]) }
        let total = Int(positions[n])
        var next = positions.map(Int.init)
        var tokens = [Int32](repeating: 0, count: total), weights = [Float](repeating: 0, count: total)
        for r in 0..<rows {
            for j in 0..<k where accepted[r * k + j] {
                let e = Int(idx[r * k + j])
                tokens[next[e]] = Int32(r)
                weights[next[e]] = g[r * k + j]
                next[e] += 1
            }
        }
        return [HostTensor([n + 1], ints: positions), HostTensor([total], ints: tokens), HostTensor([total], floats: weights)]
    }

    /// The stretch positions[e]..<positions[e+1] of a routing list, checked against the list.
    static func stretch(_ positions: HostTensor, _ index: Int, listCount: Int, _ name: String) throws(ExecutionError) -> Range<Int> {
        let p = positions.ints
        guard index + 1 < p.count else { throw ExecutionError("routing slot \(index) of %\(name) out of range") }
        let lo = Int(p[index]), hi = Int(p[index + 1])
        guard 0 <= lo, lo <= hi, hi <= listCount else {
            throw ExecutionError("routing positions \(lo)..<\(hi) of %\(name) do not fit a list of \(listCount)")
        }
        return lo..<hi
    }

    func dispatch(_ x: HostTensor, _ positions: HostTensor, _ tokens: HostTensor, index: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        let range = try NodeExecutor.stretch(positions, index, listCount: tokens.count, name)
        let rows = x.shape[0], width = x.shape[1]
        let list = tokens.ints
        if let bad = list[range].first(where: { $0 < 0 || Int($0) >= rows }) {
            throw ExecutionError("routed row \(bad) out of range 0..<\(rows) in %\(name)")
        }
        return x.withFloats { px in
            tokens.withInts { pt in
                makeFloats([range.count, width]) { out, _ in
                    Kernels.gatherRows(px, srcRows: rows, indices: pt + range.lowerBound, count: range.count, width: width, out: out)
                }
            }
        }
    }

    func segment(_ list: HostTensor, _ positions: HostTensor, index: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        let range = try NodeExecutor.stretch(positions, index, listCount: list.count, name)
        switch list.storage {
        case .f32(let v): return HostTensor([range.count], floats: Array(v[range]))
        case .i32(let v): return HostTensor([range.count], ints: Array(v[range]))
        }
    }

    /// out = 0; out[tokens[p]] += weights[p] · y_e[p − positions[e]] for every expert e.
    func combine(_ x: HostTensor, _ positions: HostTensor, _ tokens: HostTensor, _ weights: HostTensor,
                 _ ys: [HostTensor], _ name: String) throws(ExecutionError) -> HostTensor {
        let rows = x.shape[0], width = ys.first?.shape.last ?? 0
        try NodeExecutor.checkIndices(tokens, below: max(rows, 1), "routed rows", name)
        var ranges: [Range<Int>] = []
        for e in ys.indices {
            let r = try NodeExecutor.stretch(positions, e, listCount: tokens.count, name)
            guard ys[e].shape[0] == r.count else {
                throw ExecutionError("expert \(e) of %\(name) returned \(ys[e].shape[0]) rows for \(r.count) routed")
            }
            ranges.append(r)
        }
        var out = [Float](repeating: 0, count: rows * width)
        tokens.withInts { pt in
            weights.withFloats { pw in
                out.withUnsafeMutableBufferPointer { po in
                    for (e, y) in ys.enumerated() where !ranges[e].isEmpty {
                        y.withFloats { py in
                            Kernels.scatterAddRows(py, indices: pt + ranges[e].lowerBound, weights: pw + ranges[e].lowerBound,
                                                   count: ranges[e].count, width: width, out: po.baseAddress!, outRows: rows)
                        }
                    }
                }
            }
        }
        return HostTensor([rows, width], floats: out)
    }

    /// Importance(X)ᵢ = Σ_r scale_r · Σ_j gates[r, j]·[indices[r, j] = i].
    func importance(_ indices: HostTensor, _ gates: HostTensor, _ scale: HostTensor?, experts n: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        try NodeExecutor.checkIndices(indices, below: n, "expert indices", name)
        let rows = indices.shape[0], k = indices.shape[1], idx = indices.ints, g = gates.floats
        let s = scale?.floats
        if let s, s.count != rows { throw ExecutionError("row scale of %\(name) has \(s.count) entries for \(rows) rows") }
        var acc = [Double](repeating: 0, count: n)
        for r in 0..<rows {
            let w = Double(s?[r] ?? 1)
            for j in 0..<k { acc[Int(idx[r * k + j])] += w * Double(g[r * k + j]) }
        }
        return HostTensor([n], floats: acc.map(Float.init))
    }

    /// Load(X)ᵢ = Σ_r Φ((clean[r,i] − threshold) / std[r,i]); threshold = top[r, k] (the (k+1)-th
    /// largest noisy logit) when noisy[r,i] > top[r, k], else top[r, k−1] (the k-th).
    func loadEstimate(_ clean: HostTensor, _ noisy: HostTensor, _ std: HostTensor, _ top: HostTensor, k: Int) -> HostTensor {
        let rows = clean.shape[0], n = clean.shape[1]
        let c = clean.floats, h = noisy.floats, s = std.floats, t = top.floats
        var acc = [Double](repeating: 0, count: n)
        for r in 0..<rows {
            let thresholdIn = t[r * (k + 1) + k], thresholdOut = t[r * (k + 1) + k - 1]
            for i in 0..<n {
                let inTop = h[r * n + i] > thresholdIn
                let z = (c[r * n + i] - (inTop ? thresholdIn : thresholdOut)) / s[r * n + i]
                acc[i] += Double(UnaryOp.normalCDF.apply(z))
            }
        }
        return HostTensor([n], floats: acc.map(Float.init))
    }

    func loadCount(_ indices: HostTensor, experts n: Int, _ name: String) throws(ExecutionError) -> HostTensor {
        try NodeExecutor.checkIndices(indices, below: n, "expert indices", name)
        var counts = [Float](repeating: 0, count: n)
        for e in indices.ints { counts[Int(e)] += 1 }
        return HostTensor([n], floats: counts)
    }

    /// Load_H[i·b + j] = Load_primary[i] · Loadᵢ[j] / |X⁽ⁱ⁾|, 0 for a group that received no rows.
    func groupLoad(_ primary: HostTensor, _ positions: HostTensor, _ groups: [HostTensor]) -> HostTensor {
        let p = primary.floats, pos = positions.ints, b = groups.first?.count ?? 0
        var out = [Float](repeating: 0, count: groups.count * b)
        for (i, g) in groups.enumerated() {
            let rows = Float(pos[i + 1] - pos[i])
            guard rows > 0 else { continue }
            let v = g.floats
            for j in 0..<b { out[i * b + j] = p[i] * v[j] / rows }
        }
        return HostTensor([groups.count * b], floats: out)
    }

    func cvSquared(_ v: HostTensor) -> HostTensor {
        .scalar(v.withFloats { Kernels.coefficientOfVariationSquared($0, count: v.count) })
    }
}
