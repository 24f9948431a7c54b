import MoegcNN
import MoegcSupport
import Testing

/// Finite-difference checks of every layer, with respect to its inputs and all its parameters.
@Suite struct LayerGradientTests {
    let check = GradientCheck()

    @Test func linear() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 50)
        let fc = Linear("fc", inputSize: 4, outputSize: 3, parameters: &store, generator: &rng)
        store["fc.bias"] = randn([3], seed: 51)
        check.check(inputs: [randn([5, 4], seed: 52)], parameters: store) { _, v in fc(v[0]) }
        var plain = ParameterStore()
        let noBias = Linear("nb", inputSize: 4, outputSize: 2, bias: false, parameters: &plain, generator: &rng)
        #expect(plain.names == ["nb.weight"])
        check.check(inputs: [randn([2, 4], seed: 53)], parameters: plain) { _, v in noBias(v[0]) }
    }

    @Test(arguments: [Activation.tanh, .gelu, .sigmoid])
    func mlp(activation: Activation) {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 54)
        let mlp = MLP("mlp", sizes: [3, 5, 4, 2], activation: activation, parameters: &store, generator: &rng)
        #expect(store.names.count == 6)
        check.check(inputs: [randn([4, 3], seed: 55)], parameters: store) { _, v in mlp(v[0]) }
    }

    @Test func mlpWithReLU() {
        // ReLU is checked on a fixed seed whose hidden pre-activations stay clear of 0.
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 56)
        let mlp = MLP("mlp", sizes: [3, 6, 2], activation: .relu, parameters: &store, generator: &rng)
        store["mlp.0.bias"] = awayFromZero([6], seed: 57, margin: 0.3)
        let x = uniform([3, 3], seed: 58, -0.2, 0.2)
        let tape = Tape(parameters: store)
        let pre = mlp.layers[0](tape.constant(x))
        #expect(pre.value.scalars.allSatisfy { abs($0) > 0.01 }, "inputs chosen away from the ReLU kink")
        check.check(inputs: [x], parameters: store) { _, v in mlp(v[0]) }
    }

    @Test func layerNormLayer() {
        var store = ParameterStore()
        let norm = LayerNorm("ln", size: 5, parameters: &store)
        store["ln.gamma"] = uniform([5], seed: 59, 0.5, 1.5)
        store["ln.beta"] = randn([5], seed: 60)
        check.check(inputs: [randn([3, 5], seed: 61)], parameters: store) { _, v in norm(v[0]) }
    }

    /// A small graph with a node without in-edges (0), one without out-edges (4), a self-loop (2)
    /// and a duplicate edge (1 → 3 twice).
    static let edges = EdgeList(sources: [0, 0, 1, 1, 1, 2, 3, 2],
                                targets: [1, 2, 3, 3, 2, 2, 4, 4], nodeCount: 5)

    @Test(arguments: [(1, 3), (2, 2)])
    func gatLayer(heads: Int, headSize: Int) {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 62)
        let gat = GATLayer("gat", inputSize: 3, heads: heads, headSize: headSize, activation: .tanh,
                           parameters: &store, generator: &rng)
        #expect(gat.outputSize == heads * headSize)
        // Attention scores pass through LeakyReLU: make sure none sits at its kink, where a
        // central difference straddles two slopes.
        let x = randn([5, 3], seed: 64)
        #expect(smallestScore(store, gat, x, LayerGradientTests.edges) > 0.02)
        check.check(inputs: [x], parameters: store) { _, v in
            gat(v[0], edges: LayerGradientTests.edges)
        }
    }

    /// The smallest |attention score| (before LeakyReLU) over both directions and all heads,
    /// recomputed from the layer's parameters with the public ops.
    func smallestScore(_ store: ParameterStore, _ gat: GATLayer, _ x: Tensor, _ edges: EdgeList) -> Float {
        let tape = Tape(parameters: store)
        var smallest = Float.infinity
        for (direction, centers, neighbors) in [("in", edges.targets, edges.sources),
                                                ("out", edges.sources, edges.targets)] {
            let z = tape.constant(x).matmul(tape.parameter("\(gat.name).\(direction).weight"))
            let c = z.headDot(tape.parameter("\(gat.name).\(direction).attnCenter"))
            let n = z.headDot(tape.parameter("\(gat.name).\(direction).attnNeighbor"))
            let scores = c.gatherRows(centers) + n.gatherRows(neighbors)
            smallest = min(smallest, scores.value.scalars.map { abs($0) }.min() ?? .infinity)
        }
        return smallest
    }

    @Test func stackedGATLayers() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 64)
        let first = GATLayer("g1", inputSize: 2, heads: 2, headSize: 2, activation: .gelu,
                             parameters: &store, generator: &rng)
        let second = GATLayer("g2", inputSize: 4, heads: 1, headSize: 3, parameters: &store, generator: &rng)
        let x = randn([5, 2], seed: 65)
        #expect(smallestScore(store, first, x, LayerGradientTests.edges) > 0.02)
        check.check(inputs: [x], parameters: store) { _, v in
            second(first(v[0], edges: LayerGradientTests.edges), edges: LayerGradientTests.edges)
        }
    }

    @Test func multiHeadAttentionWithMemoryAndMask() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 66)
        let mha = MultiHeadAttention("mha", modelSize: 4, heads: 2, parameters: &store, generator: &rng)
        let mask = AttentionMask.causal(queryCount: 3, memoryCount: 2)
        // inputs: segment x [3, 4] and memory [2, 4]; the memory's gradient must be zero.
        let x = randn([3, 4], seed: 67), memory = randn([2, 4], seed: 68)
        let problems = check.mismatches(inputs: [x], parameters: store) { t, v in
            mha(v[0], memory: t.constant(memory), mask: mask)
        }
        #expect(problems.count == 0, "gradient mismatches: \(problems.prefix(6))")
        check.check(inputs: [x], parameters: store) { _, v in mha(v[0]) }
        let tape = Tape(parameters: store)
        let mv = tape.variable(memory)
        let g = tape.backward(mha(tape.variable(x), memory: mv, mask: mask).sum())
        #expect(g[mv] == Tensor(zeros: [2, 4]), "memory is a constant (stop-gradient)")
    }

    /// Segment attention over a whole sequence equals calling the layer segment by segment with
    /// the previous segment's input as memory (Transformer-XL), forward and backward — including a
    /// short last segment — and gives the same result on one thread and on two.
    @Test func segmentedAttentionMatchesSegmentBySegment() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 71)
        let mha = MultiHeadAttention("mha", modelSize: 4, heads: 2, parameters: &store, generator: &rng)
        let x = randn([7, 4], seed: 72)
        func bySegments(_ v: Var) -> Var {
            var outputs: [Var] = []
            var memory: Var? = nil
            for start in stride(from: 0, to: 7, by: 3) {
                let segment = v.slice(axis: 0, range: start..<min(7, start + 3))
                outputs.append(mha(segment, memory: memory))
                memory = segment
            }
            return Var.concat(outputs, axis: 0)
        }
        let tape = Tape(parameters: store, recording: false)
        let reference = bySegments(tape.variable(x)).value
        for threads in [1, 2] {
            let whole = mha.segmented(tape.variable(x), segment: 3, threads: threads).value
            for i in 0..<whole.count { #expect(abs(whole.scalars[i] - reference.scalars[i]) < 1e-5, "threads \(threads), element \(i)") }
        }
        // Finite differences cannot see a stopped gradient, so: the weights' gradients (a weight
        // change moves memory and own keys alike), and the input's with one segment (no memory).
        for threads in [1, 2] {
            check.check(inputs: [], parameters: store) { t, _ in mha.segmented(t.constant(x), segment: 3, threads: threads) }
            check.check(inputs: [x], parameters: store) { _, v in mha.segmented(v[0], segment: 8, threads: threads) }
        }
        // The gradients equal those of the segment-by-segment form.
        let a = Tape(parameters: store), b = Tape(parameters: store)
        let xa = a.variable(x), xb = b.variable(x)
        let ga = a.backward(mha.segmented(xa, segment: 3).square().sum()), gb = b.backward(bySegments(xb).square().sum())
        for i in 0..<x.count { #expect(abs(ga[xa].scalars[i] - gb[xb].scalars[i]) < 1e-4, "input gradient \(i)") }
        for name in store.names {
            let (u, w) = (ga.parameters[name]!, gb.parameters[name]!)
            for i in 0..<u.count { #expect(abs(u.scalars[i] - w.scalars[i]) < 1e-4, "\(name)[\(i)]") }
        }
    }
}
