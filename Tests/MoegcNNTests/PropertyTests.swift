import MoegcNN
import MoegcSupport
import Testing

/// Behaviour beyond gradients: normalisation, masking, tape bookkeeping, tensors.
@Suite struct PropertyTests {
    @Test func segmentSoftmaxSumsToOnePerSegmentAndColumn() {
        var rng = SeededGenerator(seed: 70)
        let edges = 200, segmentCount = 40
        let segments = (0..<edges).map { _ in Int32(rng.nextInt(below: segmentCount - 5)) }   // last 5 empty
        let tape = Tape()
        let scores = tape.constant(Tensor.normal(shape: [edges, 3], standardDeviation: 10, using: &rng))
        let y = scores.segmentSoftmax(segments: segments, segmentCount: segmentCount).value
        var sums = [Double](repeating: 0, count: segmentCount * 3)
        for e in 0..<edges {
            for c in 0..<3 { sums[Int(segments[e]) * 3 + c] += Double(y[e, c]) }
        }
        let used = Set(segments.map(Int.init))
        for s in 0..<segmentCount {
            for c in 0..<3 {
                #expect(abs(sums[s * 3 + c] - (used.contains(s) ? 1 : 0)) < 1e-5, "segment \(s) column \(c)")
            }
        }
        #expect(y.scalars.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test func segmentSoftmaxMaskedScoresGetZeroWeight() {
        let tape = Tape()
        let x = tape.variable(Tensor(shape: [4], scalars: [1, -.infinity, -.infinity, -.infinity]))
        let y = x.segmentSoftmax(segments: [0, 0, 1, 1], segmentCount: 2)
        #expect(y.value.scalars == [1, 0, 0, 0])   // segment 1 fully masked: zeros, no NaN
        let g = tape.backward(y, seed: Tensor(shape: [4], scalars: [1, 2, 3, 4]))
        #expect(g[x].scalars.allSatisfy { !$0.isNaN })
    }

    @Test func maskedKeysGetZeroAttentionAndDoNotInfluenceOutput() {
        let q = randn([4, 6], seed: 71), k = randn([5, 6], seed: 72)
        let mask = AttentionMask.keyPadding(queryCount: 4, validKeys: [true, false, true, true, false])
        let weights = attentionWeights(query: q, key: k, heads: 2, mask: mask)
        for h in 0..<2 {
            for i in 0..<4 {
                #expect(weights[h, i, 1] == 0 && weights[h, i, 4] == 0)
                let total = (0..<5).reduce(Float(0)) { $0 + weights[h, i, $1] }
                #expect(abs(total - 1) < 1e-5)
            }
        }
        // Changing the values of masked keys changes nothing.
        var v = randn([5, 4], seed: 73)
        let tape = Tape()
        let before = Var.attention(query: tape.constant(q), key: tape.constant(k), value: tape.constant(v),
                                   heads: 2, mask: mask).value
        for j in 0..<4 { v[1, j] = 1000; v[4, j] = -1000 }
        let after = Var.attention(query: tape.constant(q), key: tape.constant(k), value: tape.constant(v),
                                  heads: 2, mask: mask).value
        #expect(before == after)
    }

