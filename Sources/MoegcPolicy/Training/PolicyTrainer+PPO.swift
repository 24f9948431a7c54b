import MoegcNN

extension PolicyTrainer {
    /// One problem's share of an iteration: its forward pass (on `tape`), the sampled batch and its
    /// rewards, ready for the PPO update.
    struct SampledBatch {
        let problem: Int
        var tape: Tape
        var output: PolicyOutput
        let temperature: Float
        let batch: PPOBatch
        let rewards: [Double]
        let feasibleSteps: [Double]
        let explainedVariance: Double
        /// The last update's statistics (before any: the placement distributions' entropy).
        var statistics: PPOStatistics
        /// Whether the samples' rewards differ (otherwise the batch teaches nothing but the value).
        let informative: Bool
    }

    /// Problems one iteration samples and updates on together (`problemsPerIteration`, at most
    /// the number of problems).
    var problemsPerIteration: Int { max(1, min(config.problemsPerIteration ?? 1, problems.count)) }

    /// One PPO iteration: sample and simulate on the problem(s) the schedule names, then update.
    /// With several problems an iteration, each problem's advantages are normalised on its own
    /// samples, and each PPO epoch takes one optimiser step along the mean of their gradients,
    /// stopping when the mean approximate KL passes the target. Every problem's learning-curve
    /// row goes into `history`; the last one is returned.
    @discardableResult
    public mutating func iterate() -> IterationRecord {
        let count = problemsPerIteration
        var sampled = (0..<count).map { j in sample(problem: iterationSchedule.problem(at: iteration * count + j)) }
        let clock = ContinuousClock()
        let entropyCoefficient = config.entropyCoefficient(iteration: iteration, of: config.iterations)
        var gradientNorm = 0.0
        // A problem whose samples all scored the same has nothing to teach but the value; with no
        // other problem, the update is skipped rather than let the optimiser amplify noise.
        let learning = sampled.indices.filter { sampled[$0].informative }
        epochs: for epoch in 0..<(learning.isEmpty ? 0 : config.epochs) {
            var evaluated: [(index: Int, loss: Var, stats: PPOStatistics)] = []
            for i in learning {
                if epoch > 0 {
                    let t0 = clock.now
                    sampled[i].tape = Tape(parameters: parameters)
                    sampled[i].output = policy(prepared[sampled[i].problem], tape: sampled[i].tape).tempered(sampled[i].temperature)
                    timing.forward += seconds(since: t0, clock)
                }
                let (loss, stats) = PPOLoss.loss(sampled[i].output, batch: sampled[i].batch, clip: config.clip,
                                                 entropyCoefficient: entropyCoefficient, valueCoefficient: config.valueCoefficient)
                evaluated.append((i, loss, stats))
            }
            let kl = evaluated.map(\.stats.approxKL).reduce(0, +) / Double(evaluated.count)
            if epoch > 0 && config.targetKL > 0 && kl > Double(config.targetKL) { break epochs }
            var t0 = clock.now
            var total = ParameterGradients()
            for (n, e) in evaluated.enumerated() {
                sampled[e.index].statistics = e.stats
                var gradients = sampled[e.index].tape.backward(e.loss).parameters
                if evaluated.count > 1 { gradients.scale(by: 1 / Float(evaluated.count)) }
                if n == 0 { total = gradients } else { total.add(gradients) }
            }
            timing.backward += seconds(since: t0, clock)
            t0 = clock.now
            gradientNorm = adam.step(&parameters, gradients: total).gradientNorm
            timing.optimizer += seconds(since: t0, clock)
        }
        iteration += 1
        for s in sampled {
            let k = s.rewards.count
            history.append(IterationRecord(
                iteration: iteration, meanReward: s.rewards.reduce(0, +) / Double(k), bestReward: s.rewards.max() ?? 0,
                meanStep: s.feasibleSteps.isEmpty ? 0 : s.feasibleSteps.reduce(0, +) / Double(s.feasibleSteps.count),
                bestStep: bests[s.problem]?.stepTime ?? 0, entropy: s.statistics.entropy, approxKL: s.statistics.approxKL,
                clipFraction: s.statistics.clipFraction, explainedVariance: s.explainedVariance, valueLoss: s.statistics.valueLoss,
                gradientNorm: gradientNorm, outOfMemoryFraction: Double(k - s.feasibleSteps.count) / Double(k), samples: samples,
                problem: s.problem, referenceStep: problems[s.problem].reference.stepTime))
        }
        return history[history.count - 1]
    }

