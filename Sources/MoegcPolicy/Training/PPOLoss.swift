import Foundation
import MoegcNN

/// The batch one PPO update learns from: K sampled decisions for one graph, the log-probabilities
/// they had when sampled, and their advantages and rewards.
struct PPOBatch {
    /// Device of unit u in sample k at `actions[k·U + u]`, and its log-probability when sampled.
    var actions: [Int32] = []
    var oldPlacementLogProbabilities: [Float] = []
    /// Priority offset of task t in sample k at `offsets[k·N + t]`, and its log-density when
    /// sampled (both empty without a priority head).
    var offsets: [Float] = []
    var oldPriorityLogDensities: [Float] = []
    /// Merge decision of candidate c in sample k at `fusionActions[k·C + c]` (0 apart, 1 merge), and
    /// its log-probability when sampled (both empty without a fusion head).
    var fusionActions: [Int32] = []
    var oldFusionLogProbabilities: [Float] = []
    var candidateCount = 0
    /// One advantage and one reward per sample.
    var advantages: [Float] = []
    var rewards: [Float] = []
    var unitCount: Int
    var taskCount: Int

    var sampleCount: Int { advantages.count }
}

/// What evaluating the PPO objective measured (values, not differentiable).
struct PPOStatistics {
    var approxKL = 0.0
    var clipFraction = 0.0
    var entropy = 0.0
    var valueLoss = 0.0
}

/// The PPO objective on one forward pass.
///
/// Algorithm
/// ---------
/// The policy's distribution factorises: each unit's device, and each task's priority offset, is
/// one action of a joint decision. As in GO and HDP, every such action is treated as its own
/// sample sharing the whole decision's advantage A_k, so ratios stay per action (a product over
/// thousands of actions would overflow):
///
///     r_ku = exp(log π(a_ku) − log π_old(a_ku))                 devices, per unit
///     q_kt = exp(log N(o_kt; μ_t, σ²) − log N_old(o_kt))        priority offsets, per task
///     f_kc = exp(log π(m_kc) − log π_old(m_kc))                merge decisions, per candidate
///     C(r, A) = min(r A, clip(r, 1−ε, 1+ε) A)
///     L = −mean_ku C(r_ku, A_k) − mean_kt C(q_kt, A_k) − mean_kc C(f_kc, A_k)
///         − c_H · (mean_u H(π_u) + mean_c H(π_c)) + c_V · mean_k (V − R_k)²
///
/// All K samples share one forward pass (the input is the same graph), gathered into K·U rows.
enum PPOLoss {
    static func loss(_ output: PolicyOutput, batch: PPOBatch, clip: Float, entropyCoefficient: Float,
                     valueCoefficient: Float) -> (loss: Var, statistics: PPOStatistics) {
        let u = batch.unitCount, n = batch.taskCount, k = batch.sampleCount
        let tape = output.value.tape
        let placementRatio = categoricalLogRatio(output.logProbabilities, samples: k, actions: batch.actions,
                                                 old: batch.oldPlacementLogProbabilities)
        var objective = clipped(placementRatio, advantages: batch.advantages, per: u, clip: clip).mean()
        var ratios = [placementRatio.value]
        if let mean = output.priorityMean, let logStd = output.priorityLogStd {
            let mu = mean.reshaped(to: [n, 1]).gatherRows(repeatedRows(n, k)).reshaped(to: [k * n])
            let priorityRatio = gaussianLogDensity(tape.constant(Tensor(shape: [k * n], scalars: batch.offsets)), mean: mu, logStd: logStd)
                - tape.constant(Tensor(shape: [k * n], scalars: batch.oldPriorityLogDensities))
            objective = objective + clipped(priorityRatio, advantages: batch.advantages, per: n, clip: clip).mean()
            ratios.append(priorityRatio.value)
        }
        var entropy = output.logits.categoricalEntropy().mean()
        if let fusion = output.fusionLogProbabilities, let fusionLogits = output.fusionLogits, batch.candidateCount > 0 {
            let c = batch.candidateCount
            precondition(batch.fusionActions.count == k * c, "PPOLoss: one merge decision per candidate and sample")
            let fusionRatio = categoricalLogRatio(fusion, samples: k, actions: batch.fusionActions,
                                                  old: batch.oldFusionLogProbabilities)
            objective = objective + clipped(fusionRatio, advantages: batch.advantages, per: c, clip: clip).mean()
            ratios.append(fusionRatio.value)
            entropy = entropy + fusionLogits.categoricalEntropy().mean()
        }
        let valueError = (output.value.reshaped(to: [1]) - tape.constant(Tensor(shape: [k], scalars: batch.rewards))).square().mean()
        let loss = -objective - entropyCoefficient * entropy + valueCoefficient * valueError

        var stats = PPOStatistics()
        var kl = 0.0, clippedCount = 0, count = 0
        for logRatio in ratios {
            logRatio.withUnsafeBufferPointer { lr in
                for x in lr {
                    let r = Foundation.exp(Double(x))
                    kl += (r - 1) - Double(x)
                    if abs(r - 1) > Double(clip) { clippedCount += 1 }
                }
                count += lr.count
            }
        }
        stats.approxKL = kl / Double(max(count, 1))
        stats.clipFraction = Double(clippedCount) / Double(max(count, 1))
        stats.entropy = Double(entropy.value.scalar)
        stats.valueLoss = Double(valueError.value.scalar)
        return (loss, stats)
    }

    /// log π(a) − log π_old(a) for K samples of one categorical decision per row of `logProbabilities`
    /// `[R, choices]`: `actions[k·R + r]` is sample k's choice in row r, `old` its log-probability
    /// when sampled.
    static func categoricalLogRatio(_ logProbabilities: Var, samples k: Int, actions: [Int32], old: [Float]) -> Var {
        let rows = logProbabilities.value.shape[0]
        return logProbabilities.gatherRows(repeatedRows(rows, k)).pick(actions)
            - logProbabilities.tape.constant(Tensor(shape: [k * rows], scalars: old))
    }

    /// Row indices 0..<rows repeated `times` times.
    static func repeatedRows(_ rows: Int, _ times: Int) -> [Int32] {
        var out = [Int32](repeating: 0, count: rows * times)
        for s in 0..<times { for i in 0..<rows { out[s * rows + i] = Int32(i) } }
        return out
    }

    /// min(r A, clip(r) A) for log-ratios laid out as `advantages.count` blocks of `per` actions.
    static func clipped(_ logRatio: Var, advantages: [Float], per: Int, clip: Float) -> Var {
        var expanded = [Float](repeating: 0, count: advantages.count * per)
        for (s, a) in advantages.enumerated() { for i in 0..<per { expanded[s * per + i] = a } }
        let advantage = logRatio.constant(Tensor(shape: [expanded.count], scalars: expanded))
        let ratio = logRatio.exp()
        return (ratio * advantage).minimum(ratio.clamp(lower: 1 - clip, upper: 1 + clip) * advantage)
    }

    /// log N(x; μ, σ²) without the constant −½ log 2π (it cancels in ratios).
    static func gaussianLogDensity(_ x: Var, mean: Var, logStd: Var) -> Var {
        let z = (x - mean) / logStd.exp()
        return z.square() * -0.5 - logStd
    }

    /// Same density on plain values (for the sampling policy's log-probabilities).
    static func gaussianLogDensity(_ x: Float, mean: Float, logStd: Float) -> Float {
        let z = (x - mean) / Foundation.exp(logStd)
        return -0.5 * z * z - logStd
    }
}
