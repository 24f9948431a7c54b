import MoegcNN
import MoegcSupport
import Testing

/// Adam, clipping, determinism, save/load, and small end-to-end learning problems.
@Suite struct TrainingTests {
    /// f(p) = Σ c_i (p_i − t_i)², a convex quadratic with minimum at t.
    func quadraticLoss(_ tape: Tape, target: Tensor, curvature: Tensor) -> Var {
        ((tape.parameter("p") - tape.constant(target)).square() * tape.constant(curvature)).sum()
    }

    @Test func adamConvergesOnConvexQuadratic() {
        var store = ParameterStore()
        store.add("p", Tensor(zeros: [5]))
        let target = Tensor(shape: [5], scalars: [1, -2, 0.5, 3, -0.25])
        let curvature = Tensor(shape: [5], scalars: [1, 10, 0.1, 2, 5])
        var adam = Adam(AdamConfig(learningRate: 0.05))
        var last: Float = .infinity
        for _ in 0..<2000 {
            let tape = Tape(parameters: store)
            let loss = quadraticLoss(tape, target: target, curvature: curvature)
            last = loss.value.scalar
            adam.step(&store, gradients: tape.backward(loss).parameters)
        }
        #expect(last < 1e-4)
        #expect(close(store["p"]!, target, 1e-2))
        #expect(adam.stepCount == 2000)
    }

    @Test func gradientClippingCapsTheGlobalNorm() {
        var grads = ParameterGradients(["a": Tensor(shape: [2], scalars: [3, 0]),
                                        "b": Tensor(shape: [1], scalars: [4])])
        #expect(grads.globalNorm() == 5)
        let before = grads.clip(toGlobalNorm: 1)
        #expect(before == 5)
        #expect(abs(grads.globalNorm() - 1) < 1e-6)
        #expect(close(grads["a"]!, Tensor(shape: [2], scalars: [0.6, 0])))
        let unchanged = grads
        grads.clip(toGlobalNorm: 10)
        #expect(grads == unchanged, "gradients within the bound are left alone")
    }

    @Test func adamReportsAndAppliesClipping() {
        // With clipping, the first Adam step is the same (m̂/√v̂ = ±1 per element) but the moments
        // hold the clipped gradient: check through the second-moment state.
        var store = ParameterStore()
        store.add("w", Tensor(shape: [2], scalars: [0, 0]))
        let grads = ParameterGradients(["w": Tensor(shape: [2], scalars: [30, -40])])
        var adam = Adam(AdamConfig(learningRate: 0.1, maxGradientNorm: 5))
        let report = adam.step(&store, gradients: grads)
        #expect(report.clipped && report.gradientNorm == 50)
        let v = adam.secondMoments["w"]!
        #expect(close(v, Tensor(shape: [2], scalars: [0.001 * 9, 0.001 * 16]), 1e-4))
        #expect(close(store["w"]!, Tensor(shape: [2], scalars: [-0.1, 0.1]), 1e-4))
        var unclipped = Adam(AdamConfig(learningRate: 0.1, maxGradientNorm: 100))
        #expect(!unclipped.step(&store, gradients: grads).clipped)
    }

    @Test func weightDecayShrinksParametersWithoutGradientSignal() {
        var store = ParameterStore()
        store.add("w", Tensor(shape: [1], scalars: [2]))
        var adam = Adam(AdamConfig(learningRate: 0.1, weightDecay: 0.5))
        adam.step(&store, gradients: ParameterGradients(["w": Tensor(shape: [1], scalars: [0])]))
        #expect(abs(store["w"]!.scalar - (2 - 0.1 * 0.5 * 2)) < 1e-6)
    }

    func makeModel(seed: UInt64) -> (ParameterStore, GATLayer, MultiHeadAttention) {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: seed)
        let gat = GATLayer("enc", inputSize: 3, heads: 2, headSize: 4, activation: .relu,
                           parameters: &store, generator: &rng)
        let mha = MultiHeadAttention("placer", modelSize: 8, heads: 2, parameters: &store, generator: &rng)
        return (store, gat, mha)
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() {
        let a = makeModel(seed: 5).0, b = makeModel(seed: 5).0, c = makeModel(seed: 6).0
        #expect(a.serialized() == b.serialized())
        #expect(a.serialized() != c.serialized())
        #expect(a.names == a.names.sorted() && a.count == 16)
    }

    @Test func saveLoadRoundTripGivesIdenticalBytesAndOutputs() throws {
        let (store, gat, mha) = makeModel(seed: 9)
        let bytes = store.serialized()
        let restored = try ParameterStore(serialized: bytes)
        #expect(restored == store)
        #expect(restored.serialized() == bytes)
        var fresh = makeModel(seed: 10).0
        try fresh.load(restored)
        #expect(fresh.serialized() == bytes)

        let edges = EdgeList(sources: [0, 1, 2, 3], targets: [1, 2, 3, 0], nodeCount: 4)
        let x = randn([4, 3], seed: 11)
        func run(_ s: ParameterStore) -> Tensor {
            let tape = Tape(parameters: s, recording: false)
            let h = gat(tape.constant(x), edges: edges)
            return mha(h, mask: AttentionMask.causal(queryCount: 4)).value
        }
        #expect(run(store) == run(fresh))
    }

    @Test func loadRejectsMismatchedStores() {
        var store = makeModel(seed: 1).0
        var other = ParameterStore()
        other.add("enc.self.weight", Tensor(zeros: [3, 8]))
        #expect(throws: NNError.self) { try store.load(other) }
        var wrongShape = ParameterStore()
        for entry in store.namedTensors {
            wrongShape.add(entry.name, entry.name == "enc.self.bias" ? Tensor(zeros: [9]) : entry.tensor)
        }
        do {
            try store.load(wrongShape)
            Issue.record("a shape mismatch must throw")
        } catch {
            #expect(error.code == .shapeMismatch)
        }
    }

