import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim
import Testing

/// A placed graph prints its placement as annotations and re-parses to the same graph and placement.
struct PlacedIRTests {
    @Test func placedGraphRoundTripsThroughText() throws {
        for file in ["tiny-moe.graph", "tiny-hmoe.graph"] {
            var g = try Fixture.lowered(file)
            let problem = try PlacementProblem(graph: g, cluster: try #require(Cluster.preset("k40x4")))
            let evaluation = try problem.place(with: HEFTPlacer()).evaluation
            evaluation.placement.annotate(&g, tasks: problem.tasks)
            let text = GraphText.print(g)
            let reparsed = try Fixture.graph(text)
            #expect(GraphText.print(reparsed) == text)
            #expect(reparsed == g || GraphText.print(reparsed) == GraphText.print(g))
            let again = try TaskGraph(reparsed)
            #expect(again.taskCount == problem.taskCount)
            let read = try Placement.annotated(reparsed, tasks: again, deviceCount: 4).get()
            #expect(read.taskDevice == evaluation.placement.taskDevice)
            #expect(read.schedule == evaluation.placement.schedule)
        }
    }
}