    @Test func fullyMaskedQueryRowGivesZerosWithoutNaN() {
        var mask = Tensor(zeros: [2, 3])
        for j in 0..<3 { mask[1, j] = -.infinity }
        let tape = Tape()
        let q = tape.variable(randn([2, 4], seed: 74)), k = tape.variable(randn([3, 4], seed: 75))
        let v = tape.variable(randn([3, 2], seed: 76))
        let out = Var.attention(query: q, key: k, value: v, heads: 1, mask: mask)
        #expect(out.value[1, 0] == 0 && out.value[1, 1] == 0)
        let g = tape.backward(out.sum())
        for t in [g[q], g[k], g[v]] { #expect(t.scalars.allSatisfy { $0.isFinite }) }
        #expect(g[q][1, 0] == 0 && g[q][1, 3] == 0)
    }

    @Test func causalMaskWithMemory() {
        let mask = AttentionMask.causal(queryCount: 3, memoryCount: 2)
        #expect(mask.shape == [3, 5])
        let blocked = mask.scalars.map { $0 == -.infinity }
        #expect(blocked == [false, false, false, true, true,
                            false, false, false, false, true,
                            false, false, false, false, false])
    }

    @Test func softmaxFullyMaskedRowAndEntropyValues() {
        let tape = Tape()
        let logits = tape.variable(Tensor(shape: [3, 3], scalars: [0, 0, 0,
                                                                    1, -.infinity, 1,
                                                                    -.infinity, -.infinity, -.infinity]))
        #expect(logits.softmax().value.scalars[6...] == [0, 0, 0])
        let entropy = logits.categoricalEntropy()
        #expect(abs(entropy.value[0] - ln(3)) < 1e-6)
        #expect(abs(entropy.value[1] - ln(2)) < 1e-6)
        #expect(entropy.value[2] == 0)
        let g = tape.backward(entropy.sum() + logits.softmax().sum())
        #expect(g[logits].scalars.allSatisfy { $0.isFinite })
        let logp = tape.constant(logits.value).logSoftmax().value
        #expect(abs(logp[1, 0] - (-ln(2))) < 1e-6 && logp[1, 1] == -.infinity)
    }

    @Test func softmaxFamilyMatchesDoublePrecisionReference() {
        // Logits spread over a wide range, including probabilities far below 1e-30.
        var rng = SeededGenerator(seed: 83)
        let width = 40
        let logits = Tensor(shape: [3, width], scalars: (0..<(3 * width)).map { _ in Float(rng.nextDouble() * 150 - 100) })
        let tape = Tape()
        let x = tape.constant(logits)
        let (p, lp, h) = (x.softmax().value, x.logSoftmax().value, x.categoricalEntropy().value)
        for r in 0..<3 {
            let row = (0..<width).map { Double(logits[r, $0]) }
            let m = row.max()!
            let total = row.map { libmExp($0 - m) }.reduce(0, +)
            var entropy = 0.0
            for j in 0..<width {
                let reference = libmExp(row[j] - m) / total
                let logReference = row[j] - m - libmLog(total)
                entropy -= reference * logReference
                // Float rounding of x − max alone costs |x − max| · 2⁻²⁴ relative error.
                let tolerance = (2e-6 + abs(row[j] - m) * 6e-8) * reference + 1e-38
                #expect(abs(Double(p[r, j]) - reference) <= tolerance, "softmax[\(r), \(j)]")
                #expect(abs(Double(lp[r, j]) - logReference) <= 1e-5 * max(1, abs(logReference)))
            }
            #expect(abs(Double(h[r]) - entropy) <= 1e-5)
        }
    }

    @Test func pickReadsChosenEntries() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(x.pick([2, 0]).value.scalars == [3, 4])
    }

    @Test func gradientsAccumulateOverRepeatedUse() {
        let tape = Tape()
        let x = tape.variable(Tensor(shape: [2], scalars: [3, -1]))
        let g = tape.backward((x * x + x * 2).sum())
        #expect(g[x].scalars == [8, 0])   // 2x + 2
        let again = tape.backward(x.sum())   // the tape can be replayed for another output
        #expect(again[x].scalars == [1, 1])
    }

    @Test func parametersAreSharedLeavesNamedInTheGradients() {
        var store = ParameterStore()
        store.add("w", Tensor(shape: [2], scalars: [2, 5]))
        store.add("unused", Tensor(zeros: [1]))
        let tape = Tape(parameters: store)
        let a = tape.parameter("w"), b = tape.parameter("w")
        #expect(a.id == b.id)
        _ = tape.parameter("unused")
        let grads = tape.backward((a * b).sum()).parameters
        #expect(grads["w"]?.scalars == [4, 10])
        #expect(grads["unused"] == Tensor(zeros: [1]))
    }

    @Test func constantsAreNotRecorded() {
        let tape = Tape()
        let c = tape.constant(randn([3, 3], seed: 77))
        _ = (c.matmul(c).relu() + c).sum()
        #expect(tape.recordedCount == 0)
        let v = tape.variable(randn([3, 3], seed: 78))
        _ = (v + c).relu()
        #expect(tape.recordedCount == 3)   // the leaf, the sum, the relu
    }

    @Test func inferenceTapeRecordsNothing() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 79)
        let mlp = MLP("m", sizes: [3, 4, 2], parameters: &store, generator: &rng)
        let x = randn([2, 3], seed: 80)
        let inference = Tape(parameters: store, recording: false)
        let training = Tape(parameters: store)
        #expect(mlp(inference.constant(x)).value == mlp(training.constant(x)).value)
        #expect(inference.recordedCount == 0)
    }

    @Test func tapeIsReleasedAfterUse() {
        weak var released: Tape?
        do {
            let tape = Tape()
            released = tape
            let x = tape.variable(randn([4, 4], seed: 81))
            let y = Var.attention(query: x, key: x, value: x, heads: 2).layerNorm(
                gamma: tape.constant(Tensor(repeating: 1, shape: [4])), beta: tape.constant(Tensor(zeros: [4])))
            _ = tape.backward(y.softmax().sum())
        }
        #expect(released == nil, "backward rules must not capture the tape (reference cycle)")
    }

    @Test func tensorBasics() {
        var t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t[1, 2] == 6 && t.rank == 2 && t.count == 6)
        t[0, 1] = 9
        #expect(t.scalars == [1, 9, 3, 4, 5, 6])
        #expect(t.reshaped(to: [3, 2])[2, 0] == 5)
        #expect(Tensor(2.5).scalar == 2.5 && Tensor(2.5).shape == [])
        #expect(Tensor(zeros: [0, 4]).count == 0)
        #expect(t.description.hasPrefix("Tensor([2, 3]"))
    }

    @Test func emptyEdgeListsAndZeroRows() {
        let tape = Tape()
        let x = tape.variable(randn([3, 2], seed: 82))
        let gathered = x.gatherRows([])
        #expect(gathered.value.shape == [0, 2])
        let scores = tape.variable(Tensor(zeros: [0, 2]))
        let alpha = scores.segmentSoftmax(segments: [], segmentCount: 3)
        let out = x.weightedEdgeSum(weights: alpha, sources: [], targets: [], targetCount: 3)
        #expect(out.value == Tensor(zeros: [3, 2]))
        let g = tape.backward((out + x).sum() + gathered.sum())
        #expect(g[x] == Tensor(repeating: 1, shape: [3, 2]))
    }
}

