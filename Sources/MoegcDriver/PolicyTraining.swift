import Foundation
import MoegcPolicy
import MoegcSupport

/// `moegc place --train-policy` and `--policy`: the CLI side of MoegcPolicy. Trains with a live
/// progress bar, checkpoints atomically every `checkpointEvery` iterations (and at the end), resumes
/// from `--out`, and writes the learning curve next to the policy as `NAME.csv` and `NAME.svg`.
enum PolicyTraining {
    /// Trains on `problem` as `options` say; returns the report printed on standard output.
    static func train(_ problem: PolicyProblem, options: PolicyOptions, seed: UInt64) throws(PolicyError) -> String {
        var trainer: PolicyTrainer
        if options.resume {
            let checkpoint = try CheckpointFile.read(options.out)
            trainer = try PolicyTrainer(problem: problem, resuming: checkpoint)
            if let n = options.iterations { trainer.setIterations(n) }
        } else {
            var policyConfig = PolicyConfig()
            policyConfig.priorityHead = !options.noPriorityHead
            var config = TrainingConfig()
            config.seed = seed
            if let n = options.iterations { config.iterations = n }
            if let k = options.samplesPerIteration { config.samplesPerIteration = k }
            if let c = options.cloningSteps { config.cloningSteps = c }
            trainer = try PolicyTrainer(problem: problem, policyConfig: policyConfig, config: config)
        }
        let directory = (options.out as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

        let reference = problem.reference
        let total = trainer.config.cloningSteps + trainer.config.iterations
        var bar = ProgressBar(total: total)
        let start = Date()
        let startSamples = trainer.samples
        while !trainer.isCloningFinished {
            let (loss, accuracy) = trainer.cloneStep()
            bar.update(done: trainer.cloningSteps, status: "cloning \(reference.name): loss \(Quantity.fixed(loss, 3)), "
                       + "agrees on \(Quantity.fixed(100 * accuracy, 1))% of units")
        }
        let cloned = trainer.cloningSteps
        bar.total = cloned + trainer.config.iterations
        let every = trainer.config.checkpointEvery
        while !trainer.isFinished {
            let r = trainer.iterate()
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(trainer.samples - startSamples) / max(elapsed, 1e-9)
            let best = r.bestStep > 0 ? Quantity.fixed(r.bestStep / reference.stepTime, 3) + "×" : "—"
            bar.update(done: cloned + r.iteration, status: "it \(r.iteration) reward \(Quantity.fixed(r.meanReward, 4)) "
                       + "best \(best) \(reference.name), \(Quantity.fixed(rate, 1)) samples/s", force: r.iteration == trainer.config.iterations)
            if r.iteration % every == 0 { try CheckpointFile.write(trainer.checkpoint, to: options.out) }
        }
        bar.finish()
        let checkpoint = trainer.checkpoint
        try CheckpointFile.write(checkpoint, to: options.out)
        try writeCurves(checkpoint.history, problem: problem, base: options.out)
        return report(problem, trainer: trainer, seconds: Date().timeIntervalSince(start), samples: trainer.samples - startSamples)
    }

    /// Places `problem` with the policy file at `options.policy`.
    static func place(_ problem: PolicyProblem, options: PolicyOptions, seed: UInt64) throws(PolicyError)
        -> (decision: SampledPlacement, outcome: PlacementOutcome)
    {
        let checkpoint = try CheckpointFile.read(options.policy!)
        return try PolicyPlacer(checkpoint).place(problem, samples: options.samples, seed: seed)
    }

    static func writeCurves(_ history: [IterationRecord], problem: PolicyProblem, base: String) throws(PolicyError) {
        let stem = base.hasSuffix(".policy") ? String(base.dropLast(".policy".count)) : base
        // Heuristics within 1.5× of the best (the rest would squash the plot), and the lower bound.
        let best = problem.reference.stepTime
        let levels = problem.references.filter { $0.stepTime <= 1.5 * best }.map { ($0.name, $0.stepTime) }
            + [("lower bound", problem.lowerBound)]
        let title = "\(problem.name) on \(problem.cluster.name): PPO, step / \(problem.reference.name)"
        do {
            try FileIO.writeAtomically(stem + ".csv", text: LearningCurve.csv(history, reference: problem.reference.stepTime))
            try FileIO.writeAtomically(stem + ".svg", text: LearningCurve.svg(history, reference: problem.reference.stepTime,
                                                                              levels: levels, title: title))
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
        }
        let t = trainer.timing
        out += "trained \(trainer.iteration) iterations (\(trainer.cloningSteps) cloning steps) in \(Quantity.fixed(seconds, 1)) s: "
            + "\(Quantity.fixed(Double(samples) / max(seconds, 1e-9), 1)) samples/s; time in forward \(Quantity.fixed(t.forward, 1)) s, "
            + "backward \(Quantity.fixed(t.backward, 1)) s, simulation \(Quantity.fixed(t.simulation, 1)) s, "
            + "sampling \(Quantity.fixed(t.sampling, 1)) s, optimizer \(Quantity.fixed(t.optimizer, 1)) s\n"
        return out
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
