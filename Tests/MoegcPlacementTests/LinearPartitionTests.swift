import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import MoegcSupport
import Testing

/// The linear-order partition placer: optimal cuts of the topological order for its objective
/// (checked against every cut of small chains), memory limits respected, and never better than the
/// sweep's best (it is one of the sweep's placers).
@Suite struct LinearPartitionTests {
    /// A chain of opaque ops with the given flops and weights (bytes), each passing `activation`
    /// bytes to the next.
    static func chain(flops: [Double], weights: [Double], activation: Int = 4096) throws -> Graph {
        var text = "graph chain (%x: f32[\(activation / 4)]) -> (%y\(flops.count - 1)) {\n"
        for (i, f) in flops.enumerated() {
            let input = i == 0 ? "%x" : "%y\(i - 1)"
            text += "  %y\(i) = opaque(\(input)) {flops = \(f), weights = \(weights[i])} : f32[\(activation / 4)]\n"
        }
        return try Fixture.graph(text + "}\n")
    }

    static func cluster(devices: Int, memory: String) throws -> Cluster {
        try Cluster.parse("""
            cluster tight
            kind acc flops=1TFLOP/s membw=100GB/s memory=\(memory) launch=1us
            host h0
            device acc count=\(devices) kind=acc link=10GB/s latency=5us

            """)
    }

    /// The placer's objective for contiguous runs, computed independently: the roofline time of each
    /// run on its device, plus, at each cut, every value crossing it moved from the run before.
    static func objective(_ problem: PlacementProblem, devices: [Int32]) -> Double {
        let g = problem.costGraph, costs = problem.costs
        let order = g.topologicalOrder.map(Int.init)
        var total = 0.0
        for t in order { total += costs.time(of: t, in: g, on: Int(devices[t])) }
        var position = [Int](repeating: 0, count: problem.taskCount)
        for (p, t) in order.enumerated() { position[t] = p }
        for cut in 1..<order.count where devices[order[cut]] != devices[order[cut - 1]] {
            let from = Int(devices[order[cut - 1]]), to = Int(devices[order[cut]])
            for v in 0..<g.valueCount {
                let p = position[Int(g.valueProducer[v])]
                guard p < cut, g.consumers(of: v).contains(where: { position[Int($0)] >= cut }) else { continue }
                total += costs.transferTime(bytes: Double(g.valueBytes[v]), from: from, to: to)
            }
        }
        return total
    }