/// The natural logarithm, e.g. the entropy of a uniform distribution over `x` outcomes.
private func ln(_ x: Double) -> Float { Float(libmLog(x)) }

#if canImport(Glibc)
import Glibc
private func libmLog(_ x: Double) -> Double { Glibc.log(x) }
private func libmExp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
private func libmLog(_ x: Double) -> Double { Darwin.log(x) }
private func libmExp(_ x: Double) -> Double { Darwin.exp(x) }
#endif

/// Ops that split their work over a tape's threads give the same bits as on one thread.
@Suite struct ThreadedOpsTests {
    @Test func rowBandMatmulEqualsOneThread() {
        var rng = SeededGenerator(seed: 5)
        let a = Tensor.normal(shape: [20_000, 8], using: &rng), b = Tensor.normal(shape: [8, 6], using: &rng)
        let one = Tape(recording: false), two = Tape(recording: false, threads: 2)
        let x = one.constant(a).matmul(one.constant(b)).value, y = two.constant(a).matmul(two.constant(b)).value
        #expect(x == y)
    }

    /// Rows enough for two bands (at least twice the rows a band must have).
    static let rows = 20_000

    /// `op`'s value on a non-recording tape, and its value and its inputs' gradients (for a
    /// random output gradient) on a recording tape, with `threads` threads.
    private func run(threads: Int, _ inputs: [Tensor], _ op: ([Var]) -> Var) -> (Tensor, Tensor, [Tensor]) {
        let plain = Tape(recording: false, threads: threads)
        let forward = op(inputs.map { plain.constant($0) }).value
        let tape = Tape(threads: threads)
        let vars = inputs.map { tape.variable($0) }
        let y = op(vars)
        let g = tape.backward(y, seed: randn(y.value.shape, seed: 99))
        return (forward, y.value, vars.map { g[$0] })
    }

