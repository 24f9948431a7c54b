import MoegcIR
import MoegcPlacement
import MoegcSim
import Testing

/// The memory placers keep free of weights (`PlacementProblem.reserve`): by default what one task
/// needs (at most 10% of a device), raised where the simulated step's peak runs over; a reserve
/// the user or the cluster gives is kept as given.
@Suite struct MemoryReserveTests {
    static let cluster = """
        cluster two
        kind acc flops=1TFLOP/s membw=100GB/s memory=1GB launch=1us
        host h0
        device acc count=2 kind=acc link=10GB/s latency=5us

        """

    /// Four 100 MB activations in a chain, all read by the last op (400 MB live at once), and two
    /// ops with 420 MB of weights each, on two 1 GB devices: the two weights fit on one device
    /// beside one task's activations, not beside the whole step's.
    static let text = """
        graph live (%x: f32[1024]) -> (%z) {
          %a1 = opaque(%x) {flops = 1e9} : f32[25000000]
          %a2 = opaque(%a1) {flops = 1e9} : f32[25000000]
          %a3 = opaque(%a2) {flops = 1e9} : f32[25000000]
          %a4 = opaque(%a3) {flops = 1e9} : f32[25000000]
          %b1 = opaque(%x) {flops = 4e9, weights = 420000000} : f32[1024]
          %b2 = opaque(%x) {flops = 4e9, weights = 420000000} : f32[1024]
          %z = opaque(%a1, %a2, %a3, %a4, %b1, %b2) {flops = 1e9} : f32[1024]
        }

        """

    @Test func theDefaultReserveIsOneTasksActivationsCappedAtTenPercent() throws {
        let problem = try PlacementProblem(graph: try Fixture.graph(Self.text), cluster: try Cluster.parse(Self.cluster))
        // %z reads 4 × 100 MB and writes 4 KiB; 10% of 1 GB is less.
        #expect(problem.activationHeadroom == 400_000_000 + 2 * 4096 + 4096)
        #expect(problem.costGraph.graphInputBytes == [4096])
        #expect(problem.reserve == [100_000_000, 100_000_000] && problem.reserveIsDefault == [true, true])
        let small = try PlacementProblem(graph: try Fixture.graph("""
            graph s (%x: f32[1024]) -> (%y) {
              %y = opaque(%x) {flops = 1e9, weights = 1e6} : f32[1024]
            }

            """), cluster: try Cluster.parse(Self.cluster))
        // Its input and its output.
        #expect(small.reserve == [8192, 8192])
        #expect(small.weightBudget(0) == 1_000_000_000 - 8192)
    }

    /// Linear fills device 0 with both weights under the first reserve and runs out at the step's
    /// peak; placing again with the excess reserved, it fits. A reserve given explicitly is not
    /// raised, and a placer whose decision does not change (single) is not asked again.
    @Test func aDefaultReserveGrowsWhereTheSimulatedPeakRanOver() throws {
        let graph = try Fixture.graph(Self.text), cluster = try Cluster.parse(Self.cluster)
        let problem = try PlacementProblem(graph: graph, cluster: cluster)
        let placed = try problem.place(with: LinearPartitionPlacer())
        #expect(placed.evaluation.report.isFeasible)
        #expect(placed.problem.reserve[0] > problem.reserve[0])
        let fixed = try PlacementProblem(graph: graph, cluster: cluster, reserve: .percent(10))
        #expect(fixed.reserveIsDefault == [false, false])
        #expect { try fixed.place(with: LinearPartitionPlacer()) } throws: { error in
            guard case PlacementError.outOfMemory(device: 0, _, _, _, what: MemoryCheck.simulatedPeak) = error else { return false }
            return true
        }
        #expect(throws: PlacementError.self) { try problem.place(with: SingleDevicePlacer()) }
    }
}
