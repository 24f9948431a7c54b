import Foundation
import MoegcNN
import MoegcSupport

/// One sampled decision for a whole graph: a device per task and, with a priority head, a
/// scheduling-priority offset per task.
public struct SampledPlacement: Sendable, Hashable {
    public var placement: [Int]
    public var priorityOffsets: [Float]?
    /// With a fusion head: whether each merge candidate (``TaskMerging/candidates``) is merged into
    /// its sole producer's group (effective only where both share a device).
    public var merge: [Bool]? = nil
    /// Where the decision came from: "greedy", "sample N", or "best found in training".
    public var origin: String = "sampled"
    /// The list-scheduling priority of every task the decision was simulated with (base order plus
    /// offsets; set on the decision `PolicyPlacer` returns), for a `PriorityRule.given`.
    public var schedulePriorities: [Double]? = nil
}

/// Drawing placements from a policy's output values (no tape involved).
enum Sampler {
    /// A device for each row (unit), drawn from `exp(logProbabilities)` row by row (inverse CDF in Double,
    /// one uniform draw per task, so the stream is fixed by the seed).
    static func sample(_ logProbabilities: Tensor, using rng: inout SeededGenerator) -> [Int] {
        let n = logProbabilities.shape[0], d = logProbabilities.shape[1]
        var out = [Int](repeating: 0, count: n)
        logProbabilities.withUnsafeBufferPointer { lp in
            for t in 0..<n {
                let u = rng.nextDouble()
                var cumulative = 0.0
                var chosen = -1
                for j in 0..<d {
                    let p = exp(Double(lp[t * d + j]))
                    guard p > 0 else { continue }
                    chosen = j   // the last allowed device absorbs rounding
                    cumulative += p
                    if u < cumulative { break }
                }
                precondition(chosen >= 0, "Sampler: task \(t) has no allowed device")
                out[t] = chosen
            }
        }
        return out
    }

    /// The most likely device of each row (unit) (ties: lower index).
    static func greedy(_ logProbabilities: Tensor) -> [Int] {
        let n = logProbabilities.shape[0], d = logProbabilities.shape[1]
        var out = [Int](repeating: 0, count: n)
        logProbabilities.withUnsafeBufferPointer { lp in
            for t in 0..<n {
                var best = 0
                for j in 1..<max(d, 1) where lp[t * d + j] > lp[t * d + best] { best = j }
                out[t] = best
            }
        }
        return out
    }

    /// Merge decisions drawn from `[C, 2]` log-probabilities (one uniform draw per candidate); the
    /// actions (0 keep apart, 1 merge) and the decisions.
    static func merges(_ logProbabilities: Tensor, using rng: inout SeededGenerator) -> (actions: [Int], merge: [Bool]) {
        let actions = sample(logProbabilities, using: &rng)
        return (actions, actions.map { $0 == 1 })
    }

    /// The likelier decision of each merge candidate (ties: keep apart).
    static func greedyMerges(_ logProbabilities: Tensor) -> [Bool] { greedy(logProbabilities).map { $0 == 1 } }

    /// Offsets `μ + σ·ε`, ε standard normal per task.
    static func priorities(mean: Tensor, logStd: Float, using rng: inout SeededGenerator) -> [Float] {
        let sigma = Foundation.exp(logStd)
        return mean.scalars.map { $0 + sigma * Float(rng.nextNormal()) }
    }

    /// The temperature (in [0.05, 100]) at which a sample from `logits` `[U, D]` (−∞ = masked) is
    /// expected to put `moves` units on another device than the greedy one: Σ_u (1 − p_u(greedy; τ))
    /// grows with τ, so bisection on log τ finds it (clamped at the ends of the range).
    static func temperature(forMoves moves: Double, logits: Tensor) -> Float {
        let u = logits.shape[0], d = logits.shape[1]
        let greedy = greedy(logits)
        func expectedMoves(_ tau: Double) -> Double {
            logits.withUnsafeBufferPointer { l in
                var total = 0.0
                for row in 0..<u {
                    let top = Double(l[row * d + greedy[row]])
                    var z = 0.0
                    for j in 0..<d where l[row * d + j] > -.infinity { z += exp((Double(l[row * d + j]) - top) / tau) }
                    total += 1 - 1 / z
                }
                return total
            }
        }
        var lo = log(0.05), hi = log(100.0)
        if expectedMoves(exp(hi)) <= moves { return Float(exp(hi)) }
        if expectedMoves(exp(lo)) >= moves { return Float(exp(lo)) }
        for _ in 0..<40 {
            let mid = (lo + hi) / 2
            if expectedMoves(exp(mid)) < moves { lo = mid } else { hi = mid }
        }
        return Float(exp((lo + hi) / 2))
    }
}
