import Foundation
import MoegcNN

/// Everything needed to continue training exactly where it stopped, or to place with the policy:
/// the network's configuration and weights, the optimiser's state, the sampling generator's state,
/// the learning curve, the best placement found, and what it was trained on.
///
/// Stored as protobuf (`Sources/CMoegcProto/proto/moegc_checkpoint.proto`) by ``CheckpointFile``.
/// No wall-clock time is stored, so the same seed gives the same bytes.
public struct PolicyCheckpoint: Sendable, Equatable {
    public var policyConfig: PolicyConfig
    public var trainingConfig: TrainingConfig
    /// Completed PPO iterations and behaviour-cloning steps.
    public var iteration: Int
    public var cloningSteps: Int
    public var parameters: ParameterStore
    /// Adam's step count and moments (its hyperparameters come from `trainingConfig`).
    public var optimizerStep: Int
    public var optimizerMoments: [NamedTensor]
    /// The trainer's generator state.
    public var rngState: [UInt64]
    public var history: [IterationRecord]
    /// The best placement sampled so far, with the priority offsets it was simulated with.
    public var best: ReferencePlacement?
    public var bestPriorityOffsets: [Float]
    public var graphName: String
    public var clusterName: String
    public var taskCount: Int
    public var deviceCount: Int
    public var referenceName: String
    public var referenceStep: Double
    public var samples: Int
    /// Every training problem's key (`PolicyProblem.key`), in the trainer's order (empty in older
    /// files), and the best step time found on each (0 where none).
    public var problems: [String] = []
    public var problemBestSteps: [Double] = []
    /// With a fusion head: the merge decisions the best placement was simulated with (empty otherwise).
    public var bestMerges: [Bool] = []

    /// Both configurations as canonical JSON (sorted keys), the form stored in the file.
    var configJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try! encoder.encode(StoredConfig(policy: policyConfig, training: trainingConfig))
        return String(decoding: data, as: UTF8.self)
    }

    static func configs(fromJSON text: String) throws(PolicyError) -> (PolicyConfig, TrainingConfig) {
        do {
            let stored = try JSONDecoder().decode(StoredConfig.self, from: Data(text.utf8))
            return (stored.policy, stored.training)
        } catch {
            throw PolicyError(.invalidContents, "the stored configuration does not decode: \(error)")
        }
    }

    /// The Adam optimiser this checkpoint describes.
    func optimizer() throws(PolicyError) -> Adam {
        let archive = TensorArchive(integers: [("adam.step", Int64(optimizerStep))],
                                    tensors: optimizerMoments.map { NamedTensor(name: "adam.\($0.name)", tensor: $0.tensor) })
        do {
            return try Adam(trainingConfig.adam, restoring: archive)
        } catch {
            throw PolicyError(.invalidContents, "optimizer state: \(error.message)")
        }
    }
}

private struct StoredConfig: Codable {
    var policy: PolicyConfig
    var training: TrainingConfig
}
