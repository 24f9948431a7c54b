import Foundation
import MoegcSim
import MoegcSupport

/// `moegc place GRAPH --policy P --convergence N`: the same unseen graph trained from scratch and
/// fine-tuned from the policy, N PPO iterations each, with the simulated placements each needed
/// to reach 95% of the from-scratch run's final quality, and both learning curves in one SVG.
public enum ConvergenceRun {
    public struct Run: Sendable {
        public var name: String
        public var history: [IterationRecord]
        public var clonedSteps: Int
    }

    public static func run(_ problem: PolicyProblem, checkpoint: PolicyCheckpoint, iterations: Int, seed: UInt64,
                           out: String?, progress: TrainingRun.Progress) throws(PolicyError) -> String {
        var runs: [Run] = []
        // Fine-tuning: the policy's weights, fresh Adam, no cloning.
        var tuned = try PolicyTrainer(fineTuning: checkpoint, on: problem, iterations: iterations, seed: seed)
        try TrainingRun.run(&tuned, checkpointTo: nil, progress: progress)
        runs.append(Run(name: "fine-tuned", history: tuned.history, clonedSteps: 0))
        // From scratch: a fresh network with the same hyperparameters, cloning the best heuristic
        // first (cloning simulates nothing), then PPO; and without cloning. Like fine-tuning, its
        // hint follows the best placement found, so both runs use one algorithm.
        for cloning in [true, false] {
            var config = checkpoint.trainingConfig
            config.iterations = iterations
            config.seed = seed
            config.hintTracksBest = true
            config.cloningSteps = cloning ? TrainingConfig().cloningSteps : 0
            var scratch = try PolicyTrainer(problem: problem, policyConfig: checkpoint.policyConfig, config: config)
            try TrainingRun.run(&scratch, checkpointTo: nil, progress: progress)
            runs.append(Run(name: cloning ? "from scratch (cloning, then PPO)" : "from scratch (PPO only)",
                            history: scratch.history, clonedSteps: scratch.cloningSteps))
        }
        let perIteration = checkpoint.trainingConfig.samplesPerIteration + 1
        let measure = Convergence(simulationsPerIteration: perIteration)
        let final = measure.finalQuality(runs[1].history)
        let target = 0.95 * final
        var report = "\(problem.name) on \(problem.cluster.name) (\(problem.taskCount) tasks), \(iterations) PPO iterations each, "
            + "\(perIteration) simulated placements an iteration; quality = \(problem.reference.name) step / mean sampled step "
            + "(\(measure.window)-iteration mean); target 95% of the from-scratch (cloning) run's final quality "
            + "\(Quantity.fixed(final, 3)) = \(Quantity.fixed(target, 3))\n\n"
        report += "| run | simulated placements to the target | final quality | best found × \(problem.reference.name) |\n|---|---:|---:|---:|\n"
        var reached: [Int?] = []
        for run in runs {
            let n = measure.simulationsToReach(target, in: run.history)
            reached.append(n)
            let best = run.history.last.map { $0.bestStep / problem.reference.stepTime } ?? 0
            report += "| \(run.name)\(run.clonedSteps > 0 ? " (+\(run.clonedSteps) cloning steps)" : "") | "
                + "\(n.map { "\($0)" } ?? "not reached") | \(Quantity.fixed(measure.finalQuality(run.history), 3)) | \(Quantity.fixed(best, 3)) |\n"
        }
        if let a = reached[0], let b = reached[1] {
            report += "\nfine-tuning reached the target with \(Quantity.fixed(Double(b) / Double(a), 1))× fewer simulated placements than training from scratch with cloning"
            if let c = reached[2] { report += ", \(Quantity.fixed(Double(c) / Double(a), 1))× fewer than from scratch without cloning" }
            report += "\n"
        }
        if let out {
            try write(runs, problem: problem, measure: measure, target: target, base: out)
            report += "curves: \(out).svg, \(out).csv\n"
        }
        return report
    }

    /// One SVG (step over the reference against simulated placements: each run's mean sampled and
    /// best so far) and one CSV (one row per run and iteration).
    static func write(_ runs: [Run], problem: PolicyProblem, measure: Convergence, target: Double, base: String) throws(PolicyError) {
        let colors = [("#d62728", "#ff9896"), ("#1f77b4", "#aec7e8"), ("#2ca02c", "#98df8a")]
        var series: [LearningCurve.Series] = []
        var csv = "run,iteration,simulations,mean_step_ratio,best_step_ratio,quality\n"
        for (i, run) in runs.enumerated() {
            let x = { (r: IterationRecord) in Double(r.iteration * measure.simulationsPerIteration) }
            series.append(LearningCurve.Series(name: "\(run.name): mean", color: colors[i % 3].0,
                                               points: run.history.filter { $0.meanStep > 0 }.map { (x($0), $0.meanRatio) }, firm: false))
            series.append(LearningCurve.Series(name: "\(run.name): best", color: colors[i % 3].1,
                                               points: run.history.filter { $0.bestStep > 0 }.map { (x($0), $0.bestRatio) }, firm: true))
            for (r, q) in zip(run.history, measure.quality(run.history)) {
                csv += "\"\(run.name)\",\(r.iteration),\(Int(x(r))),\(r.meanRatio),\(r.bestRatio),\(q ?? 0)\n"
            }
        }
        let svg = LearningCurve.plot(series, levels: [(problem.reference.name, 1), ("95% target", 1 / target)],
                                     title: "\(problem.name) on \(problem.cluster.name): fine-tuned vs from scratch",
                                     xLabel: "simulated placements")
        do {
            try FileIO.writeAtomically(base + ".svg", text: svg)
            try FileIO.writeAtomically(base + ".csv", text: csv)
        } catch {
            throw PolicyError(.io, error.reason, path: error.path)
        }
    }
}
