import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport
import Testing

/// Placement files (`--placement`): a placement written out reads back to the same schedule, a
/// partial file's pins hold under every placer, and every mistake is an error at its line.
@Suite struct PlacementFileTests {
    static func tinyMoE(_ preset: String = "k40x4") throws -> PlacementProblem {
        try PlacementProblem(graph: try Fixture.lowered("tiny-moe.graph"), cluster: try #require(Cluster.preset(preset)))
    }

    /// Reads `text` as a placement file of `problem` and places it with the file's own placer.
    static func readBack(_ text: String, _ problem: PlacementProblem) throws -> PlacedProblem {
        let pinned = try problem.pinned(by: try PlacementFile.parse(text, path: "p.txt"))
        return try pinned.place(with: PinnedPlacer())
    }

    /// The node devices of a placed problem, by the name of each node's first result.
    static func devicesByName(_ placed: PlacedProblem) -> [String: Int32] {
        let graph = placed.problem.graph, devices = placed.evaluation.placement.nodeDevices(placed.problem.tasks)
        var out: [String: Int32] = [:]
        for (i, node) in graph.nodes.enumerated() { if let r = node.results.first { out[graph[r].name] = devices[i] } }
        return out
    }

    @Test(arguments: Placers.names)
    func everyPlacersPlacementReadsBackToTheSameStep(_ name: String) throws {
        let problem = try Self.tinyMoE()
        let placed = try problem.place(with: try Placers.make(name, seed: 2, budget: 20))
        let text = PlacementFile.render(placed, placer: name)
        let back = try Self.readBack(text, problem)
        // Exact: the same devices and orders give the same simulated schedule.
        #expect(back.evaluation.report.makespan == placed.evaluation.report.makespan, "\(name)")
        #expect(back.evaluation.placement.schedule == placed.evaluation.placement.schedule, "\(name)")
        #expect(Self.devicesByName(back) == Self.devicesByName(placed))
        // And the placed IR of the same placement reads back the same.
        var ir = placed.problem.graph
        placed.evaluation.placement.annotate(&ir, tasks: placed.problem.tasks)
        let fromIR = try Self.readBack(GraphText.print(ir), problem)
        #expect(fromIR.evaluation.report.makespan == placed.evaluation.report.makespan, "\(name) (placed IR)")
    }

    /// A placement whose placer merged tasks (as the learned policy's fusion head does) reads back
    /// merged: nodes sharing a device and an order run as one task again.
    @Test func aRegroupedPlacementReadsBackRegrouped() throws {
        struct MergingPlacer: Placer {
            let name = "merging"
            let summary = "m-etf's devices, tasks merged into their only producer's group"
            func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try decide(problem).devices }
            func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision {
                let base = try METFPlacer().place(problem)
                // Merge each task whose inputs all come from one producer on its device into that
                // producer's group (no cycle can form: nothing else leads into the task).
                var group = Array(0..<problem.taskCount)
                let g = problem.costGraph
                for t in 0..<problem.taskCount {
                    let producers = Set((Int(g.inputStart[t])..<Int(g.inputStart[t + 1])).map {
                        Int(g.valueProducer[Int(g.edgeValue[Int(g.inputEdges[$0])])])
                    })
                    guard producers.count == 1, let p = producers.first else { continue }
                    if base[p] == base[t] && group[p] == p { group[t] = p }
                }
                return PlacementDecision(devices: base, priority: .bLevel, regrouping: group)
            }
        }
        let problem = try Self.tinyMoE()
        let placed = try problem.place(with: MergingPlacer())
        #expect(placed.merges > 0)
        let back = try Self.readBack(PlacementFile.render(placed, placer: "merging"), problem)
        #expect(back.problem.taskCount == placed.problem.taskCount)
        #expect(back.evaluation.report.makespan == placed.evaluation.report.makespan)
    }

