import ArgumentParser
import Foundation
import MoegcPlacement
import MoegcPolicy
import MoegcSim
import MoegcSupport

extension Place {
    /// `--train-policy`, `--policy [--fine-tune K]` on one graph: the learned placer on the fused
    /// problem, measured against the heuristic placers (the best of them is the reward's reference,
    /// the cloning target and the policy's hint).
    func runPolicy(_ problem: PlacementProblem) throws {
        do {
            if learned.train {
                let policyProblem = try references(problem, set: .all)
                Output.out(try PolicyTraining.train([policyProblem], options: learned, seed: mode.seed, heuristics: nil))
                return
            }
            let checkpoint = try CheckpointFile.read(learned.policy!)
            let policyProblem = try references(problem, set: checkpoint.trainingConfig.referenceHeuristics ?? .all)
            if let n = learned.convergence {
                let base = learned.out.map { $0.hasSuffix(".svg") ? String($0.dropLast(4)) : $0 }
                Output.out(try ConvergenceRun.run(policyProblem, checkpoint: checkpoint, iterations: n, seed: mode.seed, out: base))
                return
            }
            if let k = learned.fineTune {
                Output.out(try fineTune(policyProblem, checkpoint: checkpoint, iterations: k))
                return
            }
            let (decision, outcome) = try PolicyTraining.place(policyProblem, checkpoint: checkpoint, samples: learned.samples,
                                                               seed: mode.seed)
            Output.out(PolicyTraining.placementReport(policyProblem, decision: decision, outcome: outcome, samples: learned.samples))
            if outcome.outOfMemory { throw ExitCode(1) }
        } catch let error as PolicyError {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    /// `--train-policy --graphs DIR` and `--evaluate --policy P --graphs DIR`.
    func runPolicyOverFolder(_ directory: String) throws {
        do {
            let files = try PolicySet.graphFiles(directory)
            if learned.evaluate {
                let checkpoint = try CheckpointFile.read(learned.policy!)
                let cluster = try PolicySet.clusters([placement.cluster ?? "k40x16"])[0]
                let k = learned.fineTune ?? PolicyEvaluation.defaultFineTuneIterations
                let rows = try EvaluationTable.evaluate(files, cluster: cluster, checkpoint: checkpoint, seed: mode.seed,
                                                        budget: placement.budget, fineTune: k)
                Output.out(learned.json ? EvaluationTable.json(rows, policy: learned.policy!, seed: mode.seed, fineTune: k)
                                        : EvaluationTable.markdown(rows, policy: learned.policy!, fineTune: k))
                return
            }
            let clusters = try PolicySet.clusters(learned.clusterNames)
            let (problems, seconds) = try PolicySet.problems(files, clusters: clusters, seed: mode.seed,
                                                              budget: placement.budget, set: .fast)
            Output.err("prepared \(problems.count) problems (\(files.count) graphs × \(clusters.count) clusters) in "
                       + "\(Quantity.fixed(seconds, 1)) s")
            Output.out(try PolicyTraining.train(problems, options: learned, seed: mode.seed, heuristics: .fast))
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    private func references(_ problem: PlacementProblem, set: HeuristicSet) throws(PolicyError) -> PolicyProblem {
        do {
            return try PolicyProblem.withHeuristics(problem, seed: mode.seed, budget: placement.budget, set: set)
        } catch {
            throw PolicyError(.invalidConfiguration, error.description)
        }
    }

    /// Fine-tunes the policy on `problem` for `iterations` PPO iterations (fresh Adam state, no
    /// cloning), writes it to --out if given, and places the graph with it.
    private func fineTune(_ problem: PolicyProblem, checkpoint: PolicyCheckpoint, iterations: Int) throws(PolicyError) -> String {
        let start = Date()
        let zeroShot = try PolicyPlacer(checkpoint).place(problem, samples: 0, seed: mode.seed)
        var trainer = try PolicyTrainer(fineTuning: checkpoint, on: problem, iterations: iterations, seed: mode.seed)
        try PolicyTraining.run(&trainer, checkpointTo: nil)
        let tuned = trainer.checkpoint
        if let out = learned.out {
            try CheckpointFile.write(tuned, to: out)
            try PolicyTraining.writeCurves(tuned.history, problems: [problem], base: out)
        }
        let (decision, outcome) = try PolicyPlacer(tuned).place(problem, samples: learned.samples, seed: mode.seed)
        let simulations = iterations * (trainer.config.samplesPerIteration + 1) + 2 + learned.samples
        var report = PolicyTraining.placementReport(problem, decision: decision, outcome: outcome, samples: learned.samples)
        report += "zero-shot (greedy, before fine-tuning): \(Quantity.fixed(zeroShot.outcome.stepTime * 1e3, 3)) ms "
            + "(\(Quantity.fixed(zeroShot.outcome.stepTime / problem.reference.stepTime, 3))× \(problem.reference.name))\n"
        report += "fine-tuned \(iterations) iterations from \(learned.policy!) (fresh optimiser state), \(simulations) simulated placements, "
            + "\(Quantity.fixed(Date().timeIntervalSince(start), 1)) s\n"
        return report
    }
}
