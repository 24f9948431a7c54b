@testable import MoegcSim
import Testing

/// Timelines worked out by hand on `unitCluster` (1 FLOP/s, 1 B/s, 0.5 s a channel hop).
@Suite struct SimulatorTimelineTests {
    @Test func chainOnOneDeviceRunsBackToBack() throws {
        let g = try CostGraph(tasks: [task(2), task(3), task(4)],
                              values: [value(0, 1, to: [1]), value(1, 1, to: [2]), value(2, 1, to: [], output: true)])
        let (r, tl) = try simulate(g, unitCluster(devices: 1), placement: [0, 0, 0], orders: [[0, 1, 2]])
        #expect(tl.taskStart == [0, 2, 5])
        #expect(tl.taskEnd == [2, 5, 9])
        #expect(r.makespan == 9)
        #expect(r.deviceBusy == [9])
        #expect(r.transferCount == 0)
    }

    @Test func chainAcrossDevicesPaysTransfers() throws {
        // A(d0) →3 bytes→ B(d1): transfer 1 s latency + 3 s = 4 s.
        let g = try CostGraph(tasks: [task(2), task(1)], values: [value(0, 3, to: [1]), value(1, 1, to: [], output: true)])
        let (r, tl) = try simulate(g, unitCluster(devices: 2), placement: [0, 1], orders: [[0], [1]])
        #expect(tl.transfers.map(\.start) == [2])
        #expect(tl.transfers.map(\.end) == [6])
        #expect(tl.taskStart == [0, 6])
        #expect(r.makespan == 7)
        #expect(r.deviceIdle == [5, 6])
        #expect(r.bytesTransferred == 3)
    }

    @Test func forkJoinOverlapsComputeWithTransfers() throws {
        // A(d0, 1s) → B(d0, 2s), C(d1, 3s); B, C → D(d0, 1s); every value 1 byte (transfer 2 s).
        // A 0–1; a → d1 1–3; B 1–3; C 3–6; c → d0 6–8; D 8–9.
        let g = try CostGraph(tasks: [task(1), task(2), task(3), task(1)], values: [
            value(0, 1, to: [1, 2]), value(1, 1, to: [3]), value(2, 1, to: [3]), value(3, 1, to: [], output: true),
        ])
        let (r, tl) = try simulate(g, unitCluster(devices: 2), placement: [0, 0, 1, 0], orders: [[0, 1, 3], [2]])
        #expect(tl.taskStart == [0, 1, 3, 8])
        #expect(tl.taskEnd == [1, 3, 6, 9])
        #expect(r.makespan == 9)
        #expect(r.transferCount == 2)
        #expect(r.deviceBusy == [4, 3])
    }

    @Test func diamondTransfersContendOnTheSharedLinks() throws {
        // A(d0) → a (2 bytes) → B(d1), C(d2); B, C → D(d0); b, c 1 byte; every task 1 s.
        // a→d1: 1–4 (d0:out busy); a→d2 must wait for d0:out: 4–7. B 4–5, C 7–8.
        // b→d0: 5–7 (d0:in); c→d0: ready 8, d0:in free at 7 → 8–10. D 10–11.
        let g = try CostGraph(tasks: [task(1), task(1), task(1), task(1)], values: [
            value(0, 2, to: [1, 2]), value(1, 1, to: [3]), value(2, 1, to: [3]), value(3, 1, to: [], output: true),
        ])
        let (r, tl) = try simulate(g, unitCluster(devices: 3), placement: [0, 1, 2, 0], orders: [[0, 3], [1], [2]])
        #expect(tl.transfers.map(\.start) == [1, 4, 5, 8])
        #expect(tl.transfers.map(\.end) == [4, 7, 7, 10])
        #expect(tl.taskStart == [0, 4, 7, 10])
        #expect(r.makespan == 11)
        let names = Topology(unitCluster(devices: 3)).channelNames
        #expect(r.channelBytes[names.firstIndex(of: "d0:out")!] == 4)
        #expect(r.channelBytes[names.firstIndex(of: "d0:in")!] == 2)
        #expect(r.channelBusy[names.firstIndex(of: "d0:out")!] == 6)
    }

