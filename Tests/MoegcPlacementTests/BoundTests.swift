import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import MoegcSupport
import Testing

/// Lower bounds hold for every placement; the MoE all-to-all bound matches a hand computation.
struct BoundTests {
    @Test func simulatedStepIsAtLeastEveryBoundForRandomPlacements() throws {
        for file in ["tiny-moe.graph", "tiny-hmoe.graph"] {
            for preset in ["k40x4", "hetero4", "a100x2x8"] {
                let problem = try PlacementProblem(graph: try Fixture.lowered(file), cluster: try #require(Cluster.preset(preset)))
                var rng = SeededGenerator(seed: 11)
                var simulator = try Simulator(graph: problem.costGraph, cluster: problem.cluster)
                for trial in 0..<40 {
                    let devices = (0..<problem.taskCount).map { _ in Int32(rng.nextInt(below: problem.deviceCount)) }
                    let priority: PriorityRule = trial % 2 == 0 ? .bLevel
                        : .given((0..<problem.taskCount).map { _ in rng.nextDouble() })
                    let e = try Evaluation.run(problem, devices: devices, priority: priority, simulator: &simulator)
                    for b in problem.bounds.all {
                        #expect(e.report.makespan >= b.seconds * (1 - 1e-12), "\(file) on \(preset): \(b.name)")
                    }
                    // Same inputs, same report.
                    #expect(try Evaluation.run(problem, devices: devices, priority: priority, simulator: &simulator).report
                            == e.report)
                }
            }
        }
    }

    @Test func allToAllBoundForOneFlatMoEByHand() throws {
        // Two equal devices; one flat MoE of 4 experts, k = 2, over 64 rows of width 32, hidden 64.
        let text = """
            graph flat [rows = 64] (%in: f32[rows, 32]) -> (%y, %li, %ll) {
              %x = scale(%in) {factor = 1.0} : f32[rows, 32]
              %y, %li, %ll = moe(%x) {experts = 4, k = 2, hidden = 64, gating = softmax} : f32[rows, 32], f32[], f32[]
            }

            """
        var compilation = Compilation(source: try Fixture.graph(text), options: .init())
        try compilation.fuse()
        let graph = compilation.graph
        let cluster = try Cluster.parse("""
            cluster two
            kind k flops=1TFLOP/s membw=100GB/s memory=1GB launch=1us
            host h
            device d count=2 kind=k link=1GB/s latency=1us

            """)
        let problem = try PlacementProblem(graph: graph, cluster: cluster)
        let bound = try #require(problem.bounds.extra.first { $0.name == "moe-all-to-all" })
        // Each expert body: matmul+relu on 32 expected rows (64·2/4), then matmul. Its cheapest task
        // is the second matmul: max(2·32·64·32 flops / 1T, (32·64 + 64·32 + 32·32)·4 bytes / 100G) + 1 µs.
        let rows = 64.0 * 2 / 4
        let second = max(2 * rows * 64 * 32 / 1e12, (rows * 64 + 64 * 32 + rows * 32) * 4 / 100e9) + 1e-6
        let s = rows * 32 * 4, x = 64.0 * 32 * 4
        // min over r of max(r · t, min(|x|, (4 − r) · s) / 1 GB/s)
        let expected = (0...4).map { r in max(Double(r) * second, min(x, Double(4 - r) * s) / 1e9) }.min()!
        #expect(abs(bound.seconds - expected) <= 1e-12 * expected, "\(bound.seconds) vs \(expected)")
    }

    /// On a cluster of 2 fast and 8 slow devices (a tenth the speed at everything), the work bound
    /// divides by the devices' speeds (2 + 8 × 0.1), not their count, and still holds for every
    /// placer (the old count-based bound was 2.8 / 10 of it).
    @Test func workBoundWeighsDevicesBySpeed() throws {
        let cluster = try Cluster.parse("""
            cluster mixed
            kind fast flops=10TFLOP/s membw=1000GB/s memory=16GB launch=0us
            kind slow flops=1TFLOP/s membw=100GB/s memory=16GB launch=0us
            host h0
            device f count=2 kind=fast link=10GB/s latency=5us
            device s count=8 kind=slow link=10GB/s latency=5us

            """)
        let problem = try PlacementProblem(graph: try Fixture.lowered("tiny-switch.graph"), cluster: cluster)
        let g = problem.costGraph, costs = problem.costs
        let fastest = (0..<g.taskCount).reduce(0.0) { $0 + costs.fastestTime(of: $1, in: g) }
        #expect(abs(problem.bounds.work - fastest / 2.8) <= 1e-9 * problem.bounds.work)
        for name in Placers.startingNames {
            guard let placed = try? problem.place(with: try Placers.make(name)) else { continue }
            #expect(placed.evaluation.report.makespan >= problem.bounds.work * (1 - 1e-12), "\(name)")
        }
    }
}
