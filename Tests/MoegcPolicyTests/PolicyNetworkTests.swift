import MoegcIR
import MoegcNN
@testable import MoegcPolicy
import MoegcSim
import MoegcSupport
import Testing

/// A small network so the tests run in milliseconds; segment size 3 makes a 7-task graph span
/// three segments, exercising the recurrent memory.
func smallPolicyConfig(priorityHead: Bool = true) -> PolicyConfig {
    var c = PolicyConfig()
    c.hiddenSize = 16
    c.gatHeads = 2
    c.attentionHeads = 2
    c.feedForwardSize = 16
    c.segmentSize = 3
    c.priorityHead = priorityHead
    return c
}

@Suite struct PolicyNetworkTests {
    @Test func oneNetworkPlacesOnAnyDeviceCount() {
        var store = ParameterStore()
        let policy = PlacementPolicy(config: smallPolicyConfig(), parameters: &store)
        for devices in [1, 2, 5, 16] {
            let input = policy.prepare(Featurizer.input(for: problem(forkJoinGraph(), testCluster(devices: devices)), vocabulary: .registry))
            let out = policy(input, tape: Tape(parameters: store, recording: false))
            #expect(out.logProbabilities.shape == [7, devices])
            for t in 0..<7 {
                var total: Float = 0
                for d in 0..<devices { total += Foundation.exp(out.logProbabilities.value[t, d]) }
                #expect(abs(total - 1) < 1e-4)
            }
            #expect(out.priorityMean?.shape == [7])
        }
    }

