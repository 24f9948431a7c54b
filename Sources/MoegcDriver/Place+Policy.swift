import ArgumentParser
import Foundation
import MoegcCompiler
import MoegcPlacement
import MoegcPolicy
import MoegcSupport

extension Place {
    /// `--train-policy`, `--policy [--fine-tune K | --convergence N]` on one graph: the learned
    /// placer on the fused problem, measured against the heuristic placers (the best of them is
    /// the reward's reference, the cloning target and the policy's hint).
    func runPolicy(_ problem: PlacementProblem) throws {
        try withProgress { progress, endLine in
            if learned.train {
                let policyProblem = try references(problem, set: .all)
                let run = try TrainingRun.train([policyProblem], settings: settings, references: nil, resume: learned.resume,
                                                out: learned.outPath, progress: progress)
                endLine()
                Output.out(TrainingReport.singleGraph(policyProblem, trainer: run.trainer, seconds: run.seconds, samples: run.samples))
                return
            }
            let file = learned.policy!
            let checkpoint = try CheckpointFile.read(file)
            let set = checkpoint.trainingConfig.referenceHeuristics ?? .all
            let policyProblem = try references(problem, set: set)
            if let n = learned.convergence {
                let base = learned.out.map { $0.hasSuffix(".svg") ? String($0.dropLast(4)) : $0 }
                let report = try ConvergenceRun.run(policyProblem, checkpoint: checkpoint, iterations: n, seed: mode.seed, out: base,
                                                    progress: progress)
                endLine()
                Output.out(report)
                return
            }
            if let k = learned.fineTune {
                let report = try TrainingRun.fineTune(policyProblem, checkpoint: checkpoint, iterations: k, samples: learned.samples,
                                                      seed: mode.seed, out: learned.out, source: file,
                                                      others: others(problem, policyProblem, set), progress: progress)
                endLine()
                Output.out(report)
                return
            }
            let (decision, outcome) = try PolicyPlacer(checkpoint).place(policyProblem, samples: learned.samples, seed: mode.seed)
            // Out of memory, the hint is the result (`TrainingReport.chosen`), as compile keeps it.
            Output.out(TrainingReport.placement(policyProblem, decision: decision, outcome: outcome, samples: learned.samples,
                                                others: others(problem, policyProblem, set)))
        }
    }

    /// `--train-policy --graphs DIR` and `--evaluate --policy P --graphs DIR`.
    func runPolicyOverFolder(_ directory: String) throws {
        try withProgress { progress, endLine in
            let files = try TrainingSet.graphFiles(directory)
            if learned.evaluate {
                let checkpoint = try CheckpointFile.read(learned.policy!)
                let cluster = try TrainingSet.clusters([placement.cluster ?? "k40x16"])[0]
                let k = learned.fineTune ?? PolicyEvaluation.defaultFineTuneIterations
                let rows = try TrainingSet.evaluate(files, cluster: cluster, checkpoint: checkpoint, seed: mode.seed,
                                                    budget: placement.budget, fineTune: k) { progress($0, $1, $2, true) }
                endLine()
                Output.out(learned.json ? EvaluationTable.json(rows, policy: learned.policy!, seed: mode.seed, fineTune: k)
                                        : EvaluationTable.markdown(rows, policy: learned.policy!, fineTune: k))
                return
            }
            let clusters = try TrainingSet.clusters(learned.clusterNames)
            let set = try TrainingSet.problems(files, clusters: clusters, seed: mode.seed, budget: placement.budget, set: .fast) {
                progress($0, $1, $2, false)
            }
            endLine()
            for note in set.skipped { Output.err("note: skipping \(note)") }
            Output.err("prepared \(set.problems.count) problems (\(files.count) graphs × \(clusters.count) clusters) in "
                       + "\(Quantity.fixed(set.seconds, 1)) s")
            let run = try TrainingRun.train(set.problems, settings: settings, references: .fast, resume: learned.resume,
                                            out: learned.outPath, progress: progress)
            endLine()
            Output.out(TrainingReport.trainingSet(trainer: run.trainer, seconds: run.seconds, samples: run.samples))
        }
    }

    /// Runs `body` with a progress bar on standard error (`progress` redraws it, `endLine` ends its
    /// line before a report); when `body` throws, ends the line, prints the error and exits 1.
    private func withProgress(_ body: (_ progress: TrainingRun.Progress, _ endLine: () -> Void) throws -> Void) throws {
        var bar = ProgressBar(total: 1)
        try orExit {
            defer { bar.finish() }
            try body({ done, total, status, force in
                bar.total = max(total, 1)
                bar.update(done: done, status: status, force: force)
            }, { bar.finish() })
        }
    }

    /// The training settings the flags give.
    private var settings: TrainingRun.Settings {
        var s = TrainingRun.Settings()
        s.seed = mode.seed
        s.iterations = learned.iterations
        s.samplesPerIteration = learned.samplesPerIteration
        s.cloningSteps = learned.cloningSteps
        s.explorationMoves = learned.explorationMoves
        s.problemsPerIteration = learned.problemsPerIteration
        s.priorityHead = !learned.noPriorityHead
        s.fusionHead = learned.fusionHead
        s.scoreClip = learned.scoreClip
        return s
    }

    /// Rows beside the policy's references: local search from its hint, when its set leaves it out.
    private func others(_ problem: PlacementProblem, _ policyProblem: PolicyProblem, _ set: HeuristicSet) -> [(name: String, stepTime: Double)] {
        PolicyProblem.localSearchBeyond(policyProblem.reference, of: problem, set: set, seed: mode.seed, budget: placement.budget)
            .map { [("\(Placers.localSearch) ← \($0.name) (not in the policy's reference set)", $0.stepTime)] } ?? []
    }

    private func references(_ problem: PlacementProblem, set: HeuristicSet) throws(PolicyError) -> PolicyProblem {
        do {
            return try PolicyProblem.withHeuristics(problem, seed: mode.seed, budget: placement.budget, set: set)
        } catch {
            throw PolicyError(.invalidConfiguration, error.description)
        }
    }
}
