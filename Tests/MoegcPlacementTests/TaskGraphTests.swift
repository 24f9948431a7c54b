import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import Testing

/// The IR → cost-graph adaptor.
struct TaskGraphTests {
    static let chain = """
        graph chain (%x: f32[64, 128]) -> (%y) {
          %w = param() {init = normal, scale = 0.1} : f32[128, 256]
          %h = matmul(%x, %w) : f32[64, 256]
          %r = relu(%h) : f32[64, 256]
          %y = scale(%r) {factor = 0.5} : f32[64, 256]
        }

        """

    @Test func unfusedTasksCarryTheRegistryCosts() throws {
        for file in ["tiny-moe.graph", "tiny-hmoe.graph", "tiny-switch.graph"] {
            let g = try Fixture.lowered(file, fuse: false)
            let tg = try TaskGraph(g, plan: FusionPlan.singletons(g))
            var folded = 0
            for t in 0..<tg.taskCount {
                let members = tg.members(of: t).map(Int.init)
                let computing = members.filter { g.cost(NodeID($0)).flops > 0 || g.cost(NodeID($0)).bytes > 0 }
                #expect(computing.count <= 1, "\(file): a singleton task holds at most one computing node")
                folded += members.count - 1
                let flops = members.reduce(0.0) { $0 + g.cost(NodeID($1)).flops }
                #expect(tg.costGraph.flops[t] == flops)
                // With every node alone, no read is saved: bytes are the registry's, exactly.
                if let n = computing.first {
                    #expect(tg.costGraph.bytesAccessed[t] == g.cost(NodeID(n)).bytes, "\(file) task \(t)")
                }
                let weights = members.filter { g.nodes[$0].op == .param }
                    .reduce(0) { $0 + g.type(of: g.nodes[$1].results[0]).byteCount! }
                #expect(tg.weightBytes[t] == weights)
            }
            #expect(folded > 0, "\(file): weights fold into their consumers")
            let total = g.nodeIDs.reduce(0.0) { $0 + g.cost($1).flops }
            #expect(abs(tg.costGraph.flops.reduce(0, +) - total) <= 1e-9 * total)
        }
    }

    @Test func fusedChainIsOneTaskWithoutInternalRoundTrips() throws {
        var g = try Fixture.graph(TaskGraphTests.chain)
        let unfused = try TaskGraph(g, plan: FusionPlan.singletons(g))
        try PassManager([fusion]).run(&g, PassOptions())
        let fused = try TaskGraph(g)
        #expect(unfused.taskCount == 3) // the weight folds into the matmul
        #expect(fused.taskCount == 1)
        #expect(fused.costGraph.launches[0] == 1)
        #expect(fused.costGraph.flops[0] == unfused.costGraph.flops.reduce(0, +))
        // matmul reads x and w and writes h; relu and scale read and write 64·256 floats each.
        // Fused: x and w read, y written, nothing in between.
        let x = 64.0 * 128 * 4, w = 128.0 * 256 * 4, h = 64.0 * 256 * 4
        #expect(unfused.costGraph.bytesAccessed.reduce(0, +) == (x + w + h) + 2 * (h + h))
        #expect(fused.costGraph.bytesAccessed[0] == x + w + h)
        #expect(fused.costGraph.valueCount == 1 && fused.costGraph.valueIsOutput[0])
        #expect(fused.costValue[g.outputs[0].index] == 0)
        #expect(fused.weightBytes[0] == Int(w))
        // Simulated on one device, the fused chain is faster: fewer launches, less traffic.
        let cluster = try #require(Cluster.preset("k40x4"))
        func step(_ tg: TaskGraph) throws -> Double {
            var sim = try Simulator(graph: tg.costGraph, cluster: cluster)
            return try sim.run(Schedule(graph: tg.costGraph, placement: Array(repeating: 0, count: tg.taskCount), deviceCount: 4)).makespan
        }
        #expect(try step(fused) < step(unfused))
    }

    @Test func nodeTaskAndValueMapsAgree() throws {
        let g = try Fixture.lowered("tiny-hmoe.graph")
        let tg = try TaskGraph(g)
        let cg = tg.costGraph
        for t in 0..<tg.taskCount {
            for n in tg.members(of: t) { #expect(Int(tg.nodeTask[Int(n)]) == t) }
        }
        for (vi, value) in g.values.enumerated() {
            let cv = Int(tg.costValue[vi])
            guard let p = value.producer else { #expect(cv == -1); continue }
            let consumers = Set(g.nodes.indices.filter { g.nodes[$0].operands.contains(ValueID(vi)) }.map { Int(tg.nodeTask[$0]) })
            let outside = consumers.subtracting([Int(tg.nodeTask[p.index])])
            if outside.isEmpty && !g.outputs.contains(ValueID(vi)) {
                #expect(cv == -1, "internal value %\(value.name) has no cost-graph value")
            } else {
                #expect(cv >= 0)
                #expect(Int(cg.valueProducer[cv]) == Int(tg.nodeTask[p.index]))
                #expect(Set(cg.consumers(of: cv).map(Int.init)) == outside)
                #expect(cg.valueBytes[cv] == Int(g.type(of: ValueID(vi)).expectedBytes.rounded(.up)))
            }
        }
    }

    @Test func sharedWeightIsHeldOnceAsAValue() throws {
        let g = try Fixture.graph("""
            graph shared (%x: f32[8, 16]) -> (%y, %z) {
              %w = param() {init = normal, scale = 0.1} : f32[16, 16]
              %y = matmul(%x, %w) : f32[8, 16]
              %z = matmul(%y, %w) : f32[8, 16]
            }

            """)
        let tg = try TaskGraph(g, plan: FusionPlan.singletons(g))
        let w = Int(tg.nodeTask[0])
        #expect(tg.taskCount == 3)
        #expect(tg.costGraph.residentBytes[w] == 0 && tg.weightBytes[w] == 16 * 16 * 4)
        #expect(tg.costGraph.launches[w] == 0)
        let v = Int(tg.costValue[g.nodes[0].results[0].index])
        #expect(tg.costGraph.valueIsOutput[v] && tg.costGraph.valueBytes[v] == 16 * 16 * 4)
        // On one device the weight is counted once: peak = weight + the input %x (held for the
        // step) + the live activations.
        let cluster = try #require(Cluster.preset("k40x4"))
        var sim = try Simulator(graph: tg.costGraph, cluster: cluster)
        let report = try sim.run(Schedule(graph: tg.costGraph, placement: [0, 0, 0], deviceCount: 4))
        #expect(report.peakMemory[0] == 16 * 16 * 4 + 8 * 16 * 4 + 2 * 8 * 16 * 4)
    }
}
