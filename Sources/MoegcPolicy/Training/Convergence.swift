import Foundation

/// How fast a training run reaches its quality, in simulated placements: the measure behind GO's
/// "15× faster convergence" claim, applied to a learning curve.
///
/// Quality at an iteration is the reference step over the mean step of that iteration's sampled
/// placements (higher is better; 1 = as fast as the best heuristic), averaged over a window of
/// iterations to damp the noise of 16 samples. The target is a fraction (95%) of a final quality;
/// the cost of reaching it counts every simulated placement, the greedy decision of each iteration
/// included (`samplesPerIteration + 1` per iteration).
public struct Convergence: Sendable, Hashable {
    public var window: Int
    public var simulationsPerIteration: Int

    public init(window: Int = 5, simulationsPerIteration: Int) {
        self.window = max(1, window)
        self.simulationsPerIteration = simulationsPerIteration
    }

    /// Windowed quality after each iteration (nil until the first feasible sample).
    public func quality(_ history: [IterationRecord]) -> [Double?] {
        var out: [Double?] = []
        var recent: [Double] = []
        for r in history {
            if r.meanStep > 0 && r.referenceStep > 0 { recent.append(r.referenceStep / r.meanStep) }
            if recent.count > window { recent.removeFirst() }
            out.append(recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count))
        }
        return out
    }

    /// The mean quality over the last `fraction` of the iterations (at least one).
    public func finalQuality(_ history: [IterationRecord], fraction: Double = 0.1) -> Double {
        let values = quality(history).compactMap { $0 }
        let n = max(1, Int((Double(values.count) * fraction).rounded()))
        let tail = values.suffix(n)
        return tail.isEmpty ? 0 : tail.reduce(0, +) / Double(tail.count)
    }

    /// Simulated placements until the windowed quality first reaches `target` (nil: never).
    public func simulationsToReach(_ target: Double, in history: [IterationRecord]) -> Int? {
        for (i, q) in quality(history).enumerated() where (q ?? 0) >= target {
            return (i + 1) * simulationsPerIteration
        }
        return nil
    }
}
