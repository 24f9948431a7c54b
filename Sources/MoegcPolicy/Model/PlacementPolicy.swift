import Foundation
import MoegcNN
import MoegcSupport

/// A ``PolicyInput`` with the constants a forward pass needs, computed once per graph.
public struct PreparedInput: Sendable {
    public let input: PolicyInput
    let positionCode: Tensor
}

/// What one forward pass of the policy gives for a whole graph.
public struct PolicyOutput {
    /// Log-probabilities of each unit's device `[U, D]` (−∞ where masked; U = N without units).
    public let logProbabilities: Var
    /// Unnormalised scores `[U, D]` (for the entropy).
    public let logits: Var
    /// Mean of each task's scheduling-priority offset `[N]` (nil without a priority head).
    public let priorityMean: Var?
    /// Log standard deviation of the offsets `[1]` (nil without a priority head).
    public let priorityLogStd: Var?
    /// The value head's prediction of the graph's expected reward `[1, 1]`.
    public let value: Var
    /// Log-probabilities `[C, 2]` of each merge candidate's decision (column 0: keep apart, 1:
    /// merge into its sole producer's group); nil without a fusion head or candidates.
    public var fusionLogProbabilities: Var? = nil
    /// The unnormalised `[C, 2]` scores (column 0 is 0), for the entropy.
    public var fusionLogits: Var? = nil

    /// The same output with the device distributions at temperature `t`: logits / t (the greedy
    /// decision does not change; t > 1 flattens, t < 1 sharpens).
    public func tempered(_ t: Float) -> PolicyOutput {
        guard t != 1 else { return self }
        let scaled = logits * (1 / t)
        return PolicyOutput(logProbabilities: scaled.logSoftmax(), logits: scaled, priorityMean: priorityMean,
                            priorityLogStd: priorityLogStd, value: value,
                            fusionLogProbabilities: fusionLogProbabilities, fusionLogits: fusionLogits)
    }
}

/// The placement policy: a graph-attention encoder, a graph embedding that conditions the rest
/// (GO's superposition), segment-level recurrent attention in topological order, and heads that
/// score every task against every device, offset scheduling priorities and predict the reward.
///
/// Algorithm
/// ---------
///
///     task features ─Linear─ReLU─▶ h⁰ ─GAT×L (in/out-neighbour attention, residual, LN)─▶ h
///     graph embedding  g = MLP(mean_rows h)                                   [1, d]
///     superposition    h ← h ⊙ (1 + γ(g)) + β(g)                               FiLM on every task
///     placer           h ← SegmentEncoder(h) in topological order               [N, d]
///     devices          e = MLP(device features) + Linear(g)                     [D, d]
///     placement        s = clip((W_q h)(W_k e)ᵀ/√d) + w_c · relativeCost + w_h · hint  [N, D]
///                      (clip(x) = C·tanh(x/C) with `scoreClip` C, else x)
///                      logits = mean of s over each co-location unit + mask     [U, D] → softmax per unit
///     scheduling       μ = Linear(h) ∈ ℝᴺ, σ = exp(logσ); offset ~ N(μ, σ²)     (list-scheduler priorities)
///     fusion           ℓ_c = Linear([h_c, h_producer(c)]) for each merge candidate c  P(merge) = σ(ℓ_c)
///                      (optional; TaskMerging: tasks whose inputs all come from one task)
///     value            V = MLP(g), g's gradient stopped                         expected reward
///
/// The value head reads the graph embedding but does not train it: a value loss flowing into the
/// shared encoder moves the placement even when every sample of an iteration scored the same
/// (no policy gradient to hold it), and with Adam's per-parameter scaling that drift is a full step.
///
/// `hint` is the one-hot placement of the best heuristic (a feature any graph has: heuristics are
/// cheap), scaled so that with `w_h` = 1 initially the heuristic's device starts at probability ≈ 0.73
/// for any D; behaviour cloning raises it further, and PPO learns where to deviate (residual learning
/// over the heuristic). A purely weight-learned hint would be slow: Adam moves a scalar by about the
/// learning rate per step.
///
/// The device axis is never a layer width: devices are embedded from their features (including
/// sinusoidal codes of their index and host) and scored by dot product, so one set of weights
/// places on any number of devices. Every task's decision comes out of one forward pass.
public struct PlacementPolicy: Sendable {
    public let config: PolicyConfig
    let inputProjection: Linear
    let gat: [GATLayer]
    let gatNorms: [LayerNorm]
    let graphEmbedding: MLP
    let film: Linear
    let placer: SegmentEncoder
    let deviceEncoder: MLP
    let deviceConditioning: Linear
    let query: Linear
    let key: Linear
    let priority: Linear
    let valueHead: MLP
    let fusion: Linear?

    static let costWeightName = "head.costWeight"
    static let hintWeightName = "head.hintWeight"
    static let priorityLogStdName = "head.priorityLogStd"

