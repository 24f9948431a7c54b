import Foundation
import MoegcNN

/// The batch one PPO update learns from: K sampled decisions for one graph, the log-probabilities
/// they had when sampled, and their advantages and rewards.
struct PPOBatch {
    /// Device of task t in sample k at `actions[k·N + t]`.
    var actions: [Int32]
    /// Priority offsets, same layout (empty without a priority head).
    var offsets: [Float]
    /// Per-task log-probability of each sample's decision under the sampling policy, same layout.
    var oldLogProbabilities: [Float]
    /// One advantage and one reward per sample.
    var advantages: [Float]
    var rewards: [Float]
    var taskCount: Int

    var sampleCount: Int { advantages.count }
}

/// What evaluating the PPO objective measured (values, not differentiable).
struct PPOStatistics {
    var approxKL = 0.0
    var clipFraction = 0.0
    var entropy = 0.0
    var valueLoss = 0.0
    var values: [Float] = []
}

/// The PPO objective on one forward pass.
///
/// Algorithm
/// ---------
/// The policy's distribution factorises over tasks: task t's device (and priority offset) is one
/// action of a joint decision. As in GO and HDP, each task's decision is treated as its own
/// sample sharing the whole placement's advantage A_k, so ratios stay per task (a product over
/// thousands of tasks would overflow):
///
///     r_kt = exp(log π(a_kt) − log π_old(a_kt))            (device, plus the Gaussian offset)
///     L    = −mean_kt min(r_kt A_k, clip(r_kt, 1−ε, 1+ε) A_k)
///            − c_H · mean_t H(π_t) + c_V · mean_k (V − R_k)²
///
/// All K samples share one forward pass (the input is the same graph), gathered into K·N rows.
enum PPOLoss {
    static func loss(_ output: PolicyOutput, batch: PPOBatch, clip: Float, entropyCoefficient: Float,
                     valueCoefficient: Float) -> (loss: Var, statistics: PPOStatistics) {
        let n = batch.taskCount, k = batch.sampleCount
        let tape = output.value.tape
        var rows = [Int32](repeating: 0, count: k * n)
        for s in 0..<k { for t in 0..<n { rows[s * n + t] = Int32(t) } }
        var logRatio = output.logProbabilities.gatherRows(rows).pick(batch.actions)
            - tape.constant(Tensor(shape: [k * n], scalars: batch.oldLogProbabilities))
        if let mean = output.priorityMean, let logStd = output.priorityLogStd {
            let mu = mean.reshaped(to: [n, 1]).gatherRows(rows).reshaped(to: [k * n])
            logRatio = logRatio + gaussianLogDensity(tape.constant(Tensor(shape: [k * n], scalars: batch.offsets)),
                                                     mean: mu, logStd: logStd)
        }
        var expanded = [Float](repeating: 0, count: k * n)
        for s in 0..<k { for t in 0..<n { expanded[s * n + t] = batch.advantages[s] } }
        let advantage = tape.constant(Tensor(shape: [k * n], scalars: expanded))
        let ratio = logRatio.exp()
        let surrogate = (ratio * advantage).minimum(ratio.clamp(lower: 1 - clip, upper: 1 + clip) * advantage)
        let entropy = output.logits.categoricalEntropy().mean()
        let valueError = (output.value.reshaped(to: [1]) - tape.constant(Tensor(shape: [k], scalars: batch.rewards))).square().mean()
        let loss = -surrogate.mean() - entropyCoefficient * entropy + valueCoefficient * valueError

        var stats = PPOStatistics()
        var kl = 0.0, clipped = 0
        logRatio.value.withUnsafeBufferPointer { lr in
            for x in lr {
                let r = Foundation.exp(Double(x))
                kl += (r - 1) - Double(x)
                if abs(r - 1) > Double(clip) { clipped += 1 }
            }
        }
        stats.approxKL = kl / Double(k * n)
        stats.clipFraction = Double(clipped) / Double(k * n)
        stats.entropy = Double(entropy.value.scalar)
        stats.valueLoss = Double(valueError.value.scalar)
        stats.values = [output.value.value.scalars[0]]
        return (loss, stats)
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
