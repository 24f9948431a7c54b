import MoegcCompiler
import MoegcPlacement
@testable import MoegcPolicy
import MoegcSim
import Testing

/// `LearnedPlacer` (what `compile` places with) never returns a placement it simulated slower than
/// the best heuristic it ran for the hint: an untrained network without the hint input places
/// badly, and the placer must fall back, saying so.
@Suite struct LearnedPlacerFallbackTests {
    @Test func neverSlowerThanItsBestHeuristic() throws {
        var config = smallPolicyConfig()
        config.referenceHint = false
        var training = smallTrainingConfig(iterations: 0)
        training.referenceHeuristics = .fast
        let seedProblem = problem(memoryBoundChain(length: 4), testCluster(devices: 2))
        let checkpoint = try PolicyTrainer(problem: seedProblem, policyConfig: config, config: training).checkpoint
        let placer = LearnedPlacer(checkpoint, source: "untrained")
        var fallbacks = 0
        for (graph, clusterName) in [("tiny-moe", "k40x16"), ("tiny-switch", "k40x16"), ("tiny-translation", "k40x4"), ("tiny-hmoe", "cpu2")] {
            let cluster = try #require(Cluster.preset(clusterName))
            let placementProblem = try Compilation.placementProblem(path: graphsDirectory() + "/\(graph).graph", cluster: cluster)
            let best = try #require(PolicyProblem.heuristics(placementProblem, set: .fast).map(\.stepTime).min())
            let decision = try placer.decision(for: placementProblem)
            let step = try Evaluation.run(placementProblem, devices: decision.devices, priority: decision.priority).report.makespan
            #expect(step <= best * (1 + 1e-12), "\(graph) on \(clusterName): \(step) s against the best heuristic's \(best) s")
            if decision.origin.contains("simulated slower") { fallbacks += 1 }
        }
        #expect(fallbacks > 0, "the untrained network should lose somewhere, exercising the fallback")
    }
}

/// Running m-ETF on a second thread (what large graphs do) gives the same references, in the same
/// order, as running every heuristic in turn.
@Suite struct ParallelHeuristicsTests {
    @Test func sameReferencesOnOneThreadOrTwo() throws {
        for (graph, clusterName) in [("tiny-moe", "k40x16"), ("tiny-translation", "k40x4")] {
            let cluster = try #require(Cluster.preset(clusterName))
            let placementProblem = try Compilation.placementProblem(path: graphsDirectory() + "/\(graph).graph", cluster: cluster)
            let one = PolicyProblem.heuristics(placementProblem, seed: 3, set: .fast, parallel: false)
            let two = PolicyProblem.heuristics(placementProblem, seed: 3, set: .fast, parallel: true)
            #expect(one.map(\.name) == Placers.startingNames)
            #expect(one.map(\.name) == two.map(\.name))
            #expect(one.map(\.placement) == two.map(\.placement), "\(graph)")
            #expect(one.map(\.stepTime) == two.map(\.stepTime), "\(graph)")
        }
    }
}
