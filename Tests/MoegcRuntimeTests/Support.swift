import MoegcIR
import MoegcPasses
import MoegcRuntime
import MoegcSupport

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// Parses, infers shapes and lowers `text` (training mode unless `training` is false).
func lowered(_ text: String, training: Bool = true, seed: UInt64 = 0) throws -> Graph {
    var g = try Frontend.load(bytes: Array(text.utf8), path: "test.graph")
    try Lowering.run(&g, PassOptions(file: "test.graph", training: training, seed: seed), verify: true)
    return g
}

/// Seeded N(0, std²) floats.
func randomFloats(_ count: Int, std: Float = 1, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in std * Float(g.nextNormal()) }
}

/// Random inputs for every graph input: token ids below `vocab` for integer inputs, N(0,1) floats otherwise.
func randomInputs(_ g: Graph, vocab: Int, seed: UInt64) -> [HostTensor] {
    var gen = SeededGenerator(seed: seed)
    return g.inputs.map { v in
        let t = g.type(of: v)
        let n = t.elementCount ?? 0
        if t.dtype == .i32 { return HostTensor(t.shape, ints: (0..<n).map { _ in Int32(gen.nextInt(below: vocab)) }) }
        return HostTensor(t.shape, floats: (0..<n).map { _ in Float(gen.nextNormal()) })
    }
}

/// max |a − b| over elements, relative to the largest |b| (at least 1e-30).
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-30)
    return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
}
