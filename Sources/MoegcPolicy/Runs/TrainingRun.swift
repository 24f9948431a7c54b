import Foundation
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// A training run as `moegc place --train-policy` makes one, on one graph or over a set: the
/// defaults each kind of run takes, cloning then PPO to the end with progress reported, a
/// checkpoint written atomically every `checkpointEvery` iterations (and at the end), resuming
/// from a checkpoint, and the learning curve written beside the policy as `NAME.csv` and `NAME.svg`.
public enum TrainingRun {
    /// What a new run may set; nil leaves the kind of run's default.
    public struct Settings: Sendable {
        public var seed: UInt64 = 0
        public var iterations: Int?
        public var samplesPerIteration: Int?
        public var cloningSteps: Int?
        public var explorationMoves: Double?
        public var problemsPerIteration: Int?
        public var priorityHead = true
        public var fusionHead = false
        public var scoreClip: Float?

        public init() {}
    }

    /// Progress of a run: steps done of the total, a status line, whether to draw it now.
    public typealias Progress = (_ done: Int, _ total: Int, _ status: String, _ force: Bool) -> Void

    /// The configuration a new run over `problemCount` problems uses: `TrainingConfig`'s defaults on
    /// one graph; over a set, the shipped policy's (2000 iterations — a 24000-iteration run
    /// collapsed, see policies/README.md —, max(300, 3 per problem) cloning steps, exploration at 2
    /// moves a sample); then what `settings` sets.
    public static func configuration(problemCount: Int, references: HeuristicSet?, settings: Settings) -> (PolicyConfig, TrainingConfig) {
        var policyConfig = PolicyConfig()
        policyConfig.priorityHead = settings.priorityHead
        policyConfig.scoreClip = settings.scoreClip
        if settings.fusionHead { policyConfig.fusionHead = true }
        var config = TrainingConfig()
        config.seed = settings.seed
        config.referenceHeuristics = references
        if problemCount > 1 {
            config.iterations = 2000
            config.cloningSteps = max(300, 3 * problemCount)
            config.explorationMoves = 2
        }
        if let n = settings.iterations { config.iterations = n }
        if let k = settings.samplesPerIteration { config.samplesPerIteration = k }
        if let c = settings.cloningSteps { config.cloningSteps = c }
        if let m = settings.explorationMoves { config.explorationMoves = m }
        config.problemsPerIteration = settings.problemsPerIteration
        return (policyConfig, config)
    }