    @Test(arguments: Placers.names)
    func aPartialFileKeepsItsPins(_ name: String) throws {
        let problem = try Self.tinyMoE()
        let file = """
            # the first LSTM on device 1, expert 3 of the MoE layer on h0.gpu2, the loss by index
            %lstm1 -> 1
            expert 3 -> h0.gpu2
            %loss -> 0
            """
        let pinned = try problem.pinned(by: try PlacementFile.parse(file, path: "p.txt"))
        #expect(pinned.constraints.pinnedCount > 0 && !pinned.constraints.pinsEveryTask)
        let placed = try pinned.place(with: try Placers.make(name, seed: 5, budget: 20))
        let graph = placed.problem.graph
        let devices = placed.evaluation.placement.nodeDevices(placed.problem.tasks)
        var checked = 0
        for (i, node) in graph.nodes.enumerated() {
            guard let r = node.results.first else { continue }
            let n = graph[r].name
            if n == "lstm1" || n.hasPrefix("lstm1.") { #expect(devices[i] == 1, "\(name): %\(n)"); checked += 1 }
            else if node.attributes["expert"]?.intValue == 3 { #expect(devices[i] == 2, "\(name): %\(n)"); checked += 1 }
            else if n == "loss" { #expect(devices[i] == 0, "\(name): %\(n)"); checked += 1 }
        }
        #expect(checked > 20)
    }

    /// A longer `%name` beats a shorter one, `colocate` beats `expert`.
    @Test func theMostSpecificEntryWins() throws {
        let text = """
            graph g (%x: f32[64]) -> (%a.b.c, %a.d, %e) {
              %a.b.c = opaque(%x) {flops = 1e6} : f32[64]
              %a.d = opaque(%x) {flops = 1e6} : f32[64]
              %e = opaque(%x) {flops = 1e6, expert = 1, colocate = "k"} : f32[64]
            }

            """
        let problem = try PlacementProblem(graph: try Fixture.graph(text), cluster: try #require(Cluster.preset("k40x4")))
        let file = "%a -> 0\n%a.b -> 1\nexpert 1 -> 2\ncolocate k -> 3\n"
        let pinned = try problem.pinned(by: try PlacementFile.parse(file, path: "p.txt"))
        let placed = try pinned.place(with: PinnedPlacer())
        #expect(Self.devicesByName(placed) == ["a.b.c": 1, "a.d": 0, "e": 3])
    }

    /// The schedule an order gives is run as given: one that breaks a dependence is an error.
    @Test func anOrderAgainstADependenceIsAnError() throws {
        let text = """
            graph g (%x: f32[64]) -> (%z) {
              %y = opaque(%x) {flops = 1e6} : f32[64]
              %z = opaque(%y) {flops = 1e6} : f32[64]
            }

            """
        let problem = try PlacementProblem(graph: try Fixture.graph(text), cluster: try #require(Cluster.preset("k40x4")))
        #expect(throws: PlacementError.self) { try Self.readBack("%y -> 0 @ 1\n%z -> 0 @ 0\n", problem) }
        let fine = try Self.readBack("%y -> 0 @ 0\n%z -> 0 @ 1\n", problem)
        #expect(fine.evaluation.report.isFeasible)
    }

    /// Each mistake is located at its entry, and all of them are reported in one run.
    @Test func mistakesAreErrorsAtTheirLines() throws {
        let problem = try Self.tinyMoE()
        func errors(_ file: String) -> [String] {
            do {
                _ = try problem.pinned(by: try PlacementFile.parse(file, path: "p.txt"))
                return []
            } catch {
                return error.diagnostics.map(\.description)
            }
        }
        let syntax = errors("%emb -> 0\nfoo bar\n%emb.table -> 0 @ x\n%res2 ->\n -> 1\nexpert three -> 1\n")
        #expect(syntax.count == 5)
        #expect(syntax.first?.hasPrefix("p.txt:2:1: error: expected 'SELECTOR -> DEVICE'") == true)
        #expect(syntax.contains { $0.hasPrefix("p.txt:3:19: error: '@' takes the position") })
        #expect(syntax.contains { $0.hasPrefix("p.txt:4:9: error: missing the device") })
        #expect(syntax.contains { $0.hasPrefix("p.txt:6:8: error: 'expert' takes one expert number") })

        let names = errors("%nosuch -> 0\n%moe -> gpu9\n%lstm2 -> 7\nexpert 99 -> 1\n%lstm1 -> 0\n%lstm1 -> 1\ncolocate zz -> 0\n")
        #expect(names == [
            "p.txt:1:1: error: no node of 'tiny_moe' is named %nosuch or has a name under %nosuch.",
            "p.txt:2:1: error: cluster 'k40x4' has no device 'gpu9' (its devices: h0.gpu0, h0.gpu1, h0.gpu2, h0.gpu3; or an index 0–3)",
            "p.txt:3:1: error: device 7 is out of range: cluster 'k40x4' has 4 devices (0–3)",
            "p.txt:4:1: error: no node of 'tiny_moe' has expert = 99",
            "p.txt:6:1: error: %lstm1 is placed twice (first at line 5)",
            "p.txt:7:1: error: no node of 'tiny_moe' has colocate = \"zz\"",
        ])
        // Two nodes of one fused task, and a weight apart from its reader.
        let fused = errors("%lstm1.t0.z_raw -> 0\n%lstm1.t0.z -> 1\n%emb.table -> 2\n%emb -> 3\n")
        #expect(fused.count == 2)
        #expect(fused.first?.hasPrefix("p.txt:2:1: error: %lstm1.t0.z goes to h0.gpu1, but it runs in one task with %lstm1.t0.z_raw") == true)
        #expect(fused.first?.contains("--no-fusion") == true)
        #expect(fused.last?.contains("a weight or constant stays on the device of the node that reads it") == true)
        // Orders need every node placed, and every entry an order.
        let partial = errors("%emb -> 0 @ 1\n")
        #expect(partial.count == 1 && partial[0].hasPrefix("p.txt:1:1: error: an order (@ N) fixes a device's whole schedule"))
        let placed = try problem.place(with: METFPlacer())
        var complete = PlacementFile.render(placed, placer: "m-etf").split(separator: "\n").map(String.init)
        let last = complete.count - 1
        complete[last] = String(complete[last].split(separator: "@")[0].dropLast())
        let unordered = errors(complete.joined(separator: "\n"))
        #expect(unordered.count == 1 && unordered[0].hasPrefix("p.txt:\(last + 1):1: error: ") && unordered[0].contains("has no order (@ N)"))
    }

    @Test func colocationKindsAndCapacityBindPins() throws {
        let text = """
            graph g (%x: f32[64]) -> (%z) {
              %y = opaque(%x) {flops = 1e6, colocate = "k"} : f32[64]
              %y2 = opaque(%x) {flops = 1e6, colocate = "k"} : f32[64]
              %s = opaque(%x) {flops = 1e6, devices = [slow]} : f32[64]
              %big = opaque(%x) {flops = 1e6, weights = 7e8} : f32[64]
              %big2 = opaque(%x) {flops = 1e6, weights = 7e8} : f32[64]
              %z = opaque(%y, %y2, %s, %big, %big2) {flops = 1e6} : f32[64]
            }

            """
        let problem = try PlacementProblem(graph: try Fixture.graph(text), cluster: try Cluster.parse(PlacementConstraintsTests.cluster))
        do {
            _ = try problem.pinned(by: try PlacementFile.parse("%y -> f0\n%y2 -> f1\n%s -> f0\n%big -> s0\n%big2 -> s0\n", path: "p.txt"))
            Issue.record("expected errors")
        } catch {
            let messages = error.diagnostics.map(\.description)
            #expect(messages.count == 3, "\(messages)")
            #expect(messages.contains { $0.hasPrefix("p.txt:2:1: error: %y2 goes to f1, but it must share a device (colocate = \"k\") with %y") })
            #expect(messages.contains { $0.hasPrefix("p.txt:3:1: error: %s may run only on devices of kind slow") && $0.contains("f0 is a fast") })
            #expect(messages.contains { $0.contains("error: the weights placed on s0 need 1.3 GiB (1400000000 bytes); it holds 953.67 MiB") })
        }
        // Together they are fine, and the placer keeps them.
        let pinned = try problem.pinned(by: try PlacementFile.parse("colocate k -> f1\n%s -> s1\n", path: "p.txt"))
        let placed = try pinned.place(with: HEFTPlacer())
        let devices = Self.devicesByName(placed)
        #expect(devices["y"] == 1 && devices["y2"] == 1 && devices["s"] == 3)
    }
}
