import MoegcNN

extension PolicyTrainer {
    /// One PPO iteration on the problem the schedule names: sample, simulate, update. Returns its
    /// learning-curve row.
    @discardableResult
    public mutating func iterate() -> IterationRecord {
        let clock = ContinuousClock()
        let p = iterationSchedule.problem(at: iteration)
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
        var tape = Tape(parameters: parameters)
        let raw = policy(prepared[p], tape: tape)
        let temperature = config.explorationMoves.map { Sampler.temperature(forMoves: $0, logits: raw.logits.value) } ?? 1
        var output = raw.tempered(temperature)
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
        // The greedy decision competes for the best placement too (it is not part of the batch).
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

        let entropyCoefficient = config.entropyCoefficient(iteration: iteration, of: config.iterations)
        var statistics = PPOStatistics()
        statistics.entropy = Double(output.logits.stopGradient().categoricalEntropy().mean().value.scalar)
        var gradientNorm = 0.0
        // Every sample scored the same: nothing to learn from this batch but the value; skip the
        // update rather than let the optimiser amplify noise.
        let epochs = spread > 1e-12 ? config.epochs : 0
        for epoch in 0..<epochs {
            if epoch > 0 {
                t0 = clock.now
                tape = Tape(parameters: parameters)
                output = policy(prepared[p], tape: tape).tempered(temperature)
                timing.forward += seconds(since: t0, clock)
            }
            let (loss, stats) = PPOLoss.loss(output, batch: batch, clip: config.clip, entropyCoefficient: entropyCoefficient,
                                             valueCoefficient: config.valueCoefficient)
            if epoch > 0 && config.targetKL > 0 && stats.approxKL > Double(config.targetKL) { break }
            statistics = stats
            t0 = clock.now
            let gradients = tape.backward(loss).parameters
            timing.backward += seconds(since: t0, clock)
            t0 = clock.now
            gradientNorm = adam.step(&parameters, gradients: gradients).gradientNorm
            timing.optimizer += seconds(since: t0, clock)
        }
        iteration += 1
        let record = IterationRecord(
            iteration: iteration, meanReward: meanReward, bestReward: rewards.max() ?? 0,
            meanStep: feasibleSteps.isEmpty ? 0 : feasibleSteps.reduce(0, +) / Double(feasibleSteps.count),
            bestStep: bests[p]?.stepTime ?? 0, entropy: statistics.entropy, approxKL: statistics.approxKL,
            clipFraction: statistics.clipFraction, explainedVariance: explained, valueLoss: statistics.valueLoss,
            gradientNorm: gradientNorm, outOfMemoryFraction: Double(k - feasibleSteps.count) / Double(k), samples: samples,
            problem: p, referenceStep: problem.reference.stepTime)
        history.append(record)
        return record
    }

    /// Keeps `decision` as problem `p`'s best placement if it fits and is the fastest so far.
    private mutating func consider(_ decision: SampledPlacement, _ outcome: PlacementOutcome, problem p: Int) {
        guard !outcome.outOfMemory, outcome.stepTime < (bests[p]?.stepTime ?? .infinity) else { return }
        bests[p] = ReferencePlacement(name: "policy", placement: decision.placement, stepTime: outcome.stepTime)
        bestOffsets[p] = decision.priorityOffsets ?? []
        bestMerges[p] = decision.merge ?? []
    }
}
