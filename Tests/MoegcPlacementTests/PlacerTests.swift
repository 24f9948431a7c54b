import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import Testing

/// Every heuristic placer on the tiny models: valid, feasible, deterministic.
struct PlacerTests {
    static let tinyModels = ["tiny-moe.graph", "tiny-hmoe.graph", "tiny-switch.graph", "tiny-translation.graph"]

    static func problem(_ file: String, cluster: String = "k40x4") throws -> PlacementProblem {
        try PlacementProblem(graph: try Fixture.lowered(file), cluster: try #require(Cluster.preset(cluster)))
    }

    @Test(arguments: Placers.names)
    func everyPlacerGivesAValidFeasiblePlacement(_ name: String) throws {
        for file in PlacerTests.tinyModels {
            let problem = try PlacerTests.problem(file)
            let placer = try Placers.make(name, seed: 7, budget: 20)
            let evaluation = try problem.place(with: placer).evaluation
            let s = evaluation.placement.schedule
            #expect(s.problem(taskCount: problem.taskCount, deviceCount: problem.deviceCount) == nil)
            #expect(evaluation.report.isFeasible)
            #expect(evaluation.report.makespan >= problem.bounds.best.seconds * (1 - 1e-12), "\(name) on \(file)")
            #expect(evaluation.ratio >= 1 - 1e-12)
            // Same seed, same devices and orders.
            let again = try problem.place(with: try Placers.make(name, seed: 7, budget: 20)).evaluation
            #expect(again.placement == evaluation.placement, "\(name) is deterministic on \(file)")
            #expect(again.report.makespan == evaluation.report.makespan)
        }
    }

    @Test func singleDevicePutsEverythingOnTheFastestDevice() throws {
        let problem = try PlacerTests.problem("tiny-moe.graph", cluster: "hetero4")
        let devices = try SingleDevicePlacer().place(problem)
        #expect(Set(devices) == [0]) // v100-0 is the fastest; ties go to the lower index
    }

    @Test func roundRobinDealsTasksInTopologicalOrder() throws {
        let problem = try PlacerTests.problem("tiny-moe.graph")
        let devices = try RoundRobinPlacer().place(problem)
        for (i, t) in problem.costGraph.topologicalOrder.enumerated() { #expect(Int(devices[Int(t)]) == i % 4) }
    }

    @Test func expertParallelPutsExpertEOnDeviceEModD() throws {
        let problem = try PlacerTests.problem("tiny-moe.graph") // 8 experts, 4 devices
        let devices = try ExpertParallelPlacer().place(problem)
        var seen = Set<Int32>()
        for t in 0..<problem.taskCount where problem.taskExpert[t] >= 0 {
            let members = problem.tasks.members(of: t).map { problem.graph.nodes[Int($0)].op }
            if members.contains(.moe_dispatch) {
                // The row selector stays with the rows it selects from (the gate's device).
                #expect(devices[t] == 0)
            } else {
                #expect(Int(devices[t]) == Int(problem.taskExpert[t]) % 4)
                seen.insert(problem.taskExpert[t])
            }
        }
        #expect(seen == Set(0..<8))
        for t in 0..<problem.taskCount where problem.taskExpert[t] < 0 { #expect(devices[t] == 0) }
    }

    @Test func expertParallelPutsGroupGOnDeviceGModD() throws {
        let problem = try PlacerTests.problem("tiny-hmoe.graph")
        let devices = try ExpertParallelPlacer().place(problem)
        var groups = Set<Int32>()
        for t in 0..<problem.taskCount where problem.taskMoEGroup[t] >= 0 {
            let ops = problem.tasks.members(of: t).map { problem.graph.nodes[Int($0)].op }
            let selector = ops.contains(.moe_dispatch) || ops.contains(.moe_segment)
            if !selector || problem.taskExpert[t] >= 0 {
                #expect(Int(devices[t]) == Int(problem.taskMoEGroup[t]) % 4)
                groups.insert(problem.taskMoEGroup[t])
            }
        }
        #expect(groups.count == 2)
    }

    @Test func infeasibleMemoryIsRejectedNamingTheDeviceAndBytes() throws {
        // Two devices of 40 KiB: tiny-moe's weights (~60 KiB with the embedding and softmax) fit in all,
        // not on one.
        let cluster = try Cluster.parse("""
            cluster tight
            kind small flops=1TFLOP/s membw=100GB/s memory=40KiB launch=1us
            host h
            device d count=2 kind=small link=10GB/s latency=1us

            """)
        let problem = try PlacementProblem(graph: try Fixture.lowered("tiny-moe.graph"), cluster: cluster)
        #expect(problem.weights.reduce(0, +) > 40 * 1024)
        do {
            _ = try problem.place(with: SingleDevicePlacer())
            Issue.record("single device should not fit")
        } catch {
            guard case .outOfMemory(let device, let name, let bytes, let capacity, _) = error else {
                Issue.record("expected out of memory, got \(error)")
                return
            }
            #expect(device == 0 && name == "d0" && capacity == 40 * 1024 && bytes > capacity)
            #expect(error.description.contains("device 0 'd0' is out of memory"))
        }
        // A cluster too small for the weights altogether: no placer is even tried.
        let tiny = try Cluster.parse("""
            cluster tiny
            kind small flops=1TFLOP/s membw=100GB/s memory=4KiB
            device d count=2 kind=small link=10GB/s

            """)
        let none = try PlacementProblem(graph: try Fixture.lowered("tiny-moe.graph"), cluster: tiny)
        #expect(throws: PlacementError.self) { try none.place(with: METFPlacer()) }
    }

    /// Local search returns its start's placement and order when it finds nothing better — also
    /// from m-ETF and HEFT, whose orders are their planned start times, not b-level (it once
    /// re-ordered them by b-level and ended slower than it began).
    @Test func localSearchIsNeverWorseThanItsStart() throws {
        for file in ["tiny-moe.graph", "tiny-hmoe.graph", "tiny-switch.graph"] {
            for cluster in ["k40x4", "k40x16"] {
                let problem = try PlacerTests.problem(file, cluster: cluster)
                for start in Placers.startingNames {
                    let base = try problem.place(with: try Placers.make(start, seed: 3)).evaluation.report.makespan
                    for budget in [0, 1, 40] {
                        let ls = try Placers.make("local-search", start: start, seed: 3, budget: budget)
                        let improved = try problem.place(with: ls).evaluation.report.makespan
                        #expect(improved <= base, "\(start) on \(file), \(cluster), budget \(budget)")
                        if budget == 0 { #expect(improved == base, "\(start) on \(file): no search keeps the start") }
                    }
                }
            }
        }
    }

    @Test func metisSpreadsComputeAndCutsFewBytes() throws {
        let problem = try PlacerTests.problem("tiny-switch.graph")
        let devices = try METISPlacer(seed: 1).place(problem)
        #expect(Set(devices).count > 1, "METIS uses more than one device")
        // Fewer bytes cross devices than with round-robin.
        func cut(_ d: [Int32]) -> Int {
            let g = problem.costGraph
            var bytes = 0
            for v in 0..<g.valueCount {
                let p = d[Int(g.valueProducer[v])]
                if g.consumers(of: v).contains(where: { d[Int($0)] != p }) { bytes += g.valueBytes[v] }
            }
            return bytes
        }
        #expect(cut(devices) < cut(try RoundRobinPlacer().place(problem)))
    }

    @Test func unknownPlacerIsAnError() {
        #expect(throws: PlacementError.self) { try Placers.make("magic") }
        #expect(throws: PlacementError.self) { try Placers.make("local-search", start: "local-search") }
    }
}
