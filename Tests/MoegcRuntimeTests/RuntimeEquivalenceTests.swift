import Foundation
import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport
import Testing

/// The multithreaded runtime computes exactly what the reference interpreter computes, for every
/// tiny-* model under random plans: random devices (1 to 6, on 1 to 3 OS threads), random
/// topological orders, random fusion groups. Every kernel runs the same float operations in the
/// same order either way (fused chains apply the same kernels block by block), so outputs must be
/// bitwise equal.
struct RuntimeEquivalenceTests {
    static let plansPerGraph = 40

    static func loweredTiny(_ file: String, training: Bool) throws -> (Graph, Int) {
        let source = try Frontend.load(path: repoRoot + "/graphs/" + file)
        var g = source
        try Lowering.run(&g, PassOptions(training: training))
        return (g, InterpreterTests.vocabulary(source))
    }

    @Test(arguments: InterpreterTests.tinyGraphs)
    func randomPlansMatchTheInterpreterBitwise(_ file: String) throws {
        for training in [true, false] {
            let (g, vocab) = try RuntimeEquivalenceTests.loweredTiny(file, training: training)
            let inputs = randomInputs(g, vocab: vocab, seed: 5)
            let expected = try ReferenceInterpreter(graph: g, seed: 9).run(inputs).outputs
            var rng = SeededGenerator(seed: UInt64(file.utf8.count) * 1000 + (training ? 1 : 0))
            for p in 0..<(RuntimeEquivalenceTests.plansPerGraph / 2) {
                let devices = 1 + rng.nextInt(below: 6)
                let plan = ExecutionPlan.random(g, devices: devices, fusion: rng.nextDouble(), generator: &rng)
                #expect(plan.problems().isEmpty)
                let runtime = try Runtime(plan: plan, seed: 9, threads: 1 + rng.nextInt(below: 3))
                let step = try runtime.run(inputs)
                #expect(step.outputs == expected, "\(file) plan \(p) (\(devices) devices, training \(training)) differs")
            }
        }
    }

    @Test func fusedChainsActuallyFuse() throws {
        // matmul → add(bias) → relu in one group on one device: one trace event for all three.
        let g = try lowered("graph g (%x: f32[4, 3]) -> (%y) {\n  %y = dense(%x) {units = 5, activation = relu}\n}\n")
        let n = g.nodes.count
        let plan = ExecutionPlan(graph: g, deviceCount: 1, device: Array(repeating: 0, count: n),
                                 order: [Array(0..<n)], group: Array(repeating: 0, count: n))
        let x = HostTensor([4, 3], floats: randomFloats(12, seed: 1))
        let step = try Runtime(plan: plan, seed: 1).run([x], trace: true)
        #expect(step.trace.contains { $0.name == "y.matmul+y.biased+y" }, "\(step.trace.map(\.name))")
        #expect(step.outputs == (try ReferenceInterpreter(graph: g, seed: 1).run([x]).outputs))
    }

    @Test func invalidPlansAreRejectedBeforeRunning() throws {
        let g = try lowered("graph g (%x: f32[2]) -> (%z) {\n  %y = relu(%x)\n  %z = neg(%y)\n}\n")
        func problem(_ plan: ExecutionPlan) -> String { plan.problems().first ?? "valid" }
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 2, device: [0, 1], order: [[0], [1]])) == "valid")
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 1, device: [0, 0], order: [[1, 0]]))
                == "device 0 cannot run %z: it waits for %y, which no device can produce first (the orders contradict the data dependencies)")
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 2, device: [0, 2], order: [[0], [1]])) == "node %z is placed on device 2, outside 0..<2")
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 2, device: [0, 1], order: [[0], []])) == "node %z is in no device's order")
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 2, device: [0, 1], order: [[0, 0], [1]])) == "node %y appears twice in the orders")
        #expect(problem(ExecutionPlan(graph: g, deviceCount: 2, device: [0, 1], order: [[0], [1]], group: [3, 3])) == "fusion group 3 spans devices 0 and 1")
        #expect(throws: ExecutionError.self) { try Runtime(plan: ExecutionPlan(graph: g, deviceCount: 1, device: [0, 0], order: [[1, 0]]), seed: 0) }
    }

    @Test func stepReportsPeaksAndATrace() throws {
        let (g, vocab) = try RuntimeEquivalenceTests.loweredTiny("tiny-moe.graph", training: true)
        var rng = SeededGenerator(seed: 3)
        let plan = ExecutionPlan.random(g, devices: 2, fusion: 0.5, generator: &rng)
        let step = try Runtime(plan: plan, seed: 1).run(randomInputs(g, vocab: vocab, seed: 1), trace: true)
        #expect(step.peakBytes.count == 2 && step.peakBytes.allSatisfy { $0 > 0 })
        #expect(step.trace.contains { $0.destination != nil }, "a two-device plan moves values")
        #expect(step.trace.allSatisfy { $0.end >= $0.start && $0.start >= 0 })
        #expect(step.seconds > 0)
    }
}

/// A runtime's worker threads end when the last copy of the runtime goes away.
struct RuntimeLifetimeTests {
    static func threadCount() -> Int {
        let status = (try? FileIO.read("/proc/self/status")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? "Threads: 0"
        return Int(line.split(separator: "\t").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "0") ?? 0
    }

    @Test func workerThreadsStopWithTheRuntime() throws {
        let g = try lowered("graph g (%x: f32[2]) -> (%y) {\n  %y = relu(%x)\n}\n")
        let plan = ExecutionPlan(graph: g, deviceCount: 3, device: [2], order: [[], [], [0]])
        let before = RuntimeLifetimeTests.threadCount()
        for _ in 0..<20 {
            let runtime = try Runtime(plan: plan, seed: 0)
            _ = try runtime.run([HostTensor([2], floats: [1, -1])])
        }
        // Other tests run in parallel and start threads of their own: allow some slack, but 20
        // runtimes of 3 threads each that never stopped would add 60.
        #expect(RuntimeLifetimeTests.threadCount() < before + 30)
    }
}
