import Foundation
import MoegcPolicy
import MoegcSupport

/// `moegc place --train-policy` (one graph or `--graphs DIR`) and `--policy`: the CLI side of
/// MoegcPolicy. Trains with a live progress bar, checkpoints atomically every `checkpointEvery`
/// iterations (and at the end), resumes from `--out`, and writes the learning curve next to the
/// policy as `NAME.csv` and `NAME.svg`.
enum PolicyTraining {
    /// Trains on `problems` as `options` say; returns the report printed on standard output.
    /// `heuristics` is the reference set the problems were built with (nil: one graph, every heuristic).
    static func train(_ problems: [PolicyProblem], options: PolicyOptions, seed: UInt64,
                      heuristics: HeuristicSet?) throws(PolicyError) -> String {
        let out = options.outPath
        var trainer: PolicyTrainer
        if options.resume {
            guard !FileIO.isDirectory(out), FileManager.default.fileExists(atPath: out) else {
                throw PolicyError(.io, "--resume: there is no training run to resume (no policy file here); train without --resume to start one, or name the run's policy with --out", path: out)
            }
            let checkpoint = try CheckpointFile.read(out)
            trainer = try PolicyTrainer(problems: problems, resuming: checkpoint)
            if let n = options.iterations { trainer.setIterations(n) }
            if trainer.isFinished {
                throw PolicyError(.io, "--resume: this run has finished its \(trainer.config.iterations) iterations; nothing is left to resume (give --iterations more than \(trainer.iteration) to continue it)", path: out)
            }
        } else {
            var policyConfig = PolicyConfig()
            policyConfig.priorityHead = !options.noPriorityHead
            policyConfig.scoreClip = options.scoreClip
            if options.fusionHead { policyConfig.fusionHead = true }
            var config = TrainingConfig()
            config.seed = seed
            config.referenceHeuristics = heuristics
            if problems.count > 1 {
                config.iterations = 2000
                config.cloningSteps = max(300, 3 * problems.count)
                config.explorationMoves = 2
            }
            if let n = options.iterations { config.iterations = n }
            if let k = options.samplesPerIteration { config.samplesPerIteration = k }
            if let c = options.cloningSteps { config.cloningSteps = c }
            if let m = options.explorationMoves { config.explorationMoves = m }
            config.problemsPerIteration = options.problemsPerIteration
            trainer = try PolicyTrainer(problems: problems, policyConfig: policyConfig, config: config)
        }
        let directory = (out as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let start = Date()
        let startSamples = trainer.samples
        try run(&trainer, checkpointTo: out)
        let checkpoint = trainer.checkpoint
        try CheckpointFile.write(checkpoint, to: out)
        try writeCurves(checkpoint.history, problems: problems, base: out)
        let seconds = Date().timeIntervalSince(start)
        return problems.count == 1
            ? report(problems[0], trainer: trainer, seconds: seconds, samples: trainer.samples - startSamples)
            : TrainingSetReport.render(trainer: trainer, seconds: seconds, samples: trainer.samples - startSamples)
    }

    /// Clones, then iterates to the end with the progress bar, writing a checkpoint every
    /// `checkpointEvery` iterations when `checkpointTo` is given.
    static func run(_ trainer: inout PolicyTrainer, checkpointTo path: String?) throws(PolicyError) {
        let problems = trainer.problems
        let total = trainer.config.cloningSteps + trainer.config.iterations
        var bar = ProgressBar(total: total)
        let start = Date()
        let startSamples = trainer.samples
        while !trainer.isCloningFinished {
            let (loss, accuracy) = trainer.cloneStep()
            bar.update(done: trainer.cloningSteps, status: "cloning: loss \(Quantity.fixed(loss, 3)), "
                       + "agrees on \(Quantity.fixed(100 * accuracy, 1))% of units")
        }
        let cloned = trainer.cloningSteps
        bar.total = cloned + trainer.config.iterations
        let every = trainer.config.checkpointEvery
        while !trainer.isFinished {
            let r = trainer.iterate()
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(trainer.samples - startSamples) / max(elapsed, 1e-9)
            let problem = problems[r.problem]
            let best = r.bestStep > 0 ? Quantity.fixed(r.bestRatio, 3) + "×" : "—"
            let which = problems.count > 1 ? "\(problem.name)@\(problem.cluster.name) " : ""
            bar.update(done: cloned + r.iteration, status: "it \(r.iteration) \(which)reward \(Quantity.fixed(r.meanReward, 4)) "
                       + "best \(best) \(problem.reference.name), \(Quantity.fixed(rate, 1)) samples/s",
                       force: r.iteration == trainer.config.iterations)
            if let path, r.iteration % every == 0 { try CheckpointFile.write(trainer.checkpoint, to: path) }
        }
        bar.finish()
    }

    /// Places `problem` with the policy in `checkpoint`.
    static func place(_ problem: PolicyProblem, checkpoint: PolicyCheckpoint, samples: Int, seed: UInt64) throws(PolicyError)
        -> (decision: SampledPlacement, outcome: PlacementOutcome)
    {
        try PolicyPlacer(checkpoint).place(problem, samples: samples, seed: seed)
    }

    /// The learning curve as CSV and SVG beside `base` (one graph: step over its reference; many:
    /// every iteration's ratio to its own problem's reference, averaged over a round of problems).
    static func writeCurves(_ history: [IterationRecord], problems: [PolicyProblem], base: String) throws(PolicyError) {
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

    static func report(_ problem: PolicyProblem, trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let reference = problem.reference
        var out = "\(problem.name) on \(problem.cluster.name): \(problem.taskCount) tasks; "
            + "lower bound \(Quantity.fixed(problem.lowerBound * 1e3, 3)) ms\n"
        out += "| placement | step (ms) | × best heuristic | × bound |\n|---|---|---|---|\n"
        var rows = problem.references.map { ($0.name, $0.stepTime) }
        if let best = trainer.best { rows.append(("policy (best found)", best.stepTime)) }
        for (name, step) in rows {
            out += "| \(name) | \(Quantity.fixed(step * 1e3, 3)) | \(Quantity.fixed(step / reference.stepTime, 3)) | "
                + "\(Quantity.fixed(step / problem.lowerBound, 3)) |\n"
        }
        if var environment = try? PlacementEnvironment(problem) {
            let replay = environment.evaluate(reference.placement)
            out += "\(reference.name)'s placement ordered by b-level, as the policy's decisions are: "
                + "\(Quantity.fixed(replay.stepTime * 1e3, 3)) ms (\(Quantity.fixed(replay.stepTime / reference.stepTime, 3))×)\n"
            if trainer.policy.config.usesFusionHead {
                // The fusion head's naive rival: merge every candidate the heuristic's placement allows.
                let all = environment.evaluate(reference.placement, priorityOffsets: nil,
                                               merge: Array(repeating: true, count: environment.merging.candidates.count))
                out += "\(reference.name)'s placement with every one of the \(environment.merging.candidates.count) merge candidates merged: "
                    + "\(Quantity.fixed(all.stepTime * 1e3, 3)) ms (\(Quantity.fixed(all.stepTime / reference.stepTime, 3))×)\n"
            }
        }
        return out + timingLine(trainer, seconds: seconds, samples: samples)
    }

    static func timingLine(_ trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let t = trainer.timing
        return "trained \(trainer.iteration) iterations (\(trainer.cloningSteps) cloning steps) in \(Quantity.fixed(seconds, 1)) s: "
            + "\(Quantity.fixed(Double(samples) / max(seconds, 1e-9), 1)) samples/s; time in forward \(Quantity.fixed(t.forward, 1)) s, "
            + "backward \(Quantity.fixed(t.backward, 1)) s, simulation \(Quantity.fixed(t.simulation, 1)) s, "
            + "sampling \(Quantity.fixed(t.sampling, 1)) s, optimizer \(Quantity.fixed(t.optimizer, 1)) s\n"
    }
}

extension PolicyTraining {
    /// The table `moegc place --policy` prints: the policy's placement beside every heuristic.
    static func placementReport(_ problem: PolicyProblem, decision: SampledPlacement, outcome: PlacementOutcome,
                                samples: Int) -> String {
        let reference = problem.reference
        let how = (samples > 0 ? "best of greedy and \(samples) samples" : "greedy") + "; chosen: \(decision.origin)"
        var out = "\(problem.name) on \(problem.cluster.name): \(problem.taskCount) tasks, \(problem.unitCount) units; "
            + "lower bound \(Quantity.fixed(problem.lowerBound * 1e3, 3)) ms\n"
        out += "| placement | step (ms) | × best heuristic | × bound |\n|---|---|---|---|\n"
        let policyRow = ("policy (\(how))" + (outcome.outOfMemory ? ", OUT OF MEMORY" : ""), outcome.stepTime)
        for (name, step) in problem.references.map({ ($0.name, $0.stepTime) }) + [policyRow] {
            out += "| \(name) | \(Quantity.fixed(step * 1e3, 3)) | \(Quantity.fixed(step / reference.stepTime, 3)) | "
                + "\(Quantity.fixed(step / problem.lowerBound, 3)) |\n"
        }
        let used = Set(decision.placement).count
        out += "the policy uses \(used) of \(problem.deviceCount) devices\n"
        return out
    }
}