    @Test func twoTransfersIntoOneDeviceTakeTurns() throws {
        // P1(d0), P2(d1) each 1 s, each send 4 bytes to Q(d2): both ready at 1, d2:in carries one at
        // a time: first (P1's, pushed first) 1–6, second 6–11; Q 11–12.
        let g = try CostGraph(tasks: [task(1), task(1), task(1)], values: [
            value(0, 4, to: [2]), value(1, 4, to: [2]), value(2, 1, to: [], output: true),
        ])
        let (r, tl) = try simulate(g, unitCluster(devices: 3), placement: [0, 1, 2], orders: [[0], [1], [2]])
        #expect(tl.transfers.map(\.source) == [0, 1])
        #expect(tl.transfers.map(\.start) == [1, 6])
        #expect(tl.transfers.map(\.end) == [6, 11])
        #expect(r.makespan == 12)
        // The second copy is allocated on d2 when its transfer starts (6), not when it was ready (1).
        #expect(r.peakMemory[2] == 4 + 4 + 1)
    }

    @Test func oppositeDirectionsDoNotContend() throws {
        // Full duplex: d0 → d1 and d1 → d0 at the same time both take 1 + 4 s.
        let g = try CostGraph(tasks: [task(1), task(1), task(1), task(1)], values: [
            value(0, 4, to: [3]), value(1, 4, to: [2]), value(2, 1, to: [], output: true), value(3, 1, to: [], output: true),
        ])
        let (r, tl) = try simulate(g, unitCluster(devices: 2), placement: [0, 1, 0, 1], orders: [[0, 2], [1, 3]])
        #expect(tl.transfers.map(\.start) == [1, 1])
        #expect(tl.transfers.map(\.end) == [6, 6])
        #expect(r.makespan == 7)
    }

    @Test func crossHostTransfersUseBothNetworkLinks() throws {
        // Path d0:out → h0:net-out → h1:net-in → d2:in: latency 0.5 + 1 + 1 + 0.5 = 3, bandwidth min(1, 0.5).
        let cluster = unitCluster(devices: 4, hosts: 2)
        let g = try CostGraph(tasks: [task(1), task(1)], values: [value(0, 2, to: [1]), value(1, 1, to: [], output: true)])
        let (r, tl) = try simulate(g, cluster, placement: [0, 2], orders: [[0], [], [1], []])
        #expect(tl.transfers.map(\.end) == [1 + 3 + 4])
        #expect(r.makespan == 9)
        let names = Topology(cluster).channelNames
        #expect(Topology(cluster).path(from: 0, to: 2).map { names[$0] } == ["d0:out", "h0:net-out", "h1:net-in", "d2:in"])
        #expect(r.channelBytes[names.firstIndex(of: "h1:net-in")!] == 2)
    }

    @Test func valueGoesOnceToADeviceWithSeveralConsumers() throws {
        let g = try CostGraph(tasks: [task(1), task(1), task(1)], values: [
            value(0, 2, to: [1, 2]), value(1, 1, to: [], output: true), value(2, 1, to: [], output: true),
        ])
        let (r, tl) = try simulate(g, unitCluster(devices: 2), placement: [0, 1, 1], orders: [[0], [1, 2]])
        #expect(r.transferCount == 1)
        #expect(tl.taskStart == [0, 4, 5])
    }

    @Test func rooflineAndLaunchOverhead() throws {
        // 3 flops, 5 bytes: memory-bound, 5 s + 2 launches × 0.25 s.
        let g = try CostGraph(tasks: [task(3, bytes: 5, launches: 2)], values: [value(0, 1, to: [], output: true)])
        let (r, _) = try simulate(g, unitCluster(devices: 1, launch: 0.25), placement: [0], orders: [[0]])
        #expect(r.makespan == 5.5)
    }

