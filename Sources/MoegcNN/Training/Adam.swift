/// Hyperparameters of ``Adam``, with the usual defaults.
public struct AdamConfig: Sendable, Equatable, Codable {
    /// Step size (default 1e-3).
    public var learningRate: Float = 1e-3
    /// Decay of the first-moment average (default 0.9).
    public var beta1: Float = 0.9
    /// Decay of the second-moment average (default 0.999).
    public var beta2: Float = 0.999
    /// Added to √v̂ in the denominator (default 1e-8).
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay (AdamW): each step also subtracts `learningRate · weightDecay · p`
    /// (default 0, off).
    public var weightDecay: Float = 0
    /// If set, gradients are scaled down together so their global norm is at most this before the
    /// update (default nil, off).
    public var maxGradientNorm: Float? = nil

    /// A configuration; every argument has the default above.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, maxGradientNorm: Float? = nil) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.maxGradientNorm = maxGradientNorm
    }
}

/// The Adam optimiser (Kingma & Ba) with bias correction, optional decoupled weight decay and
/// optional global gradient-norm clipping. Its state (moments and step count) can be archived.
///
///     var adam = Adam(AdamConfig(learningRate: 1e-3, maxGradientNorm: 1))
///     let grads = tape.backward(loss).parameters
///     let report = adam.step(&store, gradients: grads)   // report.gradientNorm: before clipping
///
/// Update for each parameter `p` with gradient `g` at step `t` (1-based):
/// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
/// `p ← p − lr · ( m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd · p )`.
/// A parameter without a gradient in a step is left untouched (its moments too).
public struct Adam: Sendable, Equatable {
    /// The hyperparameters; may be changed between steps (e.g. a learning-rate schedule).
    public var config: AdamConfig
    /// Steps taken so far.
    public private(set) var stepCount: Int = 0
    /// First-moment averages by parameter name.
    public private(set) var firstMoments: [String: Tensor] = [:]
    /// Second-moment averages by parameter name.
    public private(set) var secondMoments: [String: Tensor] = [:]

    /// What one step did.
    public struct StepReport: Sendable, Equatable {
        /// The global gradient norm before clipping.
        public let gradientNorm: Double
        /// Whether clipping scaled the gradients down.
        public let clipped: Bool
    }

    /// An optimiser with fresh state.
    public init(_ config: AdamConfig = AdamConfig()) { self.config = config }

    /// Applies one update to `parameters` from `gradients` (clipped first if configured).
    @discardableResult
    public mutating func step(_ parameters: inout ParameterStore, gradients: ParameterGradients) -> StepReport {
        var gradients = gradients
        let norm: Double
        var clipped = false
        if let bound = config.maxGradientNorm {
            norm = gradients.clip(toGlobalNorm: bound)
            clipped = norm > Double(bound)
        } else {
            norm = gradients.globalNorm()
        }
        stepCount += 1
        let c = config
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(c.beta1), t))
        let correction2 = Float(1 - pow(Double(c.beta2), t))
        for name in gradients.names {
            guard let g = gradients[name], parameters[name] != nil else {
                preconditionFailure("Adam: gradient for '\(name)', which is not in the parameter store")
            }
            var m = firstMoments.removeValue(forKey: name) ?? Tensor(zeros: g.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor(zeros: g.shape)
            parameters.update(name) { p in
                precondition(p.shape == g.shape, "Adam: gradient shape \(g.shape) for '\(name)' of shape \(p.shape)")
                Tensor.update(&p, &m) { pp, pm in
                    v.update { pv in
                        g.read { pg in
                            for i in 0..<pp.count {
                                let gi = pg[i]
                                pm[i] = c.beta1 * pm[i] + (1 - c.beta1) * gi
                                pv[i] = c.beta2 * pv[i] + (1 - c.beta2) * gi * gi
                                let mHat = pm[i] / correction1, vHat = pv[i] / correction2
                                pp[i] -= c.learningRate * (mHat / (vHat.squareRoot() + c.epsilon)
                                                           + c.weightDecay * pp[i])
                            }
                        }
                    }
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
        }
        return StepReport(gradientNorm: norm, clipped: clipped)
    }

    /// The state as an archive: integer `"adam.step"`, tensors `"adam.m/<name>"` and
    /// `"adam.v/<name>"` in name order (the hyperparameters are not included).
    public var state: TensorArchive {
        let names = firstMoments.keys.sorted()
        let tensors = names.map { NamedTensor(name: "adam.m/\($0)", tensor: firstMoments[$0]!) }
            + names.map { NamedTensor(name: "adam.v/\($0)", tensor: secondMoments[$0]!) }
        return TensorArchive(integers: [("adam.step", Int64(stepCount))], tensors: tensors)
    }

    /// An optimiser with `config` resuming from `state` (as produced by ``state``).
    public init(_ config: AdamConfig, restoring state: TensorArchive) throws(NNError) {
        self.config = config
        guard state.integers.count == 1, state.integers[0].name == "adam.step", state.integers[0].value >= 0 else {
            throw NNError(.malformedArchive, "Adam state needs exactly one integer 'adam.step'")
        }
        stepCount = Int(state.integers[0].value)
        for entry in state.tensors {
            if entry.name.hasPrefix("adam.m/") {
                firstMoments[String(entry.name.dropFirst(7))] = entry.tensor
            } else if entry.name.hasPrefix("adam.v/") {
                secondMoments[String(entry.name.dropFirst(7))] = entry.tensor
            } else {
                throw NNError(.nameMismatch, "unexpected entry '\(entry.name)' in Adam state")
            }
        }
        for name in Set(firstMoments.keys).union(secondMoments.keys) {
            guard let m = firstMoments[name], let v = secondMoments[name] else {
                throw NNError(.nameMismatch, "Adam state has only one moment for '\(name)'")
            }
            guard m.shape == v.shape else {
                throw NNError(.shapeMismatch, "Adam moments for '\(name)' differ in shape")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
