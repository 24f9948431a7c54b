import MoegcIR
@testable import MoegcPolicy
import MoegcSim
import Testing

func smallTrainingConfig(iterations: Int, cloning: Int = 0, seed: UInt64 = 1) -> TrainingConfig {
    var c = TrainingConfig()
    c.iterations = iterations
    c.samplesPerIteration = 8
    c.epochs = 3
    c.cloningSteps = cloning
    c.learningRate = 3e-3
    c.seed = seed
    return c
}

@Suite struct TrainingTests {
    /// Five unequal branches on two devices, where the best heuristic (HEFT) is 7/6 of optimal: PPO
    /// warm-started by cloning HEFT must sample the brute-force optimum's split; without the
    /// heuristic hint its greedy decision must reach it too. (With the hint, the greedy decision
    /// stays anchored to HEFT within 100 iterations on this tiny graph, where the tasks to move are
    /// indistinguishable but for their position. From a uniform start the two identical devices
    /// make every task's expected advantage zero by symmetry: cloning breaks the symmetry.)
    ///
    /// Whether one seed's run leaves HEFT's placement is chance: the last bits of the matmuls
    /// differ between OpenBLAS cores, and a run whose eight samples all repeat HEFT's split gets no
    /// advantage to learn from (on the generic Prescott core 3 of these 8 seeds stay there, on
    /// Haswell and Zen none). So the claim is over seeds: at least half of them, with and without
    /// the hint. A PPO that cannot learn here reaches none.
    @Test(arguments: [false, true])
    func ppoFindsTheBruteForceOptimum(hint: Bool) throws {
        let p = problem(forkJoinGraph(), testCluster(devices: 2))
        let optimum = bruteForceOptimum(p)
        #expect(optimum < p.reference.stepTime * 0.99, "the optimum should beat the heuristics here")
        let seeds: [UInt64] = hint ? [1, 2, 3, 4] : [1, 2, 3, 4, 5, 6, 7, 8]
        var found: [UInt64] = []
        for seed in seeds {
            var config = smallTrainingConfig(iterations: hint ? 100 : 60, cloning: 100, seed: seed)
            config.cloningTargetLoss = 0.7   // a warm start, not a copy: keep room to explore
            config.entropyStart = 0.01
            config.entropyEnd = 0
            var policyConfig = smallPolicyConfig(priorityHead: false)
            policyConfig.referenceHint = hint
            var trainer = try PolicyTrainer(problem: p, policyConfig: policyConfig, config: config)
            while !trainer.isCloningFinished { trainer.cloneStep() }
            #expect(try PolicyPlacer(trainer.checkpoint).place(p).outcome.stepTime >= p.reference.stepTime * 0.999)
            while !trainer.isFinished { trainer.iterate() }
            let best = try #require(trainer.best)
            // Optimal up to where the 1 MB source and sink transfers go (≤ 0.1%); HEFT is 16% off.
            guard best.stepTime <= optimum * 1.001 else { continue }
            if !hint {
                let greedy = try PolicyPlacer(trainer.checkpoint).place(p)
                guard greedy.outcome.stepTime <= optimum * 1.001 else { continue }
            }
            found.append(seed)
            // Sampled rewards rise: the mean over the first and last 10 iterations (80 samples each;
            // 5 iterations were too few to rise above the noise of 8 samples an iteration).
            let early = trainer.history.prefix(10).map(\.meanReward).reduce(0, +)
            let late = trainer.history.suffix(10).map(\.meanReward).reduce(0, +)
            #expect(late > early, "seed \(seed)")
        }
        #expect(2 * found.count >= seeds.count, "the optimum found with seeds \(found) of \(seeds)")
    }

