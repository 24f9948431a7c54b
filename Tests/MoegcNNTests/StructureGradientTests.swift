import MoegcNN
import Testing

/// Finite-difference checks of the softmax family, layer norm, shape ops and index ops.
@Suite struct StructureGradientTests {
    let check = GradientCheck()

    @Test func softmaxFamily() {
        let x = randn([3, 5], seed: 20)
        check.check(inputs: [x]) { _, v in v[0].softmax() }
        check.check(inputs: [x]) { _, v in v[0].logSoftmax() }
        check.check(inputs: [x]) { _, v in v[0].categoricalEntropy() }
        check.check(inputs: [randn([2, 2, 3], seed: 21)]) { _, v in v[0].softmax() }
    }

    @Test func softmaxFamilyWithMaskedLogits() {
        // −∞ logits (forbidden actions) are constants; gradients flow to the others.
        let mask = Tensor(shape: [2, 4], scalars: [0, -.infinity, 0, 0, -.infinity, 0, 0, -.infinity])
        let x = randn([2, 4], seed: 22)
        check.check(inputs: [x]) { t, v in (v[0] + t.constant(mask)).softmax() }
        check.check(inputs: [x]) { t, v in (v[0] + t.constant(mask)).categoricalEntropy() }
        check.check(inputs: [x]) { t, v in (v[0] + t.constant(mask)).logSoftmax().pick([0, 1]) }
    }

    @Test func pickAndPPOClippedObjective() {
        let logits = randn([4, 3], seed: 23)
        let actions: [Int32] = [2, 0, 1, 1]
        check.check(inputs: [logits]) { _, v in v[0].pick(actions) }
        // min(r·A, clip(r, 0.8, 1.2)·A) with ratios r = exp(logp − oldLogp) on both sides of the clip.
        let oldLogP = Tensor(shape: [4], scalars: [-0.2, -1.9, -0.3, -2.2])
        let advantages = Tensor(shape: [4], scalars: [1.0, -0.5, -1.5, 2.0])
        check.check(inputs: [logits]) { t, v in
            let ratio = (v[0].logSoftmax().pick(actions) - t.constant(oldLogP)).exp()
            let a = t.constant(advantages)
            return (ratio * a).minimum(ratio.clamp(lower: 0.8, upper: 1.2) * a).mean()
        }
    }