    /// `op` gives the same bits, value and gradients, on one thread and on two.
    private func expectSameOnTwoThreads(_ name: String, _ inputs: [Tensor], _ op: ([Var]) -> Var) {
        let one = run(threads: 1, inputs, op), two = run(threads: 2, inputs, op)
        #expect(one.0 == two.0, "\(name): value without recording")
        #expect(one.1 == two.1, "\(name): value")
        #expect(one.0 == one.1, "\(name): value with and without recording")
        for (i, (a, b)) in zip(one.2, two.2).enumerated() { #expect(a == b, "\(name): gradient of input \(i)") }
    }

    @Test func rowBandElementwiseOpsEqualOneThread() {
        let n = Self.rows
        let x = randn([n, 8], seed: 11), y = randn([n, 8], seed: 12), bias = randn([8], seed: 13)
        expectSameOnTwoThreads("bias add", [x, bias]) { $0[0] + $0[1] }
        expectSameOnTwoThreads("product", [x, y]) { $0[0] * $0[1] }
        // Inner runs of 3 with a stretched operand, and a leading axis: spans cut inside runs.
        expectSameOnTwoThreads("column broadcast", [randn([n, 3], seed: 14), randn([n, 1], seed: 15)]) { $0[0] - $0[1] }
        expectSameOnTwoThreads("outer broadcast", [randn([2, n, 3], seed: 16), randn([n, 3], seed: 17)]) { $0[0] / $0[1] }
        expectSameOnTwoThreads("relu", [x]) { $0[0].relu() }
        expectSameOnTwoThreads("gelu", [x]) { $0[0].gelu() }
        expectSameOnTwoThreads("affine", [randn([n * 3], seed: 18)]) { $0[0].affine(scale: 2, shift: 1) }
    }

    @Test func rowBandLayerNormEqualsOneThread() {
        let n = Self.rows
        expectSameOnTwoThreads("layerNorm", [randn([n, 16], seed: 21), randn([16], seed: 22), randn([16], seed: 23)]) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2])
        }
    }

    @Test func segmentBandEdgeOpsEqualOneThread() {
        var rng = SeededGenerator(seed: 31)
        let nodes = Self.rows, edges = 3 * Self.rows, heads = 2
        let sources = (0..<edges).map { _ in Int32(rng.nextInt(below: nodes)) }
        let targets = (0..<edges).map { _ in Int32(rng.nextInt(below: nodes - 10)) }   // last 10 reached by none
        expectSameOnTwoThreads("segmentSoftmax", [randn([edges, heads], seed: 32, scale: 5)]) {
            $0[0].segmentSoftmax(segments: targets, segmentCount: nodes)
        }
        expectSameOnTwoThreads("gatherRows", [randn([nodes, 5], seed: 35)]) { $0[0].gatherRows(sources) }
        expectSameOnTwoThreads("headDot", [randn([nodes, heads * 4], seed: 36), randn([heads, 4], seed: 37)]) {
            $0[0].headDot($0[1])
        }
        expectSameOnTwoThreads("weightedEdgeSum", [randn([nodes, heads * 4], seed: 33), randn([edges, heads], seed: 34)]) {
            $0[0].weightedEdgeSum(weights: $0[1], sources: sources, targets: targets, targetCount: nodes)
        }
    }
}
