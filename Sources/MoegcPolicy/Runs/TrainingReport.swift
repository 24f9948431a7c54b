import MoegcSim
import MoegcSupport

/// The reports of the learned-placement runs, as `moegc place` prints them.
public enum TrainingReport {
    /// What `moegc place GRAPH --train-policy` prints: every heuristic and the best placement found.
    public static func singleGraph(_ problem: PolicyProblem, trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let reference = problem.reference
        var out = "\(problem.name) on \(problem.cluster.name): \(problem.taskCount) tasks; "
            + "lower bound \(Quantity.seconds(problem.lowerBound))\n"
        out += "| placement | step | × best heuristic | × bound |\n|---|---:|---:|---:|\n"
        var rows = problem.references.map { ($0.name, $0.stepTime) }
        if let best = trainer.best { rows.append(("policy (best found)", best.stepTime)) }
        for (name, step) in rows {
            out += "| \(name) | \(Quantity.seconds(step)) | \(Quantity.fixed(step / reference.stepTime, 3)) | "
                + "\(Quantity.fixed(step / problem.lowerBound, 3)) |\n"
        }
        if var environment = try? PlacementEnvironment(problem) {
            let replay = environment.evaluate(reference.placement)
            out += "\(reference.name)'s placement ordered by b-level, as the policy's decisions are: "
                + "\(Quantity.seconds(replay.stepTime)) (\(Quantity.fixed(replay.stepTime / reference.stepTime, 3))×)\n"
            if trainer.policy.config.usesFusionHead {
                // The fusion head's naive rival: merge every candidate the heuristic's placement allows.
                let all = environment.evaluate(reference.placement, priorityOffsets: nil,
                                               merge: Array(repeating: true, count: environment.merging.candidates.count))
                out += "\(reference.name)'s placement with every one of the \(environment.merging.candidates.count) merge candidates merged: "
                    + "\(Quantity.seconds(all.stepTime)) (\(Quantity.fixed(all.stepTime / reference.stepTime, 3))×)\n"
            }
        }
        return out + timingLine(trainer, seconds: seconds, samples: samples)
    }

    /// Where a run's time went.
    public static func timingLine(_ trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let t = trainer.timing
        return "trained \(trainer.iteration) iterations (\(trainer.cloningSteps) cloning steps) in \(Quantity.fixed(seconds, 1)) s: "
            + "\(Quantity.fixed(Double(samples) / max(seconds, 1e-9), 1)) samples/s; time in forward \(Quantity.fixed(t.forward, 1)) s, "
            + "backward \(Quantity.fixed(t.backward, 1)) s, simulation \(Quantity.fixed(t.simulation, 1)) s, "
            + "sampling \(Quantity.fixed(t.sampling, 1)) s, optimizer \(Quantity.fixed(t.optimizer, 1)) s\n"
    }

    /// The table `moegc place --policy` prints: the policy's placement beside every heuristic (and
    /// `others`: placements outside the policy's reference set, shown but never its hint).
    public static func placement(_ problem: PolicyProblem, decision: SampledPlacement, outcome: PlacementOutcome,
                                samples: Int, others: [(name: String, stepTime: Double)] = []) -> String {
        let reference = problem.reference
        let how = (samples > 0 ? "best of greedy and \(samples) samples" : "greedy") + "; chosen: \(decision.origin)"
        var out = "\(problem.name) on \(problem.cluster.name): \(problem.taskCount) tasks, \(problem.unitCount) units; "
            + "lower bound \(Quantity.seconds(problem.lowerBound))\n"
        out += "| placement | step | × best heuristic | × bound |\n|---|---:|---:|---:|\n"
        let policyRow = ("policy (\(how))" + (outcome.outOfMemory ? ", OUT OF MEMORY" : ""), outcome.stepTime)
        for (name, step) in problem.references.map({ ($0.name, $0.stepTime) }) + others + [policyRow] {
            out += "| \(name) | \(Quantity.seconds(step)) | \(Quantity.fixed(step / reference.stepTime, 3)) | "
                + "\(Quantity.fixed(step / problem.lowerBound, 3)) |\n"
        }
        let used = Set(decision.placement).count
        out += "the policy uses \(used) of \(problem.deviceCount) devices\n"
        return out + chosen(problem, outcome: outcome)
    }

    /// Which placement the command keeps — never slower than the hint, as `compile` does: the policy's, unless it ran out of
    /// memory or simulated slower than its hint (the best of its reference heuristics).
    public static func chosen(_ problem: PolicyProblem, outcome: PlacementOutcome) -> String {
        let hint = problem.reference
        if outcome.outOfMemory || outcome.stepTime > hint.stepTime {
            let why = outcome.outOfMemory ? "ran out of device memory" : "simulated slower (\(Quantity.seconds(outcome.stepTime)))"
            return "result: \(hint.name), the policy's hint, \(Quantity.seconds(hint.stepTime)): the policy's placement \(why)\n"
        }
        return "result: the policy's placement, \(Quantity.seconds(outcome.stepTime)) "
            + "(\(Quantity.fixed(outcome.stepTime / hint.stepTime, 3))× its hint, \(hint.name))\n"
    }
}

extension TrainingReport {
    /// What `moegc place --train-policy --graphs DIR` prints: every problem's best placement found in
    /// training against its reference, and the geometric means per cluster.
    public static func trainingSet(trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let problems = trainer.problems
        var iterations = [Int](repeating: 0, count: problems.count)
        var lastMean = [Double](repeating: 0, count: problems.count)
        for r in trainer.history where r.problem < problems.count {
            iterations[r.problem] += 1
            if r.meanRatio > 0 { lastMean[r.problem] = r.meanRatio }
        }
        var out = "| graph | cluster | tasks | units | reference | ref step | iterations | best found × ref | last mean sampled × ref |\n"
            + "|---|---|---:|---:|---|---:|---:|---:|---:|\n"
        var byCluster: [String: [Double]] = [:]
        for (p, problem) in problems.enumerated() {
            let best = trainer.bests[p].map { $0.stepTime / problem.reference.stepTime }
            if let best { byCluster[problem.cluster.name, default: []].append(best) }
            out += "| \(problem.name) | \(problem.cluster.name) | \(problem.taskCount) | \(problem.unitCount) | \(problem.reference.name) | "
                + "\(Quantity.seconds(problem.reference.stepTime)) | \(iterations[p]) | \(best.map { Quantity.fixed($0, 3) } ?? "—") | "
                + "\(lastMean[p] > 0 ? Quantity.fixed(lastMean[p], 3) : "—") |\n"
        }
        for (cluster, ratios) in byCluster.sorted(by: { $0.key < $1.key }) {
            out += "\(cluster): geometric mean of the best found over the reference \(Quantity.fixed(Statistics.geometricMean(ratios), 3)) "
                + "over \(ratios.count) graphs\n"
        }
        return out + timingLine(trainer, seconds: seconds, samples: samples)
    }
}