    /// Builds the network and registers its initial weights (from `config.initSeed`) in `parameters`.
    public init(config: PolicyConfig, parameters: inout ParameterStore) {
        precondition(config.problem == nil, "PlacementPolicy: \(config.problem ?? "")")
        self.config = config
        var rng = SeededGenerator(seed: config.initSeed)
        let d = config.hiddenSize
        inputProjection = Linear("input", inputSize: Featurizer.taskFeatureCount(config.vocabulary), outputSize: d,
                                 parameters: &parameters, generator: &rng)
        gat = (0..<config.gatLayers).map {
            GATLayer("gat.\($0)", inputSize: d, heads: config.gatHeads, headSize: d / config.gatHeads,
                     activation: .relu, parameters: &parameters, generator: &rng)
        }
        gatNorms = (0..<config.gatLayers).map { LayerNorm("gat.\($0).norm", size: d, parameters: &parameters) }
        graphEmbedding = MLP("graph", sizes: [d, d, d], activation: .relu, parameters: &parameters, generator: &rng)
        film = Linear("film", inputSize: d, outputSize: 2 * d, parameters: &parameters, generator: &rng)
        placer = SegmentEncoder("placer", config: config, parameters: &parameters, generator: &rng)
        deviceEncoder = MLP("device", sizes: [Featurizer.deviceFeatureCount, d, d], activation: .relu,
                            parameters: &parameters, generator: &rng)
        deviceConditioning = Linear("device.graph", inputSize: d, outputSize: d, parameters: &parameters, generator: &rng)
        query = Linear("head.query", inputSize: d, outputSize: d, parameters: &parameters, generator: &rng)
        key = Linear("head.key", inputSize: d, outputSize: d, parameters: &parameters, generator: &rng)
        priority = Linear("head.priority", inputSize: d, outputSize: 1, parameters: &parameters, generator: &rng)
        valueHead = MLP("value", sizes: [d, d, 1], activation: .relu, parameters: &parameters, generator: &rng)
        if config.usesFusionHead {
            // Drawn after every other layer, so the rest of the network is the same with or without it.
            let head = Linear("head.fusion", inputSize: 2 * d, outputSize: 1, parameters: &parameters, generator: &rng)
            parameters[head.weightName] = Tensor(zeros: [2 * d, 1])
            parameters[head.biasName] = Tensor(shape: [1], scalars: [config.fusionInitialLogit ?? -2])
            fusion = head
        } else {
            fusion = nil
        }
        parameters.add(Self.costWeightName, Tensor(shape: [1], scalars: [1]))
        parameters.add(Self.hintWeightName, Tensor(shape: [1], scalars: [config.referenceHint ? 1 : 0]))
        parameters.add(Self.priorityLogStdName, Tensor(shape: [1], scalars: [Foundation.log(config.priorityInitialStd)]))
        // Start with small FiLM and zero priority offsets: the initial policy's orders are b-level's.
        parameters[film.weightName] = parameters[film.weightName]!.scaled(by: 0.1)
        parameters[priority.weightName] = Tensor(zeros: [d, 1])
    }

    /// The constants a forward pass over `input` needs.
    public func prepare(_ input: PolicyInput) -> PreparedInput {
        PreparedInput(input: input, positionCode: SegmentEncoder.positionCode(count: input.taskCount, width: config.hiddenSize))
    }

    /// One forward pass over a whole graph on `tape`.
    public func callAsFunction(_ prepared: PreparedInput, tape: Tape) -> PolicyOutput {
        let input = prepared.input
        let d = config.hiddenSize
        var h = inputProjection(tape.constant(input.tasks)).relu()
        for (layer, norm) in zip(gat, gatNorms) {
            h = norm(h, adding: layer(h, edges: input.edges))
        }
        let g = graphEmbedding(h.mean(alongAxis: 0, keepingAxis: true))            // [1, d]
        let modulation = film(g)                                                     // [1, 2d]
        let gamma = modulation.slice(axis: 1, range: 0..<d), beta = modulation.slice(axis: 1, range: d..<(2 * d))
        h = h * (gamma + 1) + beta
        h = placer(h, order: input.order, position: input.position, positionCode: prepared.positionCode)

        let devices = deviceEncoder(tape.constant(input.devices)) + deviceConditioning(g)   // [D, d]
        var logits = query(h).matmul(key(devices), transposeOther: true) * (1 / Float(d).squareRoot())
        if let c = config.scoreClip { logits = (logits * (1 / c)).tanh() * c }
        logits = logits + tape.constant(input.relativeCost) * tape.parameter(Self.costWeightName)
        if config.referenceHint { logits = logits + tape.constant(input.hint) * tape.parameter(Self.hintWeightName) }
        if let scale = input.unitScale {
            logits = logits.scatterAddRows(input.unit, count: input.unitCount) * tape.constant(scale)
        }
        if let mask = input.mask { logits = logits + tape.constant(mask) }
        let logProbabilities = logits.logSoftmax()

        var priorityMean: Var? = nil, priorityLogStd: Var? = nil
        if config.priorityHead {
            priorityMean = priority(h).reshaped(to: [input.taskCount])
            priorityLogStd = tape.parameter(Self.priorityLogStdName)
        }
        var fusionLogits: Var? = nil
        if let fusion, !input.mergeCandidates.isEmpty {
            let pair = Var.concat([h.gatherRows(input.mergeCandidates), h.gatherRows(input.mergeProducers)], axis: 1)
            let merge = fusion(pair)                                                      // [C, 1]
            fusionLogits = Var.concat([tape.constant(Tensor(zeros: [input.mergeCandidates.count, 1])), merge], axis: 1)
        }
        return PolicyOutput(logProbabilities: logProbabilities, logits: logits, priorityMean: priorityMean,
                            priorityLogStd: priorityLogStd, value: valueHead(g.stopGradient()),
                            fusionLogProbabilities: fusionLogits?.logSoftmax(), fusionLogits: fusionLogits)
    }
}

extension Tensor {
    /// Every scalar multiplied by `factor`.
    func scaled(by factor: Float) -> Tensor {
        var copy = self
        copy.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= factor } }
        return copy
    }
}