    @Test func fusedChainSkipsRoundTripsAndLaunches() throws {
        // Memory-bound chain, launch 1 s. A writes a (10); B reads a, writes b; C reads b, writes c (output).
        let cluster = unitCluster(devices: 1, launch: 1)
        let g = try CostGraph(tasks: [task(0, bytes: 10), task(0, bytes: 20), task(0, bytes: 20)], values: [
            value(0, 10, to: [1]), value(1, 10, to: [2]), value(2, 10, to: [], output: true),
        ])
        let (unfused, _) = try simulate(g, cluster, placement: [0, 0, 0], orders: [[0, 1, 2]])
        #expect(unfused.makespan == 11 + 21 + 21)

        let all = try g.fused(groups: [0, 0, 0])
        #expect(all.graph.taskCount == 1 && all.graph.valueCount == 1)
        #expect(all.graph.bytesAccessed[0] == 10) // only c's write is left
        #expect(all.valueMap == [nil, nil, 0])
        let (fused, _) = try simulate(all.graph, cluster, placement: [0], orders: [[0]])
        #expect(fused.makespan == 11)

        let partial = try g.fused(groups: [0, 0, 1])
        #expect(Array(partial.graph.bytesAccessed) == [10, 20])
        let (half, _) = try simulate(partial.graph, cluster, placement: [0, 0], orders: [[0, 1]])
        #expect(half.makespan == 11 + 21)
        #expect(half.peakMemory[0] == 20) // b and c; a no longer exists
        #expect(unfused.peakMemory[0] == 20)
    }

    @Test func fusionThatWouldCycleIsRejected() throws {
        let g = try CostGraph(tasks: [task(1), task(1), task(1)], values: [value(0, 1, to: [1]), value(1, 1, to: [2])])
        #expect(throws: CostGraphError.self) { try g.fused(groups: [0, 1, 0]) }
        #expect(throws: CostGraphError.self) { try g.fused(groups: [0, 2, 0]) } // group 1 empty
    }

    @Test func memoryIsFreedAfterTheLastConsumer() throws {
        // Chain of 30-byte values, weights 5: A runs with a (35); B with a + b (65); C with b + c (65),
        // a freed at B's end; c is an output and stays (35 at the end).
        let g = try CostGraph(tasks: [task(1, resident: 5), task(1), task(1)], values: [
            value(0, 30, to: [1]), value(1, 30, to: [2]), value(2, 30, to: [], output: true),
        ])
        var simulator = try Simulator(graph: g, cluster: unitCluster(devices: 1, memory: 65))
        let r = try simulator.run(Schedule(placement: [0, 0, 0], orders: [[0, 1, 2]]))
        #expect(r.peakMemory == [65])
        #expect(r.isFeasible)
        #expect(simulator.state.arena.memory[0] == 35)
    }

    @Test func outOfMemoryNamesTheDeviceTimeAndBytes() throws {
        // 60 bytes of weights on d0 (capacity 100); B's 50-byte output at t = 1 overflows: 60 + 10 + 50 = 120 bytes.
        let g = try CostGraph(tasks: [task(1, resident: 60), task(1)], values: [
            value(0, 10, to: [1]), value(1, 50, to: [], output: true),
        ])
        let cluster = unitCluster(devices: 2, memory: 100)
        let (bad, _) = try simulate(g, cluster, placement: [0, 0], orders: [[0, 1], []])
        #expect(!bad.isFeasible)
        #expect(bad.outOfMemory == [OutOfMemory(device: 0, deviceName: "d0", time: 1, bytesInUse: 120, capacity: 100)])
        #expect(bad.makespan == 2) // the run completes and still reports a time
        let (good, _) = try simulate(g, cluster, placement: [0, 1], orders: [[0], [1]])
        #expect(good.isFeasible)
        #expect(good.peakMemory == [70, 60])
        let weights = try CostGraph(tasks: [task(1, resident: 101)], values: [])
        let (full, _) = try simulate(weights, cluster, placement: [1], orders: [[], [0]])
        #expect(full.outOfMemory.map(\.time) == [0])
    }

