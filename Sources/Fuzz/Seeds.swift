import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcPolicy
import MoegcSim
import MoegcSupport

/// The binary seeds the policy and plan targets start from. Written by `moegc-fuzz seeds
/// Tests/Fuzz/seeds` (`make fuzz-seeds`); deterministic, like every policy and plan file.
///
/// - policy: a real checkpoint, small enough to mutate fast (a network of width 8 with one layer
///   of each kind, trained one cloning step and one PPO iteration on a 12-task graph: ~30 KB; the
///   shipped policies are 1.8 MB).
/// - plan: plans of a 13-node graph (every section of the format: a weight with data, fusion
///   groups, transfers, peak memory; ~2 KB), as a file and as a bare payload. A compiled tiny
///   model's plan is 16–56 KB, nearly all of it graph text the graph target already fuzzes:
///   mutating these is ten times faster and reaches the same decoder.
enum FuzzSeeds {
    static func write(to dir: String) -> Bool {
        writePlans(to: dir) && writePolicy(to: dir)
    }

    static let planGraph = """
        graph seed(%x: f32[4, 6], %i: i32[4]) -> (%out, %k, %s) {
          %w = param() {init = data} : f32[6, 6]
          %b = param() {init = uniform, scale = 0.1} : f32[6]
          %m = matmul(%x, %w)
          %a = add(%m, %b)
          %t = transpose(%a) {perm = [1, 0]}
          %r = reshape(%t) {shape = [-1, 2]}
          %e = exp(%r)
          %sm = softmax(%a) {axis = -1}
          %v, %k = top_k(%sm) {k = 2}
          %g = gather(%w, %i)
          %s = scatter_add(%g, %i) {rows = 5}
          %out = fma(%sm, %sm, %a)
        }
        """

    static func writePlans(to dir: String) -> Bool {
        do {
            let graph = try Frontend.load(bytes: Array(planGraph.utf8), path: "seed.graph")
            var generator = SeededGenerator(seed: 1)
            let execution = ExecutionPlan.random(graph, devices: 2, fusion: 0.5, generator: &generator)
            let kind = DeviceKind(name: "unit", peakFlops: 1e9, memoryBandwidth: 1e9, memoryCapacity: 1 << 30, launchOverhead: 1e-6)
            let devices = (0..<2).map { Device(name: "d\($0)", kind: 0, host: 0, link: Link(bandwidth: 1e9, latency: 1e-5)) }
            let cluster = Cluster(name: "seed2", kinds: [kind], hosts: [Host(name: "h0")], devices: devices)
            var transfers: [CompiledPlan.Transfer] = []
            for (i, node) in graph.nodes.enumerated() {
                for operand in Set(node.operands) {
                    guard let p = graph.values[operand.index].producer, execution.device[p.index] != execution.device[i] else { continue }
                    transfers.append(.init(value: operand.index, source: execution.device[p.index], destination: execution.device[i],
                                           bytes: graph.type(of: operand).byteCount ?? 0))
                }
            }
            let w = (0..<36).map { Float($0) / 36 }
            let plan = CompiledPlan(execution: execution, clusterText: cluster.printed(), transfers: transfers, peakMemory: [4096, 2048],
                                    simulatedStepSeconds: 1e-4, seed: 7, placer: "random", source: "seed.graph",
                                    weights: ["w": .init(shape: [6, 6], values: w)])
            let file = PlanFile.encode(plan)
            guard let payload = PlanFile.payload(of: file) else { throw FileError(path: "seed.plan", reason: "no payload") }
            try FileIO.writeAtomically(dir + "/plan/small.plan", file)
            try FileIO.writeAtomically(dir + "/plan/small.payload", payload)
            print("wrote \(dir)/plan/small.plan, small.payload")
            return true
        } catch {
            print("moegc-fuzz seeds: \(error)")
            return false
        }
    }

    static func writePolicy(to dir: String) -> Bool {
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