    /// Trains on `problems` (a new run, or the one checkpointed at `out` when `resume`), writes the
    /// policy and its learning curve to `out`, and returns the trainer and the seconds it took.
    public static func train(_ problems: [PolicyProblem], settings: Settings, references: HeuristicSet?, resume: Bool,
                             out: String, progress: Progress) throws(PolicyError) -> (trainer: PolicyTrainer, seconds: Double, samples: Int) {
        var trainer: PolicyTrainer
        if resume {
            guard !FileIO.isDirectory(out), FileManager.default.fileExists(atPath: out) else {
                throw PolicyError(.io, "--resume: there is no training run to resume (no policy file here); train without --resume to start one, or name the run's policy with --out", path: out)
            }
            trainer = try PolicyTrainer(problems: problems, resuming: try CheckpointFile.read(out))
            if let n = settings.iterations { trainer.setIterations(n) }
            if trainer.isFinished {
                throw PolicyError(.io, "--resume: this run has finished its \(trainer.config.iterations) iterations; nothing is left to resume (give --iterations more than \(trainer.iteration) to continue it)", path: out)
            }
        } else {
            let (policyConfig, config) = configuration(problemCount: problems.count, references: references, settings: settings)
            trainer = try PolicyTrainer(problems: problems, policyConfig: policyConfig, config: config)
        }
        let directory = (out as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let start = Date()
        let startSamples = trainer.samples
        try run(&trainer, checkpointTo: out, progress: progress)
        let checkpoint = trainer.checkpoint
        try CheckpointFile.write(checkpoint, to: out)
        try writeCurves(checkpoint.history, problems: problems, base: out)
        return (trainer, Date().timeIntervalSince(start), trainer.samples - startSamples)
    }

    /// Clones, then iterates to the end, reporting progress and writing a checkpoint every
    /// `checkpointEvery` iterations when `checkpointTo` is given.
    public static func run(_ trainer: inout PolicyTrainer, checkpointTo path: String?, progress: Progress) throws(PolicyError) {
        let problems = trainer.problems
        var total = trainer.config.cloningSteps + trainer.config.iterations
        let start = Date()
        let startSamples = trainer.samples
        while !trainer.isCloningFinished {
            let (loss, accuracy) = trainer.cloneStep()
            progress(trainer.cloningSteps, total, "cloning: loss \(Quantity.fixed(loss, 3)), "
                     + "agrees on \(Quantity.fixed(100 * accuracy, 1))% of units", false)
        }
        let cloned = trainer.cloningSteps
        total = cloned + trainer.config.iterations
        let every = trainer.config.checkpointEvery
        while !trainer.isFinished {
            let r = trainer.iterate()
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(trainer.samples - startSamples) / max(elapsed, 1e-9)
            let problem = problems[r.problem]
            let best = r.bestStep > 0 ? Quantity.fixed(r.bestRatio, 3) + "×" : "—"
            let which = problems.count > 1 ? "\(problem.name)@\(problem.cluster.name) " : ""
            progress(cloned + r.iteration, total, "it \(r.iteration) \(which)reward \(Quantity.fixed(r.meanReward, 4)) "
                     + "best \(best) \(problem.reference.name), \(Quantity.fixed(rate, 1)) samples/s",
                     r.iteration == trainer.config.iterations)
            if let path, r.iteration % every == 0 { try CheckpointFile.write(trainer.checkpoint, to: path) }
        }
    }

    /// The learning curve as CSV and SVG beside `base` (one graph: step over its reference; many:
    /// every iteration's ratio to its own problem's reference, averaged over a round of problems).
    public static func writeCurves(_ history: [IterationRecord], problems: [PolicyProblem], base: String) throws(PolicyError) {
        let stem = base.hasSuffix(".policy") ? String(base.dropLast(".policy".count)) : base
        let csv: String, svg: String
        if problems.count == 1 {
            let problem = problems[0]
            // Heuristics within 1.5× of the best (the rest would squash the plot), and the lower bound.
            let best = problem.reference.stepTime
            let levels = problem.references.filter { $0.stepTime <= 1.5 * best }.map { ($0.name, $0.stepTime) }
                + [("lower bound", problem.lowerBound)]
            let title = "\(problem.name) on \(problem.cluster.name): PPO, step / \(problem.reference.name)"
            csv = LearningCurve.csv(history, reference: best)
            svg = LearningCurve.svg(history, reference: best, levels: levels, title: title)
        } else {
            let clusters = Set(problems.map(\.cluster.name)).sorted().joined(separator: ", ")
            csv = LearningCurve.csv(history, reference: 0)
            svg = LearningCurve.svgOverProblems(history, window: problems.count,
                                                title: "\(problems.count) problems (\(clusters)): PPO, step / each one's best heuristic")
        }
        do {
            try FileIO.writeAtomically(stem + ".csv", text: csv)
            try FileIO.writeAtomically(stem + ".svg", text: svg)
        } catch {
            throw PolicyError(.io, error.reason, path: error.path)
        }
    }

    /// Fine-tunes the policy of `checkpoint` on `problem` for `iterations` PPO iterations (fresh
    /// optimiser state, no cloning), writes it and its curve to `out` when given, and places the
    /// graph with it (greedy, or the best of greedy and `samples` samples).
    public static func fineTune(_ problem: PolicyProblem, checkpoint: PolicyCheckpoint, iterations: Int, samples: Int, seed: UInt64,
                                out: String?, source: String, others: [(name: String, stepTime: Double)] = [],
                                progress: Progress) throws(PolicyError) -> String {
        let start = Date()
        let zeroShot = try PolicyPlacer(checkpoint).place(problem, samples: 0, seed: seed)
        var trainer = try PolicyTrainer(fineTuning: checkpoint, on: problem, iterations: iterations, seed: seed)
        try run(&trainer, checkpointTo: nil, progress: progress)
        let tuned = trainer.checkpoint
        if let out {
            try CheckpointFile.write(tuned, to: out)
            try writeCurves(tuned.history, problems: [problem], base: out)
        }
        let (decision, outcome) = try PolicyPlacer(tuned).place(problem, samples: samples, seed: seed)
        let simulations = iterations * (trainer.config.samplesPerIteration + 1) + 2 + samples
        var report = TrainingReport.placement(problem, decision: decision, outcome: outcome, samples: samples, others: others)
        report += "zero-shot (greedy, before fine-tuning): \(Quantity.seconds(zeroShot.outcome.stepTime)) "
            + "(\(Quantity.fixed(zeroShot.outcome.stepTime / problem.reference.stepTime, 3))× \(problem.reference.name))\n"
        report += "fine-tuned \(iterations) iterations from \(source) (fresh optimiser state), \(simulations) simulated placements, "
            + "\(Quantity.fixed(Date().timeIntervalSince(start), 1)) s\n"
        return report
    }
}