    /// Problem `p`'s forward pass, samples and their simulated rewards (the greedy decision is
    /// simulated too: it competes for the best placement, not for the batch).
    private mutating func sample(problem p: Int) -> SampledBatch {
        let clock = ContinuousClock()
        let problem = problems[p]
        let n = problem.taskCount, k = config.samplesPerIteration
        var t0 = clock.now
        // The hint shows the best placement known: the best heuristic's until one found beats it.
        if config.hintTracksBest == true, let best = bests[p], best.stepTime < problem.reference.stepTime,
           !best.placement.isEmpty, best.placement != hinted[p] {
            var input = prepared[p].input
            input.hint = Featurizer.hint(best.placement, deviceCount: problem.deviceCount)
            prepared[p] = PreparedInput(input: input, positionCode: prepared[p].positionCode)
            hinted[p] = best.placement
        }
        let tape = Tape(parameters: parameters)
        let raw = policy(prepared[p], tape: tape)
        let temperature = config.explorationMoves.map { Sampler.temperature(forMoves: $0, logits: raw.logits.value) } ?? 1
        let output = raw.tempered(temperature)
        timing.forward += seconds(since: t0, clock)

        t0 = clock.now
        let logProbabilities = output.logProbabilities.value
        let mean = output.priorityMean?.value
        let logStd = output.priorityLogStd?.value.scalar ?? 0
        let fusion = output.fusionLogProbabilities?.value
        let u = problem.unitCount, d = problem.deviceCount
        var batch = PPOBatch(unitCount: u, taskCount: n)
        batch.candidateCount = fusion?.shape[0] ?? 0
        batch.actions.reserveCapacity(k * u)
        batch.oldPlacementLogProbabilities.reserveCapacity(k * u)
        var decisions: [SampledPlacement] = []
        for _ in 0..<k {
            let unitDevices = Sampler.sample(logProbabilities, using: &rng)
            for (unit, device) in unitDevices.enumerated() {
                batch.actions.append(Int32(device))
                batch.oldPlacementLogProbabilities.append(logProbabilities.scalars[unit * d + device])
            }
            let offsets = mean.map { Sampler.priorities(mean: $0, logStd: logStd, using: &rng) }
            if let offsets, let mean {
                batch.offsets.append(contentsOf: offsets)
                for t in 0..<n {
                    batch.oldPriorityLogDensities.append(PPOLoss.gaussianLogDensity(offsets[t], mean: mean.scalars[t], logStd: logStd))
                }
            }
            var merge: [Bool]? = nil
            if let fusion {
                let drawn = Sampler.merges(fusion, using: &rng)
                for (c, action) in drawn.actions.enumerated() {
                    batch.fusionActions.append(Int32(action))
                    batch.oldFusionLogProbabilities.append(fusion.scalars[c * 2 + action])
                }
                merge = drawn.merge
            }
            decisions.append(SampledPlacement(placement: problem.expand(unitDevices), priorityOffsets: offsets, merge: merge))
        }
        timing.sampling += seconds(since: t0, clock)

        t0 = clock.now
        let greedy = SampledPlacement(placement: problem.expand(Sampler.greedy(logProbabilities)), priorityOffsets: mean?.scalars,
                                      merge: fusion.map(Sampler.greedyMerges))
        let greedyOutcome = environments[p].evaluate(greedy.placement, priorityOffsets: greedy.priorityOffsets, merge: greedy.merge)
        consider(greedy, greedyOutcome, problem: p)
        var rewards: [Double] = [], feasibleSteps: [Double] = []
        for decision in decisions {
            let outcome = environments[p].evaluate(decision.placement, priorityOffsets: decision.priorityOffsets, merge: decision.merge)
            rewards.append(reward(outcome, problem: p))
            if !outcome.outOfMemory { feasibleSteps.append(outcome.stepTime) }
            consider(decision, outcome, problem: p)
        }
        samples += k
        timing.simulation += seconds(since: t0, clock)

        let meanReward = rewards.reduce(0, +) / Double(k)
        let value = Double(output.value.value.scalars[0])
        let baseline = config.baseline == .sampleMean ? meanReward : value
        let spread = (rewards.map { ($0 - meanReward) * ($0 - meanReward) }.reduce(0, +) / Double(k)).squareRoot()
        let scale = config.normalizeAdvantages && spread > 1e-8 ? spread : 1
        batch.advantages = rewards.map { Float(($0 - baseline) / scale) }
        batch.rewards = rewards.map { Float($0) }
        let residual = rewards.map { $0 - value }
        let residualMean = residual.reduce(0, +) / Double(k)
        let residualVariance = residual.map { ($0 - residualMean) * ($0 - residualMean) }.reduce(0, +) / Double(k)
        let explained = spread > 1e-12 ? 1 - residualVariance / (spread * spread) : 0
        var statistics = PPOStatistics()
        statistics.entropy = Double(output.logits.stopGradient().categoricalEntropy().mean().value.scalar)
        return SampledBatch(problem: p, tape: tape, output: output, temperature: temperature, batch: batch, rewards: rewards,
                            feasibleSteps: feasibleSteps, explainedVariance: explained, statistics: statistics,
                            informative: spread > 1e-12)
    }

    /// Keeps `decision` as problem `p`'s best placement if it fits and is the fastest so far.
    private mutating func consider(_ decision: SampledPlacement, _ outcome: PlacementOutcome, problem p: Int) {
        guard !outcome.outOfMemory, outcome.stepTime < (bests[p]?.stepTime ?? .infinity) else { return }
        bests[p] = ReferencePlacement(name: "policy", placement: decision.placement, stepTime: outcome.stepTime)
        bestOffsets[p] = decision.priorityOffsets ?? []
        bestMerges[p] = decision.merge ?? []
    }
}
