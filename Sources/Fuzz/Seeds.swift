import MoegcIR
import MoegcPolicy
import MoegcSim
import MoegcSupport

/// The binary seed the policy target starts from: a real checkpoint, small enough to mutate fast
/// (a network of width 8 with one layer of each kind, trained one cloning step and one PPO
/// iteration on a 12-task graph: ~30 KB; the shipped policies are 1.8 MB). Written by
/// `moegc-fuzz seeds Tests/Fuzz/seeds` (`make fuzz-seeds`); deterministic, like every policy file.
enum FuzzSeeds {
    static func write(to dir: String) -> Bool {
        var policy = PolicyConfig()
        policy.hiddenSize = 8
        policy.gatLayers = 1
        policy.gatHeads = 2
        policy.attentionLayers = 1
        policy.attentionHeads = 2
        policy.segmentSize = 8
        policy.feedForwardSize = 8
        var training = TrainingConfig()
        training.iterations = 1
        training.cloningSteps = 1
        training.samplesPerIteration = 2
        training.epochs = 1
        let graph = RandomGraphs.layered(tasks: 12, width: 3, seed: 1)
        let kind = DeviceKind(name: "unit", peakFlops: 1e9, memoryBandwidth: 1e9, memoryCapacity: 1 << 30, launchOverhead: 1e-6)
        let devices = (0..<2).map { Device(name: "d\($0)", kind: 0, host: 0, link: Link(bandwidth: 1e9, latency: 1e-5)) }
        let cluster = Cluster(name: "seed2", kinds: [kind], hosts: [Host(name: "h0")], devices: devices)
        let problem = PolicyProblem(name: "seed", graph: graph, cluster: cluster,
                                    taskOps: Array(repeating: [.matmul], count: graph.taskCount),
                                    references: [ReferencePlacement(name: "single-device", placement: Array(repeating: 0, count: graph.taskCount), stepTime: 1)])
        do {
            var trainer = try PolicyTrainer(problem: problem, policyConfig: policy, config: training)
            while !trainer.isCloningFinished { _ = trainer.cloneStep() }
            while !trainer.isFinished { _ = trainer.iterate() }
            let path = dir + "/policy/small.policy"
            try FileIO.writeAtomically(path, CheckpointFile.encode(trainer.checkpoint))
            print("wrote \(path)")
            return true
        } catch {
            print("moegc-fuzz seeds: \(error)")
            return false
        }
    }
}
