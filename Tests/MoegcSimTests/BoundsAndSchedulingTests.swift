import Foundation
@testable import MoegcSim
import Testing

@Suite struct BoundsAndSchedulingTests {
    /// Two unit devices, the second twice as fast: a fork of two 4-flop tasks after a 2-flop task.
    func heterogeneous() throws -> (CostGraph, Cluster) {
        var cluster = unitCluster(devices: 2)
        cluster.kinds.append(DeviceKind(name: "fast", peakFlops: 2, memoryBandwidth: 2, memoryCapacity: 100, launchOverhead: 0))
        cluster.devices[1].kind = 1
        let g = try CostGraph(tasks: [task(2, resident: 40), task(4, resident: 40), task(4, resident: 40)],
                              values: [value(0, 10, to: [1, 2]), value(1, 1, to: [], output: true), value(2, 1, to: [], output: true)])
        return (g, cluster)
    }

    @Test func boundsByHand() throws {
        let (g, cluster) = try heterogeneous()
        let b = LowerBounds(graph: g, cluster: cluster, extra: [NamedBound("all-to-all", seconds: 0.5)])
        #expect(b.criticalPath == 1 + 2) // fastest device: 2/2 then 4/2
        // Fastest times 1 + 2 + 2 over relative speeds ½ (the unit device) + 1 (the fast one).
        #expect(b.work == (1 + 2 + 2) / 1.5)
        #expect(b.flops == 10 / 3.0)
        #expect(b.best.seconds == 10 / 3.0) // work and flops tie here
        #expect(b.all.map(\.name) == ["critical-path", "work", "flops", "all-to-all"])
        #expect(approximatelyEqual(b.ratio(makespan: 5), 1.5))
        #expect(b.memory.isFeasible)
        #expect(b.memory.largestWorkingSet == 51 && b.memory.largestWorkingSetTask == 1)
        // All on the fast device: 1 + 2 + 2 = 5 ≥ every bound.
        let (r, _) = try simulate(g, cluster, placement: [1, 1, 1], orders: [[], [0, 1, 2]])
        #expect(r.makespan == 5)
    }

    @Test func memoryInfeasibility() throws {
        let (_, cluster) = try heterogeneous()
        let heavy = try CostGraph(tasks: [task(1, resident: 101), task(1, resident: 1 << 40)], values: [value(0, 150, to: [1])])
        let m = LowerBounds(graph: heavy, cluster: cluster).memory
        #expect(!m.isFeasible)
        #expect(m.problems.count == 2)
        #expect(m.problems[0].hasPrefix("the weights need \((1 << 40) + 101) bytes"))
        #expect(m.problems[1] == "task 1 needs \((1 << 40) + 150) bytes live at once; the largest device holds \(1 << 40)")
    }

    @Test func bLevelAndTLevelByHand() throws {
        // Chain A(1) → B(2) → C(3) plus D(5) → C; 1-byte values; placed: A, B, C on d0, D on d1.
        let g = try CostGraph(tasks: [task(1), task(2), task(3), task(5)],
                              values: [value(0, 1, to: [1]), value(1, 1, to: [2]), value(3, 1, to: [2])])
        let costs = CostModel(unitCluster(devices: 2))
        #expect(Priorities.bLevel(graph: g, costs: costs, estimate: .fastest) == [6, 5, 3, 8])
        #expect(Priorities.bLevel(graph: g, costs: costs, estimate: .placed([0, 0, 0, 1])) == [6, 5, 3, 10])
        #expect(Priorities.bLevel(graph: g, costs: costs, estimate: .average) == [10, 7, 3, 10])
        #expect(Priorities.tLevel(graph: g, costs: costs, estimate: .placed([0, 0, 0, 1])) == [0, 1, 7, 0])
    }

    @Test func listSchedulerFollowsPriorityAmongReadyTasks() throws {
        // Two independent chains on one device: priorities decide interleaving, dependences still hold.
        let g = try CostGraph(tasks: [task(1), task(1), task(1), task(1)], values: [value(0, 1, to: [1]), value(2, 1, to: [3])])
        let s = ListScheduler.schedule(graph: g, placement: [0, 0, 0, 0], deviceCount: 1, priority: [1, 9, 5, 0])
        #expect(s.order(of: 0) == [2, 0, 1, 3])
        let split = ListScheduler.schedule(graph: g, placement: [0, 1, 0, 1], deviceCount: 2, priority: [0, 0, 0, 0])
        #expect(split.order(of: 0) == [0, 2] && split.order(of: 1) == [1, 3])
    }

