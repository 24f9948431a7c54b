import MoegcNN
import MoegcSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock seconds from a monotonic clock.
private func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Milliseconds with one decimal.
private func ms(_ seconds: Double) -> String { "\((seconds * 1e4).rounded() / 10)" }
/// A ratio with one decimal.
private func ratio(_ r: Double) -> String { "\((r * 10).rounded() / 10)" }

/// Size-realistic runs: a 2-layer GAT (hidden 64 = 4 heads × 16) over 10k nodes and 30k edges, and
/// a Transformer-XL style attention segment. They check the results are sound and print timings,
/// side by side with the time the same layer's dense matmuls alone take (its sgemm floor), so the
/// ratio means something on a noisy machine. Build with `-c release` for meaningful numbers.
@Suite struct PerformanceTests {
    init() {
        // The configuration a training run uses (see `Allocator`); applying it twice is harmless.
        #expect(Allocator.reuseLargeBuffers())
    }

    @Test func twoLayerGATForwardBackwardOn10kNodes() {
        let n = 10_000, e = 30_000, featureSize = 16
        var rng = SeededGenerator(seed: 90)
        let sources = (0..<e).map { _ in Int32(rng.nextInt(below: n)) }
        let targets = (0..<e).map { _ in Int32(rng.nextInt(below: n)) }
        let edges = EdgeList(sources: sources, targets: targets, nodeCount: n)
        var store = ParameterStore()
        let g1 = GATLayer("g1", inputSize: featureSize, heads: 4, headSize: 16, activation: .relu,
                          parameters: &store, generator: &rng)
        let g2 = GATLayer("g2", inputSize: 64, heads: 4, headSize: 16, activation: .relu,
                          parameters: &store, generator: &rng)
        let features = Tensor.normal(shape: [n, featureSize], using: &rng)

        // Best of five, GAT and its dense floor interleaved so both see the same machine load.
        // The floor: the same six projections forward (x·W) and backward (dW and dx) alone.
        var best = Double.infinity, floor = Double.infinity
        for _ in 0..<5 {
            var start = now()
            let tape = Tape(parameters: store)
            let h = g2(g1(tape.constant(features), edges: edges), edges: edges)
            let loss = h.square().mean()
            let grads = tape.backward(loss).parameters
            best = min(best, now() - start)
            #expect(loss.value.scalar.isFinite && loss.value.scalar > 0)
            #expect(grads.names.count == store.count)
            let norm = grads.globalNorm()
            #expect(norm.isFinite && norm > 0)

            start = now()
            let dense = Tape(parameters: store)
            for (layer, width) in [("g1", featureSize), ("g2", 64)] {
                let x = dense.variable(Tensor(repeating: 0.5, shape: [n, width]))
                for name in ["\(layer).self.weight", "\(layer).in.weight", "\(layer).out.weight"] {
                    _ = dense.backward(x.matmul(dense.parameter(name)))
                }
            }
            floor = min(floor, now() - start)
        }
        print("GAT 2×64, \(n) nodes, \(e) edges: forward+backward \(ms(best)) ms; "
              + "dense matmuls alone \(ms(floor)) ms; ratio \(ratio(best / floor))")
    }

    @Test func segmentAttentionWithMemory() {
        // Segment of 256 nodes, memory of 256, width 64, 8 heads, 3 layers: one placer segment.
        var rng = SeededGenerator(seed: 91)
        var store = ParameterStore()
        let layers = (0..<3).map {
            MultiHeadAttention("l\($0)", modelSize: 64, heads: 8, parameters: &store, generator: &rng)
        }
        let x = Tensor.normal(shape: [256, 64], using: &rng)
        let memory = Tensor.normal(shape: [256, 64], using: &rng)
        let mask = AttentionMask.causal(queryCount: 256, memoryCount: 256)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = now()
            let tape = Tape(parameters: store)
            var h = tape.constant(x)
            for layer in layers { h = h + layer(h, memory: tape.constant(memory), mask: mask) }
            let loss = h.square().mean()
            let grads = tape.backward(loss).parameters
            best = min(best, now() - start)
            #expect(grads.globalNorm().isFinite)
        }
        print("3-layer MHA, segment 256 + memory 256, d 64, 8 heads: forward+backward "
              + "\(ms(best)) ms")
    }
}
