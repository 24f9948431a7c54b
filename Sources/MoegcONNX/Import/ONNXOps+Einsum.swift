import MoegcIR

/// ONNX Einsum as the contractions exporters emit: each operand's letters distinct (no diagonals),
/// an ellipsis standing for the same leading axes in every operand. Operands are contracted left
/// to right, each pair as one matmul:
///
///     letters of A and B:  batch   = in both and kept          (b…)
///                          summed  = in both, not kept          (k…)
///                          rows    = only in A, kept            (m…)
///                          columns = only in B, kept            (n…)
///     A → transpose [b…, m…, k…] → reshape [B, M, K]
///     B → transpose [b…, k…, n…] → reshape [B, K, N]        (B = 1: plain [M, K] · [K, N])
///     matmul → [B, M, N] → reshape [b…, m…, n…] → transpose to the output's order
///
/// A letter in one operand only and needed nowhere later is summed away first (reduce_sum).
extension ONNXOps {
    static func einsum(_ ctx: inout ImportContext, _ n: NodeView) throws(ONNXError) -> ValueID {
        let xs = try ctx.inputs(n)
        let equation = try n.string("equation", "").filter { $0 != " " }
        let sides = split(equation, "->")
        guard sides.count <= 2 else { throw ctx.fail("equation '\(equation)' has more than one '->'", .invalidGraph) }
        var terms = split(sides[0], ",")
        guard terms.count == xs.count else { throw ctx.fail("equation '\(equation)' names \(terms.count) operands, the node has \(xs.count)", .invalidGraph) }
        // Ellipsis: the same leading axes everywhere, spelled with letters no term uses.
        let used = Set(equation.filter(\.isLetter))
        let spare = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz").filter { !used.contains($0) }
        var ellipsis = ""
        for (i, t) in terms.enumerated() where t.contains("...") {
            let letters = replacing(t, "...", "").count
            let count = ctx.rank(xs[i]) - letters
            guard count >= 0, count <= spare.count else { throw ctx.fail("equation term '\(t)' does not fit \(ctx.type(xs[i]))", .invalidGraph) }
            let spelled = String(spare.prefix(count))
            guard ellipsis.isEmpty || ellipsis == spelled else { throw ctx.fail("an ellipsis standing for different ranks is not imported") }
            ellipsis = spelled
            terms[i] = replacing(t, "...", spelled)
        }
        var output: [Character]
        if sides.count == 2 {
            output = Array(replacing(sides[1], "...", ellipsis))
        } else {
            let all = terms.joined()
            output = Array(ellipsis) + all.filter { c in !ellipsis.contains(c) && all.filter { $0 == c }.count == 1 }.sorted()
        }
        var size: [Character: Int] = [:]
        var operands: [(ValueID, [Character])] = []
        for (x, t) in zip(xs, terms) {
            let letters = Array(t)
            guard letters.allSatisfy(\.isLetter), letters.count == ctx.rank(x) else {
                throw ctx.fail("equation term '\(t)' does not fit \(ctx.type(x))", .invalidGraph)
            }
            guard Set(letters).count == letters.count else { throw ctx.fail("equation term '\(t)' repeats a letter (a diagonal), which is not imported") }
            for (c, d) in zip(letters, ctx.shape(x)) {
                if let s = size[c], s != d { throw ctx.fail("letter '\(c)' stands for sizes \(s) and \(d)", .invalidGraph) }
                size[c] = d
            }
            operands.append((x, letters))
        }
        guard output.allSatisfy({ size[$0] != nil }), Set(output).count == output.count else {
            throw ctx.fail("the output '\(String(output))' names a letter no operand has, or one twice", .invalidGraph)
        }
        var (acc, accLetters) = try sumAway(&ctx, operands[0], keep: Set(output) .union(operands.dropFirst().flatMap(\.1)))
        for k in 1..<max(1, operands.count) where k < operands.count {
            let later = Set(output).union(operands.dropFirst(k + 1).flatMap(\.1))
            let (b, bLetters) = try sumAway(&ctx, operands[k], keep: later.union(accLetters))
            let keep = later
            let batch = accLetters.filter { bLetters.contains($0) && keep.contains($0) }
            let summed = accLetters.filter { bLetters.contains($0) && !keep.contains($0) }
            let rows = accLetters.filter { !bLetters.contains($0) }
            let cols = bLetters.filter { !accLetters.contains($0) }
            func product(_ cs: [Character]) -> Int { cs.reduce(1) { $0 * size[$1]! } }
            let (pb, pm, pk, pn) = (product(batch), product(rows), product(summed), product(cols))
            var a = try ctx.transpose(acc, (batch + rows + summed).map { accLetters.firstIndex(of: $0)! })
            var bb = try ctx.transpose(b, (batch + summed + cols).map { bLetters.firstIndex(of: $0)! })
            a = try ctx.reshape(a, pb == 1 ? [pm, pk] : [pb, pm, pk])
            bb = try ctx.reshape(bb, pb == 1 ? [pk, pn] : [pb, pk, pn])
            let y = try ctx.emit(.matmul, [a, bb])
            let letters = batch + rows + cols
            acc = try ctx.reshape(y, letters.map { size[$0]! })
            accLetters = letters
        }
        // What is left: sum letters the output drops, then order the axes.
        (acc, accLetters) = try sumAway(&ctx, (acc, accLetters), keep: Set(output))
        return try ctx.transpose(acc, output.map { accLetters.firstIndex(of: $0)! })
    }

    /// `s` cut at every occurrence of `separator` (empty pieces kept).
    static func split(_ s: String, _ separator: String) -> [String] {
        let chars = Array(s), sep = Array(separator)
        var parts: [String] = [], current: [Character] = [], i = 0
        while i < chars.count {
            if i + sep.count <= chars.count && Array(chars[i..<(i + sep.count)]) == sep {
                parts.append(String(current))
                current = []
                i += sep.count
            } else {
                current.append(chars[i])
                i += 1
            }
        }
        parts.append(String(current))
        return parts
    }

    static func replacing(_ s: String, _ target: String, _ with: String) -> String {
        split(s, target).joined(separator: with)
    }

    /// Sums the axes whose letters are not in `keep`.
    static func sumAway(_ ctx: inout ImportContext, _ x: (ValueID, [Character]), keep: Set<Character>) throws(ONNXError) -> (ValueID, [Character]) {
        let drop = x.1.indices.filter { !keep.contains(x.1[$0]) }
        guard !drop.isEmpty else { return x }
        let y = try ctx.emit(.reduce_sum, [x.0], [("axes", .list(drop.map { .int($0) }))])
        return (y, x.1.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
    }
}