    @Test func incrementalSchedulerMatchesTheHandTimeline() throws {
        // The fork-join of the timeline tests, placed step by step: same times as the simulator.
        let g = try CostGraph(tasks: [task(1), task(2), task(3), task(1)], values: [
            value(0, 1, to: [1, 2]), value(1, 1, to: [3]), value(2, 1, to: [3]), value(3, 1, to: [], output: true),
        ])
        var s = IncrementalScheduler(graph: g, cluster: unitCluster(devices: 2))
        #expect(s.initialReady == [0])
        #expect(s.place(0, on: 0).newlyReady == [1, 2])
        #expect(s.earliestFinish(of: 2, on: 1) == 6 && s.earliestFinish(of: 2, on: 0) == 4)
        s.place(1, on: 0)
        s.place(2, on: 1)
        // On d1, b's transfer (3–5) hides behind C; on d0, c's arrives at 8.
        #expect(s.bestDevice(for: 3)! == (device: 1, finish: 7))
        #expect(s.bestDevice(for: 3, allowed: { $0 == 0 })! == (device: 0, finish: 9))
        s.place(3, on: 0)
        #expect(s.isComplete && s.makespan == 9)
        #expect(s.start == [0, 1, 3, 8])
        var simulator = try Simulator(graph: g, cluster: unitCluster(devices: 2))
        #expect(try simulator.run(s.schedule()).makespan == 9)
        #expect(s.weightsFit(0, on: 1))
    }

    @Test func chromeTraceIsValidJSONWithATrackPerDeviceAndChannel() throws {
        let g = try CostGraph(tasks: [task(1), task(1), task(1)], values: [
            value(0, 4, to: [2]), value(1, 4, to: [2]), value(2, 1, to: [], output: true),
        ])
        let cluster = unitCluster(devices: 3)
        var simulator = try Simulator(graph: g, cluster: cluster)
        _ = try simulator.run(Schedule(placement: [0, 1, 2], orders: [[0], [1], [2]]))
        let json = ChromeTrace.json(timeline: simulator.timeline(), graph: g, cluster: cluster, taskName: { "op \"\($0)\"" })
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let events = try #require(object?["traceEvents"] as? [[String: Any]])
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(complete.count == 3 + 2 * 2) // 3 tasks; 2 transfers over 2 channels each
        let names = events.filter { $0["name"] as? String == "process_name" }
        #expect(names.count == 3 + 6)
        let q = try #require(complete.first { $0["name"] as? String == "op \"2\"" })
        #expect((q["ts"] as? NSNumber)?.doubleValue == 11e6 && (q["dur"] as? NSNumber)?.doubleValue == 1e6)
        #expect((q["pid"] as? NSNumber)?.intValue == 2)
        let d2in = Topology(cluster).channelNames.firstIndex(of: "d2:in")! + 3
        #expect(complete.filter { ($0["pid"] as? NSNumber)?.intValue == d2in }.count == 2)
    }

    @Test func benchmarkRunsAndCounts() throws {
        // Timing is not asserted (machines are noisy); the counts are.
        let results = try SimulatorBenchmark.run(taskCounts: [200, 400], cluster: Cluster.preset("k40x4")!, minimumSeconds: 0)
        #expect(results.map(\.tasks) == [200, 400])
        for r in results {
            #expect(r.runs >= 1 && r.eventsPerRun >= r.tasks && r.eventsPerSecond > 0)
            #expect(r.eventsPerRun <= r.tasks + 2 * r.transfers)
        }
    }

    @Test func costGraphRejectsBadInput() {
        #expect(throws: CostGraphError.self) { try CostGraph(tasks: [task(1)], values: [value(0, 1, to: [0])]) }
        #expect(throws: CostGraphError.self) { try CostGraph(tasks: [task(-1)], values: []) }
        #expect(throws: CostGraphError.self) { try CostGraph(tasks: [task(1)], values: [value(3, 1, to: [])]) }
        #expect(throws: CostGraphError.self) {
            try CostGraph(tasks: [task(1), task(1)], values: [value(0, 1, to: [1]), value(1, 1, to: [0])])
        }
        let merged = try? CostGraph(tasks: [task(1), task(1)], values: [value(0, 1, to: [1, 1])])
        #expect(merged?.edgeCount == 1)
    }
}
