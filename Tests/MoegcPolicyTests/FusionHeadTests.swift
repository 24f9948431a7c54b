import Foundation
import MoegcCompiler
import MoegcIR
import MoegcNN
import MoegcPasses
import MoegcPlacement
@testable import MoegcPolicy
import MoegcSim
import Testing

/// A chain of `length` memory-bound tasks: each reads its predecessor's 1 MB value and writes its own
/// (2 MB of traffic, 1 kFLOP); the last writes a 4-byte output.
func memoryBoundChain(length: Int) -> CostGraph {
    var tasks: [CostGraph.Task] = [], values: [CostGraph.Value] = []
    for t in 0..<length {
        tasks.append(CostGraph.Task(flops: 1e3, bytesAccessed: t == 0 ? 1e6 : 2e6))
        values.append(t == length - 1 ? CostGraph.Value(producer: t, bytes: 4, consumers: [], isOutput: true)
                                      : CostGraph.Value(producer: t, bytes: 1_000_000, consumers: [t + 1]))
    }
    return try! CostGraph(tasks: tasks, values: values)
}

@Suite struct FusionHeadTests {
    /// a → b → c, a → d, and e reading both b and d: b, c, d have a sole producer, e does not.
    static func diamond() throws -> CostGraph {
        let tasks = (0..<5).map { _ in CostGraph.Task(flops: 1e6, bytesAccessed: 1e3) }
        let values = [CostGraph.Value(producer: 0, bytes: 100, consumers: [1, 3]),
                      CostGraph.Value(producer: 1, bytes: 100, consumers: [2, 4]),
                      CostGraph.Value(producer: 2, bytes: 4, consumers: [], isOutput: true),
                      CostGraph.Value(producer: 3, bytes: 100, consumers: [4]),
                      CostGraph.Value(producer: 4, bytes: 4, consumers: [], isOutput: true)]
        return try CostGraph(tasks: tasks, values: values)
    }

    @Test func candidatesAreTasksWithOneProducer() throws {
        let merging = TaskMerging(try Self.diamond())
        #expect(merging.candidates == [1, 2, 3])
        #expect(merging.soleProducer == [-1, 0, 1, 0, -1])
    }

    @Test func mergesFollowChainsAndNeverCrossDevices() throws {
        let merging = TaskMerging(try Self.diamond())
        #expect(merging.groups(merge: [false, false, false], placement: [0, 0, 0, 0, 0]) == nil)
        let all = try #require(merging.groups(merge: [true, true, true], placement: [0, 0, 0, 0, 0]))
        #expect(all.groups == [0, 0, 0, 0, 1] && all.count == 2)
        // d on another device: its merge has no effect; c's merge into b (and b's into a) still does.
        let split = try #require(merging.groups(merge: [true, true, true], placement: [0, 0, 0, 1, 0]))
        #expect(split.groups == [0, 0, 0, 1, 2] && split.count == 3)
        // Only c into b: a stays apart.
        let tail = try #require(merging.groups(merge: [false, true, false], placement: [0, 0, 0, 0, 0]))
        #expect(tail.groups == [0, 1, 1, 2, 3])
        // Every merged graph stays acyclic (fusing throws on a cycle).
        for code in 0..<8 {
            let merge = (0..<3).map { code >> $0 & 1 == 1 }
            if let g = merging.groups(merge: merge, placement: [0, 0, 0, 0, 0]) {
                _ = try (try Self.diamond()).fused(groups: g.groups)
            }
        }
    }

