import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import Testing

/// `colocate` and `devices` annotations bind every placer: the decision any placer makes is changed
/// as little as needed (`PlacementProblem.enforce`) so that co-located nodes share a device and
/// restricted nodes run on a device of an allowed kind.
@Suite struct PlacementConstraintsTests {
    /// Two fast and two slow accelerators.
    static let cluster = """
        cluster mixed
        kind fast flops=4TFLOP/s membw=400GB/s memory=1GB launch=1us
        kind slow flops=1TFLOP/s membw=100GB/s memory=1GB launch=1us
        host h0
        device f count=2 kind=fast link=10GB/s latency=5us
        device s count=2 kind=slow link=10GB/s latency=5us

        """

    /// A ladder of 16 opaque ops in four parallel chains: nodes 0, 5, 10 and 15 share one
    /// `colocate` group (in different chains, so no placer would co-locate them by itself), nodes
    /// 3 and 12 another, and nodes 6, 7 and 9 may run only on the slow kind.
    static func graph() throws -> Graph {
        var text = "graph ladder (%x: f32[256]) -> (%c0_3, %c1_3, %c2_3, %c3_3) {\n"
        for chain in 0..<4 {
            for step in 0..<4 {
                let n = chain * 4 + step
                let input = step == 0 ? "%x" : "%c\(chain)_\(step - 1)"
                var attributes = "flops = \(1e9 * Double(1 + n % 3)), weights = 1e6"
                if [0, 5, 10, 15].contains(n) { attributes += ", colocate = \"a\"" }
                if [3, 12].contains(n) { attributes += ", colocate = \"b\"" }
                if [6, 7, 9].contains(n) { attributes += ", devices = [slow]" }
                text += "  %c\(chain)_\(step) = opaque(\(input)) {\(attributes)} : f32[256]\n"
            }
        }
        return try Fixture.graph(text + "}\n")
    }

    static func problem() throws -> PlacementProblem {
        try PlacementProblem(graph: try graph(), cluster: try Cluster.parse(cluster))
    }

    /// The node that defines value `name`.
    static func node(_ graph: Graph, _ name: String) throws -> Int {
        try #require(graph.nodes.firstIndex { n in n.results.contains { graph[$0].name == name } })
    }

    /// The task of the node that defines value `name`.
    static func task(_ problem: PlacementProblem, _ name: String) throws -> Int {
        Int(problem.tasks.nodeTask[try node(problem.graph, name)])
    }

    @Test(arguments: Placers.names)
    func everyPlacerKeepsColocationAndDeviceKinds(_ name: String) throws {
        let problem = try Self.problem()
        let placed = try problem.place(with: try Placers.make(name, seed: 3, budget: 30))
        // Per node, so a placer that regroups tasks is checked the same way.
        let devices = placed.evaluation.placement.nodeDevices(placed.problem.tasks)
        let cluster = problem.cluster
        for group in [["c0_0", "c1_1", "c2_2", "c3_3"], ["c0_3", "c3_0"]] {
            let on = try Set(group.map { devices[try Self.node(problem.graph, $0)] })
            #expect(on.count == 1, "\(name): group \(group) on devices \(on.sorted())")
        }
        for value in ["c1_2", "c1_3", "c2_1"] {
            let d = Int(devices[try Self.node(problem.graph, value)])
            #expect(cluster.kinds[cluster.devices[d].kind].name == "slow", "\(name): %\(value) on \(cluster.devices[d].name)")
        }
        #expect(placed.evaluation.report.isFeasible)
    }

    @Test func aPlacementThatMeetsTheConstraintsIsUnchanged() throws {
        let problem = try Self.problem()
        let placed = try problem.place(with: try Placers.make("local-search", seed: 1, budget: 10))
        let devices = placed.evaluation.placement.taskDevice
        #expect(placed.problem.taskCount == problem.taskCount)
        #expect(try problem.enforce(devices) == devices)
    }

    @Test func enforceMovesOnlyWhatBreaksAConstraint() throws {
        let problem = try Self.problem()
        // Everything on fast device 0: the three slow-only tasks must move to one slow device; the
        // co-location groups already share device 0.
        let moved = try problem.enforce([Int32](repeating: 0, count: problem.taskCount))
        let restricted = try Set(["c1_2", "c1_3", "c2_1"].map { try Self.task(problem, $0) })
        for t in 0..<problem.taskCount {
            if restricted.contains(t) { #expect(moved[t] >= 2) } else { #expect(moved[t] == 0) }
        }
    }

    @Test func aKindTheClusterLacksIsAnErrorNamingTheNode() throws {
        let text = """
            graph g (%x: f32[4]) -> (%y) {
              %y = opaque(%x) {flops = 1, devices = [tpu]} : f32[4]
            }

            """
        #expect {
            try PlacementProblem(graph: try Fixture.graph(text), cluster: try Cluster.parse(Self.cluster))
        } throws: { error in
            "\(error)".contains("%y (opaque) may run only on device kind 'tpu', which cluster 'mixed' does not have (its kinds: fast, slow)")
        }
    }

    @Test func aGroupWhoseRestrictionsExcludeEveryDeviceIsAnError() throws {
        let text = """
            graph g (%x: f32[4]) -> (%z) {
              %y = opaque(%x) {flops = 1, colocate = "g", devices = [fast]} : f32[4]
              %z = opaque(%y) {flops = 1, colocate = "g", devices = [slow]} : f32[4]
            }

            """
        #expect {
            try PlacementProblem(graph: try Fixture.graph(text), cluster: try Cluster.parse(Self.cluster))
        } throws: { error in
            "\(error)".contains("co-location group") && "\(error)".contains("no device of 'mixed' meets")
        }
    }

    /// Memory that rules out every placement is reported in the model's terms: the op, human units.
    @Test func anOpLargerThanEveryDeviceIsNamedWithItsSize() throws {
        let text = """
            graph g (%x: f32[4]) -> (%y) {
              %y = opaque(%x) {flops = 1, weights = 2e9} : f32[4]
            }

            """
        let problem = try PlacementProblem(graph: try Fixture.graph(text), cluster: try Cluster.parse(Self.cluster))
        #expect {
            try MemoryCheck.feasibility(problem)
        } throws: { error in
            "\(error)".contains("opaque %y needs 1.86 GiB (2000000032 bytes) live at once (its weights, inputs and outputs); the largest device holds 953.67 MiB")
        }
    }

    @Test func lowerLayersPassTheirConstraintsToTheirPrimitives() throws {
        let text = """
            graph g (%x: f32[8, 16]) -> (%y) {
              %y = dense(%x) {units = 16, activation = relu, colocate = "l", devices = [slow]} : f32[8, 16]
            }

            """
        var graph = try Fixture.graph(text)
        try Lowering.run(&graph, PassOptions(training: false), verify: true)
        let lowered = graph.nodes.filter { $0.op != .param }
        #expect(!lowered.isEmpty)
        for node in lowered {
            #expect(node.attributes["colocate"]?.stringValue == "l")
            #expect(node.attributes["devices"]?.nameListValue == ["slow"])
        }
    }
}
