import MoegcIR
import MoegcNN
@testable import MoegcPolicy
import MoegcSim
import Testing

@Suite struct FeaturizerTests {
    @Test func shapesAndRanges() {
        let p = problem(RandomGraphs.layered(tasks: 60, width: 6, seed: 3), testCluster(devices: 4))
        let input = Featurizer.input(for: p, vocabulary: .registry)
        #expect(input.tasks.shape == [60, Featurizer.taskFeatureCount(.registry)])
        #expect(input.devices.shape == [4, Featurizer.deviceFeatureCount])
        #expect(input.relativeCost.shape == [60, 4])
        #expect(input.tasks.scalars.allSatisfy { $0.isFinite && abs($0) <= 4 })
        #expect(input.devices.scalars.allSatisfy { $0.isFinite && abs($0) <= 4 })
        // Homogeneous devices: no task is cheaper anywhere; nothing is masked.
        #expect(input.relativeCost.scalars.allSatisfy { abs($0) < 1e-6 })
        #expect(input.mask == nil)
        #expect(Set(input.order) == Set((0..<60).map(Int32.init)))
        for (i, t) in input.order.enumerated() { #expect(input.position[Int(t)] == Int32(i)) }
    }

    /// Large graphs split the per-task rows (and the position codes) over two threads: the same
    /// bits as one thread. 16389 tasks: just over the two bands of 8192 rows a split needs.
    @Test func sameFeaturesOnOneThreadOrTwo() {
        let graph = RandomGraphs.layered(tasks: 2 * 8192 + 5, width: 64, seed: 4)
        let cluster = testCluster(devices: 4, speeds: [1e9, 2e9, 3e9, 5e9])
        let placement = RandomGraphs.placement(tasks: graph.taskCount, deviceCount: 4, seed: 1)
        let p = PolicyProblem(name: "large", graph: graph, cluster: cluster,
                              taskOps: Array(repeating: [.matmul, .add], count: graph.taskCount),
                              references: [ReferencePlacement(name: "random", placement: placement, stepTime: 1)])
        let one = Featurizer.input(for: p, vocabulary: .registry, threads: 1), two = Featurizer.input(for: p, vocabulary: .registry, threads: 2)
        #expect(one.tasks == two.tasks)
        #expect(one.relativeCost == two.relativeCost)
        #expect(one.relativeCost.scalars.contains { $0 != 0 })
        #expect(SegmentEncoder.positionCode(count: graph.taskCount, width: 16, threads: 1)
                == SegmentEncoder.positionCode(count: graph.taskCount, width: 16, threads: 2))
    }

    @Test func identicalDevicesGetDistinctCodes() {
        let input = Featurizer.input(for: problem(forkJoinGraph(), testCluster(devices: 8)), vocabulary: .registry)
        let rows = (0..<8).map { d in Array(input.devices.scalars[(d * Featurizer.deviceFeatureCount)..<((d + 1) * Featurizer.deviceFeatureCount)]) }
        #expect(Set(rows.map { $0.map { Int(($0 * 1000).rounded()) } }).count == 8)
    }

    @Test func heterogeneousCostsAndMemoryMask() {
        // Device 1 is 4× faster; device 0 cannot hold task 3's weights.
        let tasks = (0..<4).map { CostGraph.Task(flops: 1e9, bytesAccessed: 1, residentBytes: $0 == 3 ? 3000 : 0) }
        let values = (0..<3).map { CostGraph.Value(producer: $0, bytes: 8, consumers: [$0 + 1]) }
        let graph = try! CostGraph(tasks: tasks, values: values)
        var cluster = testCluster(devices: 2, speeds: [1e9, 4e9])
        cluster.kinds[0].memoryCapacity = 2000
        let input = Featurizer.input(for: PolicyProblem(
            name: "h", graph: graph, cluster: cluster, taskOps: Array(repeating: [.matmul], count: 4),
            references: [ReferencePlacement(name: "fast", placement: [1, 1, 1, 1], stepTime: 1)]), vocabulary: .registry)
        #expect(input.relativeCost[0, 1] < input.relativeCost[0, 0])
        #expect(abs(input.relativeCost[0, 0] - input.relativeCost[0, 1] - 2) < 1e-3)  // log₂ 4
        #expect(input.mask?[3, 0] == -.infinity)
        #expect(input.mask?[3, 1] == 0)
        #expect(input.mask?[0, 0] == 0)
    }