    /// Two memory-bound tasks on one device of 1 GB/s with 1 µs launches: apart they take
    /// (1 MB + 1 µs) + (2 MB + 1 µs) of traffic; merged, the 1 MB value between them is neither
    /// written nor read, so one launch and 1 MB: 1 ms + 1 µs. Reference: the roofline by hand.
    @Test func mergedTasksPayOneLaunchAndNoRoundTrip() throws {
        let chain = memoryBoundChain(length: 2)
        let p = PolicyProblem(name: "chain", graph: chain, cluster: testCluster(devices: 2), taskOps: [[.relu], [.relu]],
                              references: [ReferencePlacement(name: "one", placement: [0, 0], stepTime: 1)])
        var environment = try PlacementEnvironment(p)
        let apart = environment.evaluate([0, 0])
        let merged = environment.evaluate([0, 0], priorityOffsets: nil, merge: [true])
        #expect(abs(apart.stepTime - (3e-3 + 2e-6)) < 1e-9)
        #expect(abs(merged.stepTime - (1e-3 + 1e-6)) < 1e-9)
        // Across devices the decision does nothing.
        #expect(environment.evaluate([0, 1], priorityOffsets: nil, merge: [true]) == environment.evaluate([0, 1]))
    }

    @Test func theHeadStartsRarelyMergingAndOldConfigsHaveNone() throws {
        var config = smallPolicyConfig()
        config.fusionHead = true
        var store = ParameterStore()
        let policy = PlacementPolicy(config: config, parameters: &store)
        let p = problem(memoryBoundChain(length: 6), testCluster(devices: 2))
        let output = policy(policy.prepare(Featurizer.input(for: p, vocabulary: .registry)), tape: Tape(parameters: store, recording: false))
        let fusion = try #require(output.fusionLogProbabilities).value
        #expect(fusion.shape == [5, 2])
        let initial = 1 / (1 + Foundation.exp(2.0))   // σ(−2)
        for c in 0..<5 { #expect(abs(Foundation.exp(Double(fusion.scalars[c * 2 + 1])) - initial) < 1e-5) }

        // A configuration written before the head existed decodes without it, and its network's
        // parameters are exactly those of a network built without the head.
        var plain = smallPolicyConfig()
        plain.fusionHead = nil
        var json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("fusionHead"))
        json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(try JSONDecoder().decode(PolicyConfig.self, from: Data(json.utf8)).usesFusionHead)
        var plainStore = ParameterStore()
        _ = PlacementPolicy(config: plain, parameters: &plainStore)
        for name in plainStore.names { #expect(plainStore[name] == store[name], "\(name) differs with the head") }
        #expect(Set(store.names).subtracting(plainStore.names) == ["head.fusion.weight", "head.fusion.bias"])
    }

    /// On a chain where merging pays 12×, PPO raises the merge probability and finds placements
    /// far faster than placement alone can (everything on one device is already optimal there).
    @Test func ppoLearnsToMergeWhereItPays() throws {
        let p = problem(memoryBoundChain(length: 12), testCluster(devices: 2))
        var config = smallPolicyConfig(priorityHead: false)
        config.fusionHead = true
        var trainer = try PolicyTrainer(problem: p, policyConfig: config, config: smallTrainingConfig(iterations: 25, seed: 3))
        func mergeProbability(_ t: PolicyTrainer) -> Double {
            let out = t.policy(t.prepared[0], tape: Tape(parameters: t.parameters, recording: false))
            let lp = out.fusionLogProbabilities!.value
            return (0..<lp.shape[0]).map { Foundation.exp(Double(lp.scalars[$0 * 2 + 1])) }.reduce(0, +) / Double(lp.shape[0])
        }
        let before = mergeProbability(trainer)
        while !trainer.isFinished { trainer.iterate() }
        let after = mergeProbability(trainer)
        #expect(after > before + 0.2, "merge probability \(before) → \(after)")
        let best = try #require(trainer.best)
        #expect(best.stepTime < 0.5 * p.reference.stepTime, "best \(best.stepTime) vs reference \(p.reference.stepTime)")

        // Deterministic for a seed, merges included.
        var again = try PolicyTrainer(problem: p, policyConfig: config, config: smallTrainingConfig(iterations: 25, seed: 3))
        while !again.isFinished { again.iterate() }
        #expect(again.parameters == trainer.parameters)

        // The checkpoint keeps the best placement's merges, exactly, and resuming ends with the
        // same bytes as the run that never stopped.
        let checkpoint = trainer.checkpoint
        #expect(checkpoint.bestMerges == trainer.bestMergeDecisions && checkpoint.bestMerges.contains(true))
        let decoded = try CheckpointFile.decode(CheckpointFile.encode(checkpoint))
        #expect(decoded == checkpoint)
        var first = try PolicyTrainer(problem: p, policyConfig: config, config: smallTrainingConfig(iterations: 25, seed: 3))
        for _ in 0..<10 { first.iterate() }
        var resumed = try PolicyTrainer(problem: p, resuming: try CheckpointFile.decode(CheckpointFile.encode(first.checkpoint)))
        while !resumed.isFinished { resumed.iterate() }
        #expect(CheckpointFile.encode(resumed.checkpoint) == CheckpointFile.encode(checkpoint))

        // The trained policy's greedy decision merges, and the placer reports the merged step.
        let placed = try PolicyPlacer(trainer.checkpoint).place(p)
        #expect(placed.decision.merge?.contains(true) == true)
        #expect(placed.outcome.stepTime < 0.5 * p.reference.stepTime)
    }

    /// What `moegc compile` does with merges: the IR regrouped and the problem rebuilt from it must
    /// simulate to the step the policy's environment computed on its fused cost graph.
    @Test(arguments: ["tiny-switch", "tiny-translation"])
    func regroupedIRSimulatesLikeTheEnvironment(name: String) throws {
        let cluster = testCluster(devices: 2)
        let placementProblem = try Compilation.placementProblem(path: graphsDirectory() + "/\(name).graph", cluster: cluster)
        let p = try PolicyProblem.withHeuristics(placementProblem, set: .fast)
        var environment = try PlacementEnvironment(p)
        let placement = p.reference.placement
        let merge = environment.merging.candidates.indices.map { $0 % 3 != 2 }
        let expected = environment.evaluate(placement, priorityOffsets: nil, merge: merge)
        let groups = try #require(environment.merging.groups(merge: merge, placement: placement))
        let decision = PlacementDecision(devices: placement.map { Int32($0) }, priority: .given(environment.priorities(placement)),
                                         regrouping: groups.groups)
        let (merged, carried) = try placementProblem.regrouped(by: decision)
        #expect(merged.taskCount == groups.count && groups.count < p.taskCount)
        #expect(carried.regrouping == nil)
        #expect(FusionPlan.annotated(merged.graph)?.groupCount == groups.count)
        let evaluation = try Evaluation.run(merged, devices: carried.devices, priority: carried.priority)
        #expect(abs(evaluation.report.makespan - expected.stepTime) <= 1e-9 * expected.stepTime,
                "IR regrouped: \(evaluation.report.makespan), environment: \(expected.stepTime)")
        // The pipeline applies any placer's regrouping the same way (what compile and place run).
        let placed = try placementProblem.place(with: FixedPlacer(decision: decision))
        #expect(placed.merges == p.taskCount - groups.count)
        #expect(placed.problem.taskCount == groups.count)
        #expect(placed.evaluation.report.makespan == evaluation.report.makespan)
    }

    /// Members of one merged group on two devices: a precise error, not a silent choice.
    @Test func regroupingAcrossDevicesIsRejected() throws {
        let placementProblem = try Compilation.placementProblem(path: graphsDirectory() + "/tiny-switch.graph",
                                                                  cluster: testCluster(devices: 2))
        let n = placementProblem.taskCount
        let decision = PlacementDecision(devices: (0..<n).map { Int32($0 % 2) }, priority: .bLevel,
                                         regrouping: [Int](repeating: 0, count: n))
        #expect(throws: PlacementError.self) { try placementProblem.regrouped(by: decision) }
    }
}

/// A placer that returns a given decision (to drive `PlacementProblem.place(with:)` with a regrouping).
struct FixedPlacer: Placer {
    let name = "fixed"
    let summary = "a given decision"
    let decision: PlacementDecision
    func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { decision.devices }
    func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision { decision }
}
