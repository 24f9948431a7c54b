import MoegcNN
@testable import MoegcPolicy
import MoegcSim
import Testing

/// Iterations over several problems at once (`problemsPerIteration`): every problem of the
/// iteration gets its row, the schedule's problems are visited in order, one optimiser step per
/// epoch is taken, and a run stopped and resumed ends with the same bytes.
@Suite struct MixedBatchTests {
    func problems() -> [PolicyProblem] {
        [problem(forkJoinGraph(), testCluster(devices: 2), name: "fork"),
         problem(RandomGraphs.layered(tasks: 14, width: 3, seed: 5), testCluster(devices: 3), name: "layered"),
         problem(RandomGraphs.layered(tasks: 10, width: 2, seed: 6), testCluster(devices: 2), name: "small")]
    }

    func config(iterations: Int) -> TrainingConfig {
        var c = smallTrainingConfig(iterations: iterations)
        c.problemsPerIteration = 2
        c.explorationMoves = 2
        return c
    }

    @Test func eachIterationTrainsOnItsProblemsTogether() throws {
        var trainer = try PolicyTrainer(problems: problems(), policyConfig: smallPolicyConfig(), config: config(iterations: 3))
        let schedule = ProblemSchedule(problemCount: 3, seed: trainer.config.seed, salt: 0x70706F)
        while !trainer.isFinished {
            let before = trainer.iteration, steps = trainer.adam.stepCount
            #expect(trainer.nextProblem == schedule.problem(at: 2 * before))
            trainer.iterate()
            let rows = trainer.history.suffix(2)
            #expect(rows.map(\.problem) == [schedule.problem(at: 2 * before), schedule.problem(at: 2 * before + 1)])
            #expect(rows.allSatisfy { $0.iteration == before + 1 })
            #expect(trainer.adam.stepCount - steps <= trainer.config.epochs)
        }
        #expect(trainer.history.count == 6)
        #expect(trainer.samples == 6 * trainer.config.samplesPerIteration)
    }

    @Test func resumedRunEndsWithTheSameBytes() throws {
        var whole = try PolicyTrainer(problems: problems(), policyConfig: smallPolicyConfig(), config: config(iterations: 4))
        while !whole.isFinished { whole.iterate() }
        var first = try PolicyTrainer(problems: problems(), policyConfig: smallPolicyConfig(), config: config(iterations: 4))
        for _ in 0..<2 { first.iterate() }
        var resumed = try PolicyTrainer(problems: problems(), resuming: try CheckpointFile.decode(CheckpointFile.encode(first.checkpoint)))
        while !resumed.isFinished { resumed.iterate() }
        #expect(CheckpointFile.encode(resumed.checkpoint) == CheckpointFile.encode(whole.checkpoint))
    }

    @Test func rejectsZeroProblemsPerIteration() {
        var c = TrainingConfig()
        c.problemsPerIteration = 0
        #expect(c.problem != nil)
    }
}