    /// On the graph it was trained on, the policy file also offers the best placement training found;
    /// on another cluster it does not.
    @Test func placerOffersTheBestFoundOnItsOwnProblem() throws {
        let p = problem(RandomGraphs.layered(tasks: 30, width: 4, seed: 6), testCluster(devices: 3))
        var trainer = try PolicyTrainer(problem: p, policyConfig: smallPolicyConfig(), config: smallTrainingConfig(iterations: 5))
        while !trainer.isFinished { trainer.iterate() }
        let best = try #require(trainer.best)
        let placer = try PolicyPlacer(trainer.checkpoint)
        let own = try placer.place(p)
        #expect(own.outcome.stepTime <= best.stepTime)
        let other = problem(p.graph, testCluster(devices: 4))
        let elsewhere = try placer.place(other)
        #expect(elsewhere.decision.origin == "greedy")
    }

    @Test func cloningReproducesTheReference() throws {
        let p = problem(RandomGraphs.layered(tasks: 40, width: 5, seed: 9), testCluster(devices: 4))
        var config = smallTrainingConfig(iterations: 0, cloning: 150)
        config.cloningTargetAccuracy = 0.95
        config.cloningTargetLoss = 0.3
        var trainer = try PolicyTrainer(problem: p, policyConfig: smallPolicyConfig(), config: config)
        var accuracy = 0.0
        while !trainer.isCloningFinished { accuracy = trainer.cloneStep().accuracy }
        #expect(accuracy >= 0.95, "cloning reached only \(accuracy)")
        #expect(trainer.cloningSteps < 150)
    }

    @Test func statisticsAreFiniteAndSampled() throws {
        let p = problem(RandomGraphs.layered(tasks: 30, width: 4, seed: 2), testCluster(devices: 3))
        var trainer = try PolicyTrainer(problem: p, policyConfig: smallPolicyConfig(), config: smallTrainingConfig(iterations: 3))
        for i in 1...3 {
            let r = trainer.iterate()
            #expect(r.iteration == i)
            #expect(r.samples == 8 * i)
            for x in [r.meanReward, r.bestReward, r.entropy, r.approxKL, r.clipFraction, r.valueLoss, r.gradientNorm, r.explainedVariance] {
                #expect(x.isFinite)
            }
            #expect(r.bestReward >= r.meanReward)
            #expect(r.entropy > 0 && r.entropy <= Foundation.log(3) + 1e-6)
        }
        #expect(trainer.timing.simulation > 0 && trainer.timing.forward > 0 && trainer.timing.backward > 0)
    }

    @Test func outOfMemoryPlacementsGetTheFixedReward() throws {
        // Two tasks whose weights each fill a device: together on one device they overflow.
        let tasks = [CostGraph.Task(flops: 1e6, bytesAccessed: 1, residentBytes: 600),
                     CostGraph.Task(flops: 1e6, bytesAccessed: 1, residentBytes: 600)]
        let graph = try CostGraph(tasks: tasks, values: [CostGraph.Value(producer: 0, bytes: 4, consumers: [1])])
        let p = PolicyProblem(name: "oom", graph: graph, cluster: testCluster(devices: 2, memory: 1000),
                                 taskOps: [[.matmul], [.matmul]],
                                 references: [ReferencePlacement(name: "split", placement: [0, 1], stepTime: 1e-3)])
        let trainer = try PolicyTrainer(problem: p, policyConfig: smallPolicyConfig(), config: smallTrainingConfig(iterations: 1))
        var environment = try PlacementEnvironment(p)
        let together = environment.evaluate([0, 0])
        #expect(together.outOfMemory)
        #expect(trainer.reward(together) == -3)
        let apart = environment.evaluate([0, 1])
        #expect(!apart.outOfMemory)
        #expect(trainer.reward(apart) == -(apart.stepTime / 1e-3).squareRoot())
    }

    @Test func rejectsBadConfigurations() {
        let p = problem(forkJoinGraph(), testCluster(devices: 2))
        var config = smallTrainingConfig(iterations: 1)
        config.samplesPerIteration = 1
        #expect(throws: PolicyError.self) { try PolicyTrainer(problem: p, config: config) }
        var policyConfig = smallPolicyConfig()
        policyConfig.gatHeads = 3
        #expect(throws: PolicyError.self) { try PolicyTrainer(problem: p, policyConfig: policyConfig) }
    }
}

import Foundation
