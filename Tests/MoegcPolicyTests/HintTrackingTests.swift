import MoegcIR
@testable import MoegcPolicy
import MoegcSim
import Testing

/// Fine-tuning's hint input shows the best placement known: the reference heuristic's until a
/// placement found beats it, then that one from the next iteration on; without tracking it stays.
@Suite struct HintTrackingTests {
    /// The fork-join graph on two devices with everything-on-one-device as the only reference, so
    /// samples beat it within a few iterations.
    func singleDeviceProblem() -> PolicyProblem {
        let graph = forkJoinGraph(), cluster = testCluster(devices: 2)
        let single = referencePlacements(graph, cluster).filter { $0.name == "single-device" }
        return PolicyProblem(name: "fork-join", graph: graph, cluster: cluster,
                             taskOps: Array(repeating: [.matmul], count: graph.taskCount), references: single)
    }

    @Test(arguments: [true, false])
    func hintShowsTheBestKnownPlacement(tracking: Bool) throws {
        let problem = singleDeviceProblem()
        let pretrained = try PolicyTrainer(problem: problem, policyConfig: smallPolicyConfig(),
                                           config: smallTrainingConfig(iterations: 0)).checkpoint
        var trainer = try PolicyTrainer(fineTuning: pretrained, on: problem, iterations: 8, seed: 2, tracksBest: tracking)
        var moved = 0
        while !trainer.isFinished {
            let known = trainer.bests[0].flatMap { $0.stepTime < problem.reference.stepTime ? $0.placement : nil }
            trainer.iterate()
            let expected = tracking ? known ?? problem.reference.placement : problem.reference.placement
            #expect(trainer.prepared[0].input.hint == Featurizer.hint(expected, deviceCount: 2), "iteration \(trainer.iteration)")
            if known != nil { moved += 1 }
        }
        // The single-device reference is beaten early, so the tracked hint really moved.
        #expect(moved > 0)
        #expect(try #require(trainer.best).stepTime < problem.reference.stepTime)
    }
}