    @Test func layerNorm() {
        let x = randn([4, 6], seed: 24)
        let gamma = uniform([6], seed: 25, 0.5, 1.5), beta = randn([6], seed: 26)
        check.check(inputs: [x, gamma, beta]) { _, v in v[0].layerNorm(gamma: v[1], beta: v[2]) }
        let tape = Tape()
        let y = tape.constant(x).layerNorm(gamma: tape.constant(Tensor(repeating: 1, shape: [6])),
                                           beta: tape.constant(Tensor(zeros: [6]))).value
        for r in 0..<4 {
            let row = (0..<6).map { y[r, $0] }
            let mean = row.reduce(0, +) / 6
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3)
        }
    }

    @Test func shapeOps() {
        let x = randn([3, 4], seed: 27), y = randn([3, 2], seed: 28), z = randn([1, 4], seed: 29)
        check.check(inputs: [x]) { _, v in v[0].reshaped(to: [2, 6]) * v[0].reshaped(to: [2, 6]) }
        check.check(inputs: [x]) { _, v in v[0].transposed() }
        check.check(inputs: [x, y]) { _, v in Var.concat([v[0], v[1], v[0]], axis: 1) }
        check.check(inputs: [x, z]) { _, v in Var.concat([v[1], v[0]], axis: 0) }
        check.check(inputs: [x]) { _, v in v[0].slice(axis: 1, range: 1..<3) }
        check.check(inputs: [x]) { _, v in v[0].slice(axis: 0, range: 2..<3) }
        check.check(inputs: [randn([2, 3, 4], seed: 30)]) { _, v in v[0].slice(axis: 1, range: 0..<2) }
    }

    @Test func shapeOpValues() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        #expect(x.transposed().value.scalars == [1, 4, 2, 5, 3, 6])
        #expect(x.slice(axis: 1, range: 1..<3).value.scalars == [2, 3, 5, 6])
        #expect(Var.concat([x, x.slice(axis: 1, range: 0..<1)], axis: 1).value.scalars == [1, 2, 3, 1, 4, 5, 6, 4])
    }

    @Test func stopGradientBlocksFlow() {
        let tape = Tape()
        let x = tape.variable(randn([3], seed: 31))
        let g = tape.backward((x * x.stopGradient()).sum())
        #expect(g[x] == x.value)   // d/dx (x · c) = c = x, not 2x
    }

    @Test func gatherAndScatterRows() {
        let x = randn([4, 3], seed: 32)
        let index: [Int32] = [3, 0, 0, 2, 3, 3]
        check.check(inputs: [x]) { _, v in v[0].gatherRows(index) }
        check.check(inputs: [randn([6, 3], seed: 33)]) { _, v in v[0].scatterAddRows(index, count: 5) }
        let tape = Tape()
        let s = tape.constant(Tensor(shape: [3, 1], scalars: [1, 2, 4])).scatterAddRows([1, 1, 0], count: 3)
        #expect(s.value.scalars == [4, 3, 0])
    }

    @Test func segmentSoftmax() {
        let segments: [Int32] = [0, 2, 0, 2, 2, 0, 4]   // segments 1 and 3 are empty
        check.check(inputs: [randn([7], seed: 34)]) { _, v in v[0].segmentSoftmax(segments: segments, segmentCount: 5) }
        check.check(inputs: [randn([7, 3], seed: 35)]) { _, v in
            v[0].segmentSoftmax(segments: segments, segmentCount: 5)
        }
    }

    @Test func weightedEdgeSum() {
        let sources: [Int32] = [0, 1, 2, 2, 3, 0]
        let targets: [Int32] = [1, 2, 0, 3, 3, 1]
        let values = randn([4, 6], seed: 36)
        check.check(inputs: [values, randn([6, 2], seed: 37)]) { _, v in
            v[0].weightedEdgeSum(weights: v[1], sources: sources, targets: targets, targetCount: 5)
        }
        check.check(inputs: [values, randn([6], seed: 38)]) { _, v in
            v[0].weightedEdgeSum(weights: v[1], sources: sources, targets: targets, targetCount: 4)
        }
    }

    @Test func partialGradientPathsWhenSomeInputsAreConstant() {
        // Fused ops take separate code paths when only some inputs need gradients.
        let sources: [Int32] = [0, 1, 2, 2, 3, 0], targets: [Int32] = [1, 2, 0, 3, 3, 1]
        let values = randn([4, 6], seed: 47), weights = randn([6, 2], seed: 48)
        check.check(inputs: [weights]) { t, v in
            t.constant(values).weightedEdgeSum(weights: v[0], sources: sources, targets: targets, targetCount: 4)
        }
        check.check(inputs: [values]) { t, v in
            v[0].weightedEdgeSum(weights: t.constant(weights), sources: sources, targets: targets, targetCount: 4)
        }
        let q = randn([3, 4], seed: 49), k = randn([5, 4], seed: 50), val = randn([5, 4], seed: 51)
        check.check(inputs: [val]) { t, v in
            Var.attention(query: t.constant(q), key: t.constant(k), value: v[0], heads: 2)
        }
        check.check(inputs: [k]) { t, v in
            Var.attention(query: t.constant(q), key: v[0], value: t.constant(val), heads: 2)
        }
        check.check(inputs: [randn([3, 5], seed: 52)]) { t, v in
            t.constant(randn([4, 3], seed: 53)).matmul(v[0])
        }
    }

    @Test func headDot() {
        check.check(inputs: [randn([4, 6], seed: 54), randn([2, 3], seed: 55)]) { _, v in v[0].headDot(v[1]) }
        let tape = Tape()
        let x = tape.constant(randn([4, 6], seed: 56)), a = tape.constant(randn([3, 2], seed: 57))
        let composed = (x.reshaped(to: [4, 3, 2]) * a).sum(alongAxis: 2)
        #expect(close(x.headDot(a).value, composed.value))
    }

    @Test func weightedEdgeSumMatchesGatherScaleScatter() {
        let sources: [Int32] = [0, 1, 2, 2, 3, 0], targets: [Int32] = [1, 2, 0, 3, 3, 1]
        let tape = Tape()
        let values = tape.constant(randn([4, 3], seed: 39)), w = tape.constant(randn([6], seed: 40))
        let fused = values.weightedEdgeSum(weights: w, sources: sources, targets: targets, targetCount: 4)
        let composed = (values.gatherRows(sources) * w.reshaped(to: [6, 1])).scatterAddRows(targets, count: 4)
        #expect(close(fused.value, composed.value))
    }

    @Test(arguments: [1, 2])
    func attentionWithMask(heads: Int) {
        let q = randn([3, 4], seed: 41), k = randn([5, 4], seed: 42), v = randn([5, 2 * heads], seed: 43)
        var mask = Tensor(zeros: [3, 5])
        mask[0, 1] = -.infinity
        mask[2, 4] = -.infinity
        mask[1, 0] = -0.7   // a finite bias is differentiable through the scores as well
        let m = mask
        check.check(inputs: [q, k, v]) { _, x in
            Var.attention(query: x[0], key: x[1], value: x[2], heads: heads, mask: m)
        }
        check.check(inputs: [q, k, v]) { _, x in
            Var.attention(query: x[0], key: x[1], value: x[2], heads: heads, scale: 0.3)
        }
    }

    @Test func attentionMatchesComposedOps() {
        let tape = Tape()
        let q = tape.constant(randn([3, 4], seed: 44)), k = tape.constant(randn([5, 4], seed: 45))
        let v = tape.constant(randn([5, 3], seed: 46))
        let fused = Var.attention(query: q, key: k, value: v, heads: 1)
        let composed = (q.matmul(k, transposeOther: true) * 0.5).softmax().matmul(v)
        #expect(close(fused.value, composed.value))
    }
}