    /// With `scoreClip` C the learned task·device scores stay within ±C however large the query
    /// and key weights grow (equal devices and no hint, so the logits are the scores alone); the
    /// same weights unclipped go far beyond. The field is left out of the stored configuration
    /// when unset, so files written before it keep their bytes.
    @Test func scoreClipBoundsTheScores() throws {
        let p = problem(RandomGraphs.layered(tasks: 20, width: 4, seed: 3), testCluster(devices: 4))
        func largestLogit(clip: Float?) -> Float {
            var config = smallPolicyConfig()
            config.scoreClip = clip
            var store = ParameterStore()
            let policy = PlacementPolicy(config: config, parameters: &store)
            store[PlacementPolicy.hintWeightName] = Tensor(shape: [1], scalars: [0])
            for name in ["head.query.weight", "head.key.weight"] { store.update(name) { $0 = $0.scaled(by: 200) } }
            let out = policy(policy.prepare(Featurizer.input(for: p, vocabulary: .registry)), tape: Tape(parameters: store, recording: false))
            return out.logits.value.scalars.map { abs($0) }.max()!
        }
        #expect(largestLogit(clip: nil) > 20)
        let clipped = largestLogit(clip: 2)
        #expect(clipped <= 2 && clipped > 1.5)
        func json(_ c: PolicyConfig) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(c), as: UTF8.self)
        }
        var config = PolicyConfig()
        #expect(try !json(config).contains("scoreClip"))
        config.scoreClip = 5
        #expect(try json(config).contains("\"scoreClip\":5"))
        config.scoreClip = 0
        #expect(config.problem != nil)
    }

    @Test func maskedDevicesAreNeverChosen() {
        let tasks = (0..<3).map { CostGraph.Task(flops: 1e6, bytesAccessed: 1, residentBytes: $0 == 1 ? 5000 : 0) }
        let graph = try! CostGraph(tasks: tasks, values: [CostGraph.Value(producer: 0, bytes: 4, consumers: [1, 2])])
        var cluster = testCluster(devices: 3)
        cluster.kinds = [cluster.kinds[0], cluster.kinds[0]]
        cluster.kinds[1].name = "big"
        cluster.kinds[0].memoryCapacity = 1000
        cluster.devices[2].kind = 1
        let p = PolicyProblem(name: "m", graph: graph, cluster: cluster, taskOps: Array(repeating: [.add], count: 3),
                                 references: [ReferencePlacement(name: "r", placement: [2, 2, 2], stepTime: 1)])
        var store = ParameterStore()
        let policy = PlacementPolicy(config: smallPolicyConfig(), parameters: &store)
        let out = policy(policy.prepare(Featurizer.input(for: p, vocabulary: .registry)), tape: Tape(parameters: store, recording: false))
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<50 { #expect(Sampler.sample(out.logProbabilities.value, using: &rng)[1] == 2) }
    }

    /// A bias shared by all device keys adds the same amount to every device's logit of a task; a GAT
    /// centre vector adds the same amount to every edge score of its centre node: both cancel in
    /// their softmax.
    static let shiftInvariant: Set<String> = ["head.key.bias", "gat.1.out.attnCenter"]

    /// The gradient of the whole PPO loss (placement ratios, priority Gaussians, entropy, value)
    /// against central differences, for parameters in every part of the network.
    @Test func fullLossGradientMatchesFiniteDifferences() {
        // Unequal devices, so the relative-cost term (and its weight) is in play.
        let p = problem(forkJoinGraph(), testCluster(devices: 3, speeds: [1e9, 2e9, 4e9]))
        // One segment: Transformer-XL stops the gradient through the previous segment's memory, so
        // with several segments the analytic gradient deliberately differs from finite differences.
        var config = smallPolicyConfig()
        config.segmentSize = 8
        var store = ParameterStore()
        let policy = PlacementPolicy(config: config, parameters: &store)
        // Give the priority head weights so its gradient path is not trivially zero.
        var rng = SeededGenerator(seed: 11)
        store["head.priority.weight"] = Tensor.normal(shape: [16, 1], standardDeviation: 0.02, using: &rng)
        let prepared = policy.prepare(Featurizer.input(for: p, vocabulary: .registry))
        let reference = policy(prepared, tape: Tape(parameters: store, recording: false))
        let k = 3, n = 7
        var batch = PPOBatch(unitCount: n, taskCount: n)
        batch.advantages = [0.9, -0.4, -0.5]
        batch.rewards = [-0.8, -1.1, -1.2]
        for s in 0..<k {
            for t in 0..<n {
                let a = (t + s) % 3
                // Offsets within a standard deviation of the mean, where the Gaussian is gentle;
                // old log-probabilities a little off the current ones: ratios near but not at 1,
                // inside the clip range, where the objective is smooth.
                let offset = reference.priorityMean!.value.scalars[t] + 0.05 * (Float(s) - 1) * 0.7
                let shift = 0.05 * Float((t * 7 + s) % 5 - 2) / 2
                batch.actions.append(Int32(a))
                batch.oldPlacementLogProbabilities.append(reference.logProbabilities.value[t, a] + shift)
                batch.offsets.append(offset)
                batch.oldPriorityLogDensities.append(PPOLoss.gaussianLogDensity(
                    offset, mean: reference.priorityMean!.value.scalars[t], logStd: reference.priorityLogStd!.value.scalar) - shift)
            }
        }
        // The value head's input gradient is stopped by design (it must not train the shared
        // encoder), so the encoder is checked on the policy terms and the value head on all terms.
        func loss(_ store: ParameterStore, valueCoefficient: Float) -> (Var, Tape) {
            let tape = Tape(parameters: store)
            let out = policy(prepared, tape: tape)
            return (PPOLoss.loss(out, batch: batch, clip: 0.2, entropyCoefficient: 0.01, valueCoefficient: valueCoefficient).loss, tape)
        }
        let (policyLoss, policyTape) = loss(store, valueCoefficient: 0)
        var gradients = policyTape.backward(policyLoss).parameters
        let (fullLoss, fullTape) = loss(store, valueCoefficient: 0.5)
        let full = fullTape.backward(fullLoss).parameters
        let probes = ["input.weight", "gat.0.in.weight", "gat.1.out.attnCenter", "graph.0.weight", "film.weight",
                      "placer.0.attention.query.weight", "placer.1.ffn.0.weight", "placer.1.norm2.gamma",
                      "device.0.weight", "head.query.weight", "head.key.bias", "head.costWeight", "head.hintWeight",
                      "head.priority.weight", "head.priorityLogStd", "value.1.bias"]
        var failures: [String] = []
        var checked = 0
        for name in probes {
            let isValue = name.hasPrefix("value.")
            guard let value = store[name], let g = (isValue ? full : gradients)[name] else {
                failures.append("\(name): no parameter or gradient")
                continue
            }
            for index in Set([0, value.count / 2, value.count - 1]) {
                let epsilon: Float = 2e-3
                var plus = store, minus = store
                plus.update(name) { $0.withUnsafeMutableBufferPointer { $0[index] += epsilon } }
                minus.update(name) { $0.withUnsafeMutableBufferPointer { $0[index] -= epsilon } }
                let c: Float = isValue ? 0.5 : 0
                let numeric = (Double(loss(plus, valueCoefficient: c).0.value.scalar)
                               - Double(loss(minus, valueCoefficient: c).0.value.scalar)) / Double(2 * epsilon)
                let analytic = Double(g.scalars[index])
                checked += 1
                if abs(numeric - analytic) > 2e-3 + 5e-2 * max(abs(numeric), abs(analytic)) {
                    failures.append("\(name)[\(index)]: analytic \(analytic), numeric \(numeric)")
                }
            }
        }
        #expect(checked >= 30)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // Not vacuous: the loss depends on these parameters.
        gradients.add(full)
        // Not vacuous: every probe moves the loss except parameters that shift all logits of one
        // softmax equally, which it ignores (their gradient is exactly zero).
        let flat = probes.filter { !(gradients[$0].map { $0.scalars.contains { abs($0) > 1e-6 } } ?? false) }
        #expect(flat.allSatisfy(Self.shiftInvariant.contains), "zero gradient: \(flat)")
    }
}

import Foundation