    @Test func opProfileSumsToOne() {
        let graph = forkJoinGraph()
        let ops: [[OpCode]] = (0..<graph.taskCount).map { $0 == 0 ? [.matmul, .relu, .add, .add] : [.matmul] }
        let input = Featurizer.input(for: problem(graph, testCluster(devices: 2), taskOps: ops), vocabulary: .registry)
        let opCount = OpCode.allCases.count
        let row0 = Array(input.tasks.scalars[0..<opCount])
        #expect(abs(row0.reduce(0, +) - 1) < 1e-6)
        #expect(row0[OpCode.allCases.firstIndex(of: .add)!] == 0.5)
        let fusion = Array(input.tasks.scalars[opCount..<(opCount + FusionClass.allCases.count)])
        #expect(abs(fusion.reduce(0, +) - 1) < 1e-6)
    }

    /// The op profile follows the policy's vocabulary by name: the same problem read with the
    /// vocabulary reversed gives the same features with the op columns reversed (so a reordered
    /// `OpCode` cannot change what a policy reads), and an op the vocabulary does not name adds to no
    /// op column while its fusion class still counts.
    @Test func opColumnsFollowTheVocabularyByName() {
        let graph = forkJoinGraph()
        let ops: [[OpCode]] = (0..<graph.taskCount).map { $0 == 0 ? [.matmul, .relu, .add, .add] : [.matmul, .softmax] }
        let p = problem(graph, testCluster(devices: 2), taskOps: ops)
        let forward = OpVocabulary.registry, reversed = OpVocabulary(forward.names.reversed())
        let a = Featurizer.input(for: p, vocabulary: forward), b = Featurizer.input(for: p, vocabulary: reversed)
        let n = forward.count, width = Featurizer.taskFeatureCount(forward)
        for t in 0..<p.taskCount {
            let rowA = Array(a.tasks.scalars[(t * width)..<((t + 1) * width)])
            let rowB = Array(b.tasks.scalars[(t * width)..<((t + 1) * width)])
            #expect(Array(rowA[0..<n].reversed()) == Array(rowB[0..<n]))
            #expect(Array(rowA[n...]) == Array(rowB[n...]))
        }
        let withoutRelu = OpVocabulary(forward.names.filter { $0 != "relu" } + ["an_op_of_a_later_moegc"])
        let c = Featurizer.input(for: p, vocabulary: withoutRelu)
        let row0 = Array(c.tasks.scalars[0..<withoutRelu.count])
        #expect(row0[withoutRelu.names.firstIndex(of: "add")!] == 0.5)
        #expect(row0[withoutRelu.names.firstIndex(of: "matmul")!] == 0.25)
        #expect(row0.last == 0)
        #expect(abs(row0.reduce(0, +) - 0.75) < 1e-6)
        let fusion = Array(c.tasks.scalars[withoutRelu.count..<(withoutRelu.count + FusionClass.allCases.count)])
        #expect(abs(fusion.reduce(0, +) - 1) < 1e-6)
    }

    /// Policy files written before vocabularies were recorded read the original 58 ops; a new
    /// policy stores none while the registry holds exactly those (its bytes are unchanged), and
    /// records the registry's names once it holds others.
    @Test func configRecordsTheVocabulary() {
        #expect(OpVocabulary.original.count == 58 && OpVocabulary.original.duplicate == nil)
        var old = PolicyConfig()
        old.opVocabulary = nil
        #expect(old.vocabulary == .original)
        let fresh = PolicyConfig()
        #expect(fresh.vocabulary == .registry)
        #expect((fresh.opVocabulary == nil) == (OpVocabulary.registry == .original))
        var twice = PolicyConfig()
        twice.opVocabulary = ["add", "mul", "add"]
        #expect(twice.problem == "opVocabulary names 'add' twice")
    }
}

@Suite struct AdaptorTests {
    /// MoegcPlacement's problem seen by the policy: every task lists its fused ops, experts form
    /// multi-task units, every heuristic that fits is a reference, and the best one is the yardstick.
    @Test func tinyMoEThroughTheRealAdaptor() throws {
        let p = try paperProblem(path: graphsDirectory() + "/tiny-moe.graph", cluster: Cluster.preset("k40x4")!)
        #expect(p.taskOps.allSatisfy { !$0.isEmpty })
        #expect(p.unitCount < p.taskCount)
        #expect(Set(p.references.map(\.name)).isSuperset(of: ["single", "expert-parallel", "heft", "local-search"]))
        #expect(p.reference.stepTime == p.references.map(\.stepTime).min())
        #expect(p.lowerBound > 0 && p.lowerBound <= p.reference.stepTime)
        // Units never split the best reference: its placement is expressible unit by unit.
        #expect(p.expand(p.unitDevices(of: p.reference.placement)) == p.reference.placement)
        let input = Featurizer.input(for: p, vocabulary: .registry)
        #expect(input.unitScale?.shape == [p.unitCount, 1])
        let opCount = OpCode.allCases.count
        let matmul = OpCode.allCases.firstIndex(of: .matmul)!
        #expect((0..<p.taskCount).contains { input.tasks[$0, matmul] > 0 })
        #expect(input.tasks.shape[1] > opCount)
    }
}