    @Test func deadlockingOrderIsReportedNotHung() throws {
        // A(d0) → B(d1), C(d1) → D(d0); d0 runs D before A, d1 runs B before C: each waits on the other.
        let g = try CostGraph(tasks: [task(1), task(1), task(1), task(1)], values: [value(0, 1, to: [1]), value(2, 1, to: [3])])
        var simulator = try Simulator(graph: g, cluster: unitCluster(devices: 2))
        #expect {
            _ = try simulator.run(Schedule(placement: [0, 1, 1, 0], orders: [[3, 0], [1, 2]]))
        } throws: { error in
            guard case .deadlock(let stuck, let completed, let total) = error as? SimulationError else { return false }
            return completed == 0 && total == 4 && stuck.map(\.task) == [3, 1]
                && stuck[0].waitingFor.map(\.producer) == [2] && stuck[0].waitingFor[0].producerPosition == 1
        }
        // The same simulator still runs a good order afterwards.
        let r = try simulator.run(Schedule(placement: [0, 1, 1, 0], orders: [[0, 3], [2, 1]]))
        #expect(r.makespan == 1 + 2 + 1)
    }

    @Test func copiesOfASimulatorDoNotShareResults() throws {
        // The buffers are copy-on-write: running a copy leaves the original's last timeline alone.
        let g = try CostGraph(tasks: [task(2), task(3)], values: [value(0, 1, to: [1])])
        var original = try Simulator(graph: g, cluster: unitCluster(devices: 2))
        _ = try original.run(Schedule(placement: [0, 0], orders: [[0, 1], []]))
        var copy = original
        let r = try copy.run(Schedule(placement: [0, 1], orders: [[0], [1]]))
        #expect(r.makespan == 2 + 2 + 3)
        #expect(original.timeline().taskStart == [0, 2])
        #expect(copy.timeline().taskStart == [0, 4])
    }

    @Test func malformedSchedulesAreRejected() throws {
        let g = try CostGraph(tasks: [task(1), task(1)], values: [value(0, 1, to: [1])])
        var simulator = try Simulator(graph: g, cluster: unitCluster(devices: 2))
        let bad: [Schedule] = [
            Schedule(placement: [0], orders: [[0], []]),
            Schedule(placement: [0, 2], orders: [[0], [1]]),
            Schedule(placement: [0, 1], orders: [[0, 1], []]),
            Schedule(placement: [0, 0], orders: [[0, 0], []]),
            Schedule(placement: [0, 0], orders: [[0, 1]]),
        ]
        for s in bad {
            #expect(throws: SimulationError.self) { _ = try simulator.run(s) }
        }
    }

    /// The memory log, worked by hand: A(d0) → a (3 bytes) → B(d1) → b (1 byte, an output).
    /// d0 holds a from A's start (0) until its transfer ends (6); d1 holds the copy from the
    /// transfer's start (2) until B ends (7), and b from B's start (6) for good. Recording leaves
    /// the report as it was, and off, the log stays empty.
    @Test func theMemoryLogReplaysToThePeaks() throws {
        let g = try CostGraph(tasks: [task(2), task(1)], values: [value(0, 3, to: [1]), value(1, 1, to: [], output: true)])
        let schedule = Schedule(placement: [0, 1], orders: [[0], [1]])
        var simulator = try Simulator(graph: g, cluster: unitCluster(devices: 2))
        let plain = try simulator.run(schedule)
        #expect(simulator.memoryLog.changes.isEmpty)
        simulator.recordsMemory = true
        let recorded = try simulator.run(schedule)
        #expect(recorded == plain)
        let log = simulator.memoryLog
        #expect(log.initial == [0, 0])
        #expect(log.changes == [
            .init(time: 0, device: 0, bytes: 3), .init(time: 2, device: 1, bytes: 3),
            .init(time: 6, device: 0, bytes: -3), .init(time: 6, device: 1, bytes: 1), .init(time: 7, device: 1, bytes: -3),
        ])
        var level = log.initial, peak = log.initial
        for c in log.changes {
            level[c.device] += c.bytes
            peak[c.device] = max(peak[c.device], level[c.device])
        }
        #expect(peak == recorded.peakMemory)
        #expect(level == [0, 1])
    }
}