    /// Every placement of the chain into runs on devices 0, 1, … in order, whose weights fit.
    static func bruteForce(_ problem: PlacementProblem) -> Double {
        let order = problem.costGraph.topologicalOrder.map(Int.init), n = order.count, d = problem.deviceCount
        var best = Double.infinity
        func extend(_ devices: inout [Int32], _ at: Int, _ device: Int, _ load: Int) {
            if at == n {
                best = min(best, objective(problem, devices: devices))
                return
            }
            let t = order[at], w = problem.weights[t]
            // Stay on this device, or (after at least one task) open the next.
            if load + w <= problem.weightBudget(device) {
                devices[t] = Int32(device)
                extend(&devices, at + 1, device, load + w)
            }
            if at > 0 && device + 1 < d && w <= problem.weightBudget(device + 1) {
                devices[t] = Int32(device + 1)
                extend(&devices, at + 1, device + 1, w)
            }
        }
        var devices = [Int32](repeating: 0, count: problem.taskCount)
        extend(&devices, 0, 0, 0)
        return best
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func cutsAreOptimalForTheOrder(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let n = 9
        let flops = (0..<n).map { _ in Double(1 + rng.nextInt(below: 50)) * 1e8 }
        let weights = (0..<n).map { _ in Double(1 + rng.nextInt(below: 40)) * 1e6 }
        let problem = try PlacementProblem(graph: try Self.chain(flops: flops, weights: weights),
                                           cluster: try Self.cluster(devices: 4, memory: "100MB"))
        let optimum = Self.bruteForce(problem)
        guard optimum < .infinity else {
            #expect(throws: PlacementError.self) { try LinearPartitionPlacer().place(problem) }
            return
        }
        let devices = try LinearPartitionPlacer().place(problem)
        let order = problem.costGraph.topologicalOrder.map(Int.init)
        // Contiguous runs on devices in cluster order.
        for (a, b) in zip(order, order.dropFirst()) { #expect(devices[b] == devices[a] || devices[b] == devices[a] + 1) }
        #expect(devices[order[0]] == 0)
        var load = [Int](repeating: 0, count: problem.deviceCount)
        for t in 0..<problem.taskCount { load[Int(devices[t])] += problem.weights[t] }
        for d in 0..<problem.deviceCount { #expect(load[d] <= problem.weightBudget(d)) }
        let found = Self.objective(problem, devices: devices)
        #expect(abs(found - optimum) <= 1e-9 * optimum, "found \(found), optimum \(optimum)")
    }

    /// Weights too large for one device: the runs split over as few devices as hold them.
    @Test func memoryForcesTheFewestRunsThatFit() throws {
        let problem = try PlacementProblem(graph: try Self.chain(flops: Array(repeating: 1e9, count: 6),
                                                                 weights: Array(repeating: 40e6, count: 6)),
                                           cluster: try Self.cluster(devices: 4, memory: "100MB"))
        let devices = try LinearPartitionPlacer().place(problem)
        let perDevice = Double(problem.weightBudget(0))
        #expect(Set(devices).count == Int((6 * 40e6 / perDevice).rounded(.up)), "\(devices)")
        // And with room on one device, one run and no transfer.
        let roomy = try PlacementProblem(graph: problem.graph, cluster: try Self.cluster(devices: 4, memory: "1GB"))
        #expect(Set(try LinearPartitionPlacer().place(roomy)) == [0])
    }

    @Test func aTaskThatFitsNowhereIsAnError() throws {
        let problem = try PlacementProblem(graph: try Self.chain(flops: [1e9, 1e9], weights: [10e6, 500e6]),
                                           cluster: try Self.cluster(devices: 2, memory: "100MB"))
        #expect(throws: PlacementError.self) { try LinearPartitionPlacer().place(problem) }
    }

    /// The sweep's best is never slower than the linear partition, on the tiny models and on memory-
    /// tight chains (the linear placer is one of the sweep's rows).
    @Test func theSweepsBestIsNeverSlowerThanTheLinearPartition() throws {
        var problems = try PlacerTests.tinyModels.map { try PlacerTests.problem($0) }
        problems.append(try PlacementProblem(graph: try Self.chain(flops: (0..<12).map { Double($0 % 5 + 1) * 1e9 },
                                                                   weights: Array(repeating: 30e6, count: 12)),
                                             cluster: try Self.cluster(devices: 4, memory: "100MB")))
        for problem in problems {
            let rows = HeuristicSweep.run(problem, set: .all, seed: 1, budget: 20)
            let linear = try #require(rows.first { $0.placer == "linear" }?.placed).evaluation.report.makespan
            let best = try #require(HeuristicSweep.fastest(rows)?.placed).evaluation.report.makespan
            #expect(best <= linear, "\(problem.graph.name)")
        }
    }

    /// The profiled-latency graphs of graphs/profiled (models' ops timed on the runtime, written as
    /// opaque ops with their weights and colocate groups, on memory-tight clusters; make.py there
    /// regenerates them): the sweep places each within memory, its best is never slower than the
    /// linear partition, local search ends no slower than its start, and every colocate group (the
    /// readers of one weight) shares a device.
    @Test(arguments: ["transformer-xl-100", "gnmt-100", "switch-100"])
    func profiledGraphsPlaceWithinMemoryAndNeverTrailTheLinearPartition(_ name: String) throws {
        let dir = Fixture.root + "/graphs/profiled/"
        var compilation = try Compilation.load(path: dir + name + ".graph", options: Compilation.Options(training: false))
        try compilation.fuse()
        try compilation.adapt(to: try Cluster.load(dir + name + ".cluster"))
        let problem = try #require(compilation.problem)
        let rows = HeuristicSweep.run(problem, set: .all, seed: 1, budget: 30)
        let best = try #require(HeuristicSweep.fastest(rows)?.placed, "\(name): no placer fits")
        #expect(best.evaluation.report.isFeasible)
        if let linear = rows.first(where: { $0.placer == "linear" })?.placed {
            #expect(best.evaluation.report.makespan <= linear.evaluation.report.makespan, "\(name)")
        }
        let search = try #require(rows.last?.placed, "\(name): local search failed")
        let start = try #require(rows.first { rows.last!.label.hasSuffix("← " + $0.placer) }?.placed)
        #expect(search.evaluation.report.makespan <= start.evaluation.report.makespan, "\(name)")
        let graph = best.problem.graph, devices = best.evaluation.placement.nodeDevices(best.problem.tasks)
        var groupDevice: [String: Int32] = [:]
        for (i, node) in graph.nodes.enumerated() {
            guard let group = node.attributes["colocate"]?.stringValue else { continue }
            if let d = groupDevice[group] { #expect(d == devices[i], "\(name): colocate \(group) split") } else { groupDevice[group] = devices[i] }
        }
        // GNMT's LSTMs read each kernel at every step: those readers form colocate groups.
        if name == "gnmt-100" { #expect(groupDevice.count >= 4) }
    }
}
