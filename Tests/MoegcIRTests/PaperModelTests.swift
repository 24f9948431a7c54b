import MoegcIR
import MoegcPasses
import Testing

/// Tables 7 and 8 of Shazeer et al. (2017): parameters excluding embedding and softmax, and
/// multiply-adds per timestep, each within 1% (the tolerance; the paper rounds to 0.1M).
struct PaperModelTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var file: String
        var params: Double
        var ops: Double?
        var testDescription: String { file }
    }

    static let rows: [Row] = [
        Row(file: "lstm-4x512.graph", params: 8.4e6, ops: 8.4e6),
        Row(file: "moe-4.graph", params: 8.4e6, ops: 8.4e6),
        Row(file: "moe-32.graph", params: 37.8e6, ops: 8.4e6),
        Row(file: "moe-256.graph", params: 272.9e6, ops: 8.6e6),
        Row(file: "moe-256-h.graph", params: 272.9e6, ops: 8.4e6),
        Row(file: "moe-1024-h.graph", params: 1079.0e6, ops: 8.5e6),
        Row(file: "moe-4096-h.graph", params: 4303.4e6, ops: 8.9e6),
        Row(file: "moe-16384-h.graph", params: 17201.0e6, ops: 8.8e6),
        Row(file: "moe-65536-h.graph", params: 68791.0e6, ops: 9.2e6),
        Row(file: "moe-131072-h.graph", params: 137577.6e6, ops: 9.7e6),
    ]

    @Test(arguments: rows)
    func countsMatchThePaper(_ row: Row) throws {
        let stats = ModelStatistics(try Frontend.load(path: graphPath(row.file)))
        let p = Double(stats.paperParameters)
        #expect(abs(p - row.params) / row.params <= 0.01, "params \(p) vs paper \(row.params)")
        if let ops = row.ops {
            #expect(abs(stats.opsPerTimestep - ops) / ops <= 0.01, "ops/timestep \(stats.opsPerTimestep) vs paper \(ops)")
        }
    }

    /// The translation model: 8.7B parameters in all (the paper's figure includes its embeddings).
    @Test func translationModelSize() throws {
        let stats = ModelStatistics(try Frontend.load(path: graphPath("moe-translation.graph")))
        #expect(abs(Double(stats.parameters) - 8.7e9) / 8.7e9 <= 0.01, "\(stats.parameters)")
        #expect(stats.opCounts["hmoe"] == 2)
    }

    /// The MoE-4 parameter count by hand: 2 LSTMs of 4·(512+512)·512 weights + 2048 biases,
    /// 4 experts of 2·512·1024, and the gate and noise matrices 2·512·4.
    @Test func moe4ExactCount() throws {
        let stats = ModelStatistics(try Frontend.load(path: graphPath("moe-4.graph")))
        let lstm = 4 * 1024 * 512 + 2048
        #expect(stats.paperParameters == 2 * lstm + 4 * 2 * 512 * 1024 + 2 * 512 * 4)
        // Per token: the LSTMs' multiply-adds, all 4 experts (k = 4), the two gate matmuls.
        #expect(stats.opsPerTimestep == Double(2 * 4 * 1024 * 512 + 4 * 2 * 512 * 1024 + 2 * 512 * 4))
    }

    /// The 137B model stays small in memory: parameters are shapes, not data.
    @Test func largestModelIsShapesOnly() throws {
        let g = try Frontend.load(path: graphPath("moe-131072-h.graph"))
        #expect(g.nodes.count < 20)
        let stats = ModelStatistics(g)
        #expect(stats.parameters > 137_000_000_000)
    }

    /// A profiled graph's opaque ops declare their weights in bytes: they count in the weight bytes,
    /// and as f32 parameters (bytes / 4), beside a param's own.
    @Test func opaqueWeightsCountInTheSummary() throws {
        let g = try Frontend.load(bytes: Array("""
            graph p (%x: f32[8]) -> (%z) {
              %w = param() {init = normal} : f32[8]
              %y = opaque(%x) {flops = 10, weights = 4000} : f32[8]
              %z = opaque(%y, %w) {flops = 10, weights = 1e6} : f32[8]
            }

            """.utf8), path: "p.graph")
        let stats = ModelStatistics(g)
        #expect(stats.weightBytes == 32 + 4000 + 1_000_000)
        #expect(stats.parameters == 8 + 1000 + 250_000)
    }

    /// `--batch` re-sizes the graph through its named dimensions; per-token counts do not change.
    @Test func batchOverride() throws {
        let g = try Frontend.load(path: graphPath("moe-32.graph"), overrides: ["batch": 7])
        #expect(g.symbol("batch") == 7)
        let stats = ModelStatistics(g)
        #expect(stats.tokens == 7 * 20)
        let ref = ModelStatistics(try Frontend.load(path: graphPath("moe-32.graph")))
        #expect(abs(stats.opsPerTimestep - ref.opsPerTimestep) < 1e-6 * ref.opsPerTimestep)
        #expect(stats.paperParameters == ref.paperParameters)
    }
}
