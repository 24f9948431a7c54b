@testable import MoegcSim
import MoegcSupport
import Testing

/// Random DAGs, placements and orders (seeded): the simulator must respect every lower bound, be
/// deterministic, balance its memory books, and report (never hang on) orders that deadlock.
@Suite struct SimulatorPropertyTests {
    static let clusters = ["k40x4", "hetero4", "k40x8", "cpu2", "a100x2x8"]

    struct Case {
        var graph: CostGraph
        var cluster: Cluster
        var placement: [Int]
        var priority: [Double]
    }

    static func makeCase(seed: UInt64) -> Case {
        var rng = SeededGenerator(seed: seed)
        let cluster = Cluster.preset(clusters[rng.nextInt(below: clusters.count)])!
        let tasks = 20 + rng.nextInt(below: 300)
        let graph = RandomGraphs.layered(tasks: tasks, width: 2 + rng.nextInt(below: 20),
                                         maxFanIn: 1 + rng.nextInt(below: 4), seed: rng.next())
        let placement = RandomGraphs.placement(tasks: tasks, deviceCount: cluster.deviceCount, seed: rng.next())
        return Case(graph: graph, cluster: cluster, placement: placement,
                    priority: RandomGraphs.priorities(tasks: tasks, seed: rng.next()))
    }

    @Test(arguments: 0..<40)
    func makespanRespectsEveryLowerBound(seed: UInt64) throws {
        let c = Self.makeCase(seed: seed)
        var simulator = try Simulator(graph: c.graph, cluster: c.cluster)
        let schedule = ListScheduler.schedule(graph: c.graph, placement: c.placement,
                                              deviceCount: c.cluster.deviceCount, priority: c.priority)
        let report = try simulator.run(schedule)
        let extra = NamedBound("largest-task", seconds: (0..<c.graph.taskCount).map {
            simulator.costs.fastestTime(of: $0, in: c.graph)
        }.max()!)
        let bounds = LowerBounds(graph: c.graph, cluster: c.cluster, extra: [extra])
        for b in bounds.all {
            #expect(report.makespan >= b.seconds * (1 - 1e-12), "\(b) exceeds makespan \(report.makespan)")
        }
        #expect(bounds.ratio(makespan: report.makespan) >= 1 - 1e-12)
        // The makespan is at least each device's busy time, and busy time adds up to the task times.
        let total = (0..<c.graph.taskCount).reduce(0.0) { $0 + simulator.costs.time(of: $1, in: c.graph, on: c.placement[$1]) }
        #expect(approximatelyEqual(report.deviceBusy.reduce(0, +), total))
        #expect(report.deviceBusy.allSatisfy { $0 <= report.makespan * (1 + 1e-12) })
    }

    @Test(arguments: 0..<20)
    func sameInputsGiveIdenticalResults(seed: UInt64) throws {
        let c = Self.makeCase(seed: seed)
        let schedule = ListScheduler.schedule(graph: c.graph, placement: c.placement,
                                              deviceCount: c.cluster.deviceCount, priority: c.priority)
        var first = try Simulator(graph: c.graph, cluster: c.cluster)
        var second = try Simulator(graph: c.graph, cluster: c.cluster)
        let a = try first.run(schedule)
        // A different run in between must leave no trace on the next one.
        let other = Schedule(graph: c.graph, placement: [Int](repeating: 0, count: c.graph.taskCount),
                             deviceCount: c.cluster.deviceCount)
        _ = try first.run(other)
        let b = try first.run(schedule)
        let fresh = try second.run(schedule)
        #expect(a == b)
        #expect(a == fresh)
        #expect(first.timeline() == second.timeline())
    }

    @Test(arguments: 0..<20)
    func memoryBooksBalance(seed: UInt64) throws {
        // After a step every device holds exactly its weights and the graph outputs it produced.
        let c = Self.makeCase(seed: seed)
        var simulator = try Simulator(graph: c.graph, cluster: c.cluster)
        let report = try simulator.run(ListScheduler.bLevelSchedule(graph: c.graph, costs: simulator.costs, placement: c.placement))
        var expected = [Int](repeating: 0, count: c.cluster.deviceCount)
        for t in 0..<c.graph.taskCount { expected[c.placement[t]] += c.graph.residentBytes[t] }
        for v in 0..<c.graph.valueCount where c.graph.valueIsOutput[v] {
            expected[c.placement[Int(c.graph.valueProducer[v])]] += c.graph.valueBytes[v]
        }
        #expect(simulator.state.arena.memory.array() == expected)
        #expect(zip(report.peakMemory, expected).allSatisfy { $0 >= $1 })
    }

    @Test(arguments: 0..<30)
    func arbitraryOrdersCompleteOrReportDeadlock(seed: UInt64) throws {
        // Shuffled per-device orders, not topological: each run ends, with a report or a deadlock.
        var c = Self.makeCase(seed: seed)
        c.graph = RandomGraphs.layered(tasks: 30, width: 5, seed: seed)
        c.placement = RandomGraphs.placement(tasks: 30, deviceCount: c.cluster.deviceCount, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 7)
        var orders = [[Int]](repeating: [], count: c.cluster.deviceCount)
        for t in 0..<30 { orders[c.placement[t]].append(t) }
        for d in orders.indices { orders[d].shuffle(using: &rng) }
        var simulator = try Simulator(graph: c.graph, cluster: c.cluster)
        do {
            let r = try simulator.run(Schedule(placement: c.placement, orders: orders))
            #expect(r.makespan >= LowerBounds(graph: c.graph, cluster: c.cluster).best.seconds * (1 - 1e-12))
        } catch {
            // (Matched inside the catch: a `catch .deadlock(…)` pattern crashes Swift 6.3's SILGen.)
            guard case .deadlock(let stuck, let completed, let total) = error else { throw error }
            #expect(!stuck.isEmpty && completed < total)
            #expect(stuck.allSatisfy { !$0.waitingFor.isEmpty })
        }
    }

    @Test func incrementalSchedulerPlacesEverythingAndTheScheduleRuns() throws {
        // HEFT: b-level order, each task on the device of earliest finish; the simulator agrees
        // with the estimate to within the contention it models differently.
        for seed in UInt64(0)..<10 {
            let c = Self.makeCase(seed: seed)
            let costs = CostModel(c.cluster)
            let rank = Priorities.bLevel(graph: c.graph, costs: costs, estimate: .average)
            var heft = IncrementalScheduler(graph: c.graph, cluster: c.cluster)
            for t in (0..<c.graph.taskCount).sorted(by: { (rank[$0], $1) > (rank[$1], $0) }) {
                let best = heft.bestDevice(for: t)!
                #expect(heft.earliestFinish(of: t, on: best.device) == best.finish)
                let placed = heft.place(t, on: best.device)
                #expect(placed.finish == best.finish)
            }
            #expect(heft.isComplete)
            var simulator = try Simulator(graph: c.graph, cluster: c.cluster)
            let report = try simulator.run(heft.schedule())
            #expect(report.makespan >= LowerBounds(graph: c.graph, cluster: c.cluster).best.seconds * (1 - 1e-12))
            // HEFT should beat a random placement with the same orders rule.
            let random = try simulator.run(ListScheduler.bLevelSchedule(graph: c.graph, costs: costs, placement: c.placement))
            #expect(report.makespan <= random.makespan)
        }
    }
}
