/// One PPO iteration's statistics: a row of the learning curve (CleanRL's diagnostics included).
public struct IterationRecord: Sendable, Hashable {
    /// 1-based iteration number.
    public var iteration: Int
    /// Mean and best reward of the iteration's samples (−√(step / reference); OOM: the fixed penalty).
    public var meanReward: Double
    public var bestReward: Double
    /// Mean step time of the feasible samples, and the best feasible step time so far (seconds).
    public var meanStep: Double
    public var bestStep: Double
    /// Mean per-task entropy of the placement distribution (nats).
    public var entropy: Double
    /// Mean of (r − 1) − log r over the last epoch, the fraction of ratios clipped.
    public var approxKL: Double
    public var clipFraction: Double
    /// 1 − Var(R − V) / Var(R) of the value head over the batch.
    public var explainedVariance: Double
    public var valueLoss: Double
    /// Global gradient norm of the last update, before clipping.
    public var gradientNorm: Double
    /// Fraction of samples that ran out of memory.
    public var outOfMemoryFraction: Double
    /// Simulated samples so far, this iteration included.
    public var samples: Int
    /// The training problem the iteration sampled (index into the trainer's problems; 0 for one
    /// graph), and its reference step time (seconds; 0 in records of files that predate it).
    public var problem: Int
    public var referenceStep: Double

    public init(iteration: Int, meanReward: Double, bestReward: Double, meanStep: Double, bestStep: Double,
                entropy: Double, approxKL: Double, clipFraction: Double, explainedVariance: Double,
                valueLoss: Double, gradientNorm: Double, outOfMemoryFraction: Double, samples: Int,
                problem: Int = 0, referenceStep: Double = 0) {
        self.iteration = iteration
        self.meanReward = meanReward
        self.bestReward = bestReward
        self.meanStep = meanStep
        self.bestStep = bestStep
        self.entropy = entropy
        self.approxKL = approxKL
        self.clipFraction = clipFraction
        self.explainedVariance = explainedVariance
        self.valueLoss = valueLoss
        self.gradientNorm = gradientNorm
        self.outOfMemoryFraction = outOfMemoryFraction
        self.samples = samples
        self.problem = problem
        self.referenceStep = referenceStep
    }

    /// The mean sampled step over the problem's reference (0 when unknown or nothing fitted).
    public var meanRatio: Double { referenceStep > 0 && meanStep > 0 ? meanStep / referenceStep : 0 }
    /// The best step so far on the problem over its reference (0 when unknown).
    public var bestRatio: Double { referenceStep > 0 && bestStep > 0 ? bestStep / referenceStep : 0 }
}

/// Where a trainer's wall time went (not saved in checkpoints, which must not depend on the clock).
public struct TimeBreakdown: Sendable, Hashable {
    public var forward: Double = 0
    public var backward: Double = 0
    public var sampling: Double = 0
    public var simulation: Double = 0
    public var optimizer: Double = 0

    public init() {}

    public var total: Double { forward + backward + sampling + simulation + optimizer }
}