    @Test func malformedArchivesThrow() {
        let bytes = makeModel(seed: 2).0.serialized()
        for cut in [0, 3, 8, 20, bytes.count - 1] {
            #expect(throws: NNError.self) { try ParameterStore(serialized: Array(bytes[..<cut])) }
        }
        var corrupted = bytes
        corrupted[0] = UInt8(ascii: "X")
        do {
            _ = try ParameterStore(serialized: corrupted)
            Issue.record("bad magic must throw")
        } catch {
            #expect(error.code == .malformedArchive)
        }
        #expect(throws: NNError.self) { try ParameterStore(serialized: bytes + [0]) }
    }

    @Test func archiveLayoutIsLittleEndianAndNameOrdered() throws {
        var store = ParameterStore()
        store.add("z", Tensor(shape: [1], scalars: [1]))
        store.add("a", Tensor(shape: [2], scalars: [-2, 0.5]))
        let bytes = store.serialized()
        #expect(Array(bytes[0..<8]) == Array("MGNN".utf8) + [1, 0, 0, 0])
        // no integers, then two tensors, "a" first: name length 1, "a", rank 1, extent 2, values.
        #expect(Array(bytes[8..<22]) == [0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, UInt8(ascii: "a"), 1])
        #expect(Array(bytes[25..<33]) == [2, 0, 0, 0, 0, 0, 0, 0])   // u64 extent
        #expect(Array(bytes[33..<37]) == [0, 0, 0, 0xC0])   // −2.0f
        let archive = try TensorArchive(decoding: bytes)
        #expect(archive.tensors.map(\.name) == ["a", "z"] && archive.tensors[0].values == [-2, 0.5])
    }

    @Test func adamStateRoundTripResumesIdentically() throws {
        let (initial, gat, _) = makeModel(seed: 3)
        let edges = EdgeList(sources: [0, 1, 2, 2], targets: [1, 2, 0, 3], nodeCount: 4)
        let x = randn([4, 3], seed: 4), target = randn([4, 8], seed: 5)
        func train(_ store: inout ParameterStore, _ adam: inout Adam, steps: Int) {
            for _ in 0..<steps {
                let tape = Tape(parameters: store)
                let loss = gat(tape.constant(x), edges: edges).meanSquaredError(tape.constant(target))
                adam.step(&store, gradients: tape.backward(loss).parameters)
            }
        }
        let config = AdamConfig(learningRate: 0.01, maxGradientNorm: 1)
        var straight = initial, adamStraight = Adam(config)
        train(&straight, &adamStraight, steps: 6)

        var resumed = initial, adamFirst = Adam(config)
        train(&resumed, &adamFirst, steps: 3)
        let saved = (resumed.serialized(), adamFirst.state.encoded())
        var reloaded = try ParameterStore(serialized: saved.0)
        var adamReloaded = try Adam(config, restoring: TensorArchive(decoding: saved.1))
        #expect(adamReloaded == adamFirst)
        train(&reloaded, &adamReloaded, steps: 3)
        #expect(reloaded.serialized() == straight.serialized())
        #expect(adamReloaded.stepCount == 6)
    }

    @Test func mlpLearnsXOR() {
        var store = ParameterStore()
        var rng = SeededGenerator(seed: 12)
        let mlp = MLP("xor", sizes: [2, 8, 1], activation: .tanh, parameters: &store, generator: &rng)
        let x = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let y = Tensor(shape: [4, 1], scalars: [0, 1, 1, 0])
        var adam = Adam(AdamConfig(learningRate: 0.05))
        var loss: Float = .infinity
        for _ in 0..<500 {
            let tape = Tape(parameters: store)
            let l = mlp(tape.constant(x)).meanSquaredError(tape.constant(y))
            loss = l.value.scalar
            adam.step(&store, gradients: tape.backward(l).parameters)
        }
        #expect(loss < 0.01)
        let prediction = mlp(Tape(parameters: store, recording: false).constant(x)).value
        #expect(prediction.scalars.map { $0 > 0.5 } == [false, true, true, false])
    }

    @Test func gatLearnsToClassifyNodesByNeighbourhood() {
        // Nodes on a ring; label = whether the in-neighbour's feature is positive. A node's own
        // feature carries no signal, so only attention over in-edges can solve it.
        var rng = SeededGenerator(seed: 13)
        let n = 24
        let features = Tensor(shape: [n, 1], scalars: (0..<n).map { _ in rng.nextFloat() * 2 - 1 })
        let edges = EdgeList(sources: (0..<n).map { Int32($0) }, targets: (0..<n).map { Int32(($0 + 1) % n) },
                             nodeCount: n)
        let labels = (0..<n).map { Int32(features[($0 + n - 1) % n, 0] > 0 ? 1 : 0) }
        var store = ParameterStore()
        let gat = GATLayer("g", inputSize: 1, heads: 2, headSize: 4, activation: .tanh,
                           parameters: &store, generator: &rng)
        let head = Linear("head", inputSize: 8, outputSize: 2, parameters: &store, generator: &rng)
        var adam = Adam(AdamConfig(learningRate: 0.02))
        var accuracy = 0.0
        for _ in 0..<300 {
            let tape = Tape(parameters: store)
            let logits = head(gat(tape.constant(features), edges: edges))
            let loss = -logits.logSoftmax().pick(labels).mean()
            let predicted = (0..<n).map { logits.value[$0, 1] > logits.value[$0, 0] ? Int32(1) : 0 }
            accuracy = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(n)
            adam.step(&store, gradients: tape.backward(loss).parameters)
        }
        #expect(accuracy >= 0.95)
    }
}
