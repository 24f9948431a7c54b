import MoegcSim

/// The paper's own layout (Shazeer et al. 2017, §3): ordinary layers and the gates together on one
/// device, one copy of each expert, experts spread evenly over the devices; with a hierarchical MoE,
/// one group (its secondary gate and all its experts) per device.
///
/// - Every task with a `moe_group` annotation goes to device g mod D; else one with an `expert`
///   annotation to device e mod D; every other task to the *home* device, the fastest (device 0 on a
///   uniform cluster). Expert e of a flat MoE therefore runs on device e mod D.
/// - A task that only selects rows for its expert or group from data produced elsewhere (all its
///   inputs come from outside its expert/group, and it writes fewer bytes than it reads: the
///   `moe_dispatch` of a token batch) stays on the device of its largest input, so only the selected
///   rows travel: "experts stay put; only their inputs and outputs move".
/// - Data parallelism is not modelled: the graph is one step of one batch, so the paper's replicas
///   of the ordinary layers collapse to the single home copy (their gradient all-reduce is out of scope).
/// The layout is fixed, so it is rejected when a device cannot hold its share of the weights.
public struct ExpertParallelPlacer: Placer {
    public let name = "expert-parallel"
    public let summary = "the paper's §3 layout: layers and gates on one device, expert e (or group g) on device e mod D"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, cluster = problem.cluster, count = problem.deviceCount
        let home = (0..<count).max { (cluster.peakFlops($0), -$0) < (cluster.peakFlops($1), -$1) } ?? 0
        func key(_ t: Int) -> Int32 { problem.taskMoEGroup[t] >= 0 ? problem.taskMoEGroup[t] : problem.taskExpert[t] }
        var devices = [Int32](repeating: Int32(home), count: problem.taskCount)
        for ti in g.topologicalOrder {
            let t = Int(ti), k = key(t)
            guard k >= 0 else { continue }
            devices[t] = Int32(Int(k) % count)
            // A row selector fed entirely from outside its expert/group stays with its largest input.
            var inBytes = 0, largest = -1, largestBytes = -1, fromOutside = true
            for e in Int(g.inputStart[t])..<Int(g.inputStart[t + 1]) {
                let v = Int(g.edgeValue[Int(g.inputEdges[e])])
                let p = Int(g.valueProducer[v])
                if key(p) == k { fromOutside = false }
                inBytes += g.valueBytes[v]
                if g.valueBytes[v] > largestBytes { largestBytes = g.valueBytes[v]; largest = p }
            }
            var outBytes = 0
            for o in Int(g.outputStart[t])..<Int(g.outputStart[t + 1]) { outBytes += g.valueBytes[Int(g.outputValues[o])] }
            if fromOutside && largest >= 0 && outBytes < inBytes && problem.weights[t] == 0 {
                devices[t] = devices[largest]
            }
        }
        try MemoryCheck.weights(problem, devices: devices)
        return devices
    }
}
