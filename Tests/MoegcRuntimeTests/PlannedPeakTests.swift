import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcRuntime
import MoegcSim
import MoegcSupport
import Testing

/// A plan's memory verdict holds (issue 19): on every device the runtime's measured peak of live
/// bytes stays within the simulator's planned peak (which also counts the weights the runtime keeps
/// apart), for every tiny model under random placements — random devices per fused task on 1 to 5
/// devices, ordered by b-level — and under each heuristic. Graph inputs count too: each device that
/// reads one holds a copy.
struct PlannedPeakTests {
    /// The devices drawn for one placement.
    struct Given: Placer {
        let devices: [Int32]
        let name = "given"
        let summary = "the devices drawn"
        func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { devices }
    }

    static let placementsPerGraph = 20

    static func cluster(_ devices: Int) throws -> Cluster {
        try Cluster.parse("""
            cluster c
            kind k flops=100GFLOP/s membw=20GB/s memory=4GB launch=1us
            host h0
            device d count=\(devices) kind=k link=10GB/s latency=1us

            """)
    }

    static func check(_ placed: PlacedProblem, inputs: [HostTensor], _ what: String) throws {
        let plan = try CompiledPlan(placed, placer: what, source: what, seed: 3, training: true)
        let step = try Runtime(plan: plan.execution, seed: 3).run(inputs)
        for d in 0..<plan.execution.deviceCount {
            #expect(step.peakBytes[d] <= plan.peakMemory[d], "\(what): device \(d) measured \(step.peakBytes[d]) > planned \(plan.peakMemory[d])")
        }
    }

    @Test(arguments: InterpreterTests.tinyGraphs)
    func measuredPeaksStayWithinPlannedPeaks(_ file: String) throws {
        let source = try Frontend.load(path: repoRoot + "/graphs/" + file)
        var g = source
        try Lowering.run(&g, PassOptions(training: true))
        try PassManager(PassRegistry.Pipeline.fusion.passes).run(&g, PassOptions(training: true))
        let inputs = randomInputs(g, vocab: InterpreterTests.vocabulary(source), seed: 5)
        var rng = SeededGenerator(seed: UInt64(file.utf8.count) + 17)
        for p in 0..<Self.placementsPerGraph {
            let problem = try PlacementProblem(graph: g, cluster: try Self.cluster(1 + rng.nextInt(below: 5)))
            let devices = (0..<problem.taskCount).map { _ in Int32(rng.nextInt(below: problem.deviceCount)) }
            try Self.check(try problem.place(with: Given(devices: devices)), inputs: inputs, "\(file) random placement \(p)")
        }
        let problem = try PlacementProblem(graph: g, cluster: try Self.cluster(4))
        for name in Placers.startingNames {
            try Self.check(try problem.place(with: try Placers.make(name, seed: 1)), inputs: inputs, "\(file) \(name)")
        }
    }

    /// The case: a 16 MB input (and its 16 MB result) on a 19 MiB device is out of memory,
    /// not "planned 15.26 MiB".
    @Test func aGraphInputCountsInItsReadersDevice() throws {
        var g = try Frontend.load(bytes: Array("graph g (%x: f32[4000000]) -> (%y) {\n  %y = relu(%x)\n}\n".utf8), path: "<test>")
        try Lowering.run(&g, PassOptions(training: false))
        let small = try Cluster.parse("cluster s\nkind k flops=1TFLOP/s membw=10GB/s memory=19MiB\ndevice d kind=k link=1GB/s\n")
        let problem = try PlacementProblem(graph: g, cluster: small)
        #expect(problem.costGraph.graphInputBytes == [16_000_000])
        #expect(throws: PlacementError.self) { try problem.place(with: SingleDevicePlacer()) }
        let roomy = try PlacementProblem(graph: g, cluster: try Self.cluster(1))
        let placed = try roomy.place(with: SingleDevicePlacer())
        #expect(placed.evaluation.report.peakMemory[0] == 32_000_000)
        try Self.check(placed, inputs: [HostTensor([4_000_000], floats: [Float](repeating: 1, count: 4_000_000))], "relu")
    }
}
