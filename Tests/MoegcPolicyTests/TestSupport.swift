import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlacement
@testable import MoegcPolicy
import MoegcSim
import Testing

/// Devices doing 1 GFLOP/s and 1 GB/s of memory traffic, links of `link` bytes/s, one host.
func testCluster(devices: Int, memory: Int = 1 << 40, link: Double = 1e9, speeds: [Double]? = nil) -> Cluster {
    var kinds = [DeviceKind(name: "unit", peakFlops: 1e9, memoryBandwidth: 1e9, memoryCapacity: memory, launchOverhead: 1e-6)]
    var kindOf = [Int](repeating: 0, count: devices)
    if let speeds {
        kinds = speeds.enumerated().map { DeviceKind(name: "k\($0)", peakFlops: $1, memoryBandwidth: 1e9,
                                                     memoryCapacity: memory, launchOverhead: 1e-6) }
        kindOf = Array(0..<devices)
    }
    let list = (0..<devices).map { Device(name: "d\($0)", kind: kindOf[$0], host: 0, link: Link(bandwidth: link, latency: 1e-5)) }
    return Cluster(name: "test\(devices)", kinds: kinds, hosts: [Host(name: "h0")], devices: list)
}

/// The heuristics the tests compare against, standing in for MoegcPlacement's placers: everything
/// on device 0, round-robin in topological order, and greedy earliest-finish (HEFT order).
func referencePlacements(_ graph: CostGraph, _ cluster: Cluster) -> [ReferencePlacement] {
    let d = cluster.deviceCount
    var single = [Int](repeating: 0, count: graph.taskCount)
    var roundRobin = single
    for (i, t) in graph.topologicalOrder.enumerated() { roundRobin[Int(t)] = i % d }
    var scheduler = IncrementalScheduler(graph: graph, cluster: cluster)
    let rank = Priorities.bLevel(graph: graph, costs: CostModel(cluster))
    for t in (0..<graph.taskCount).sorted(by: { rank[$0] > rank[$1] || (rank[$0] == rank[$1] && $0 < $1) }) {
        let fits = (0..<d).map { scheduler.weightsFit(t, on: $0) }
        let device = scheduler.bestDevice(for: t) { fits[$0] }?.device ?? 0
        scheduler.place(t, on: device)
    }
    single = single.map { _ in 0 }
    let problem = PolicyProblem(name: "probe", graph: graph, cluster: cluster,
                                   taskOps: Array(repeating: [], count: graph.taskCount),
                                   references: [ReferencePlacement(name: "probe", placement: single, stepTime: 1)])
    var environment = try! PlacementEnvironment(problem)
    return [("single-device", single), ("round-robin", roundRobin), ("heft", scheduler.placement)].compactMap { name, p in
        let outcome = environment.evaluate(p)
        return outcome.outOfMemory ? nil : ReferencePlacement(name: name, placement: p, stepTime: outcome.stepTime)
    }
}

/// A problem from a cost graph with the test references.
func problem(_ graph: CostGraph, _ cluster: Cluster, name: String = "test", taskOps: [[OpCode]]? = nil) -> PolicyProblem {
    PolicyProblem(name: name, graph: graph, cluster: cluster,
                     taskOps: taskOps ?? Array(repeating: [.matmul], count: graph.taskCount),
                     references: referencePlacements(graph, cluster))
}

/// A fork-join of unequal branches: source → 5 branches of 3, 3, 2, 2, 2 GFLOP (1 MB edges) → sink.
/// On two equal devices the best split is 3+3 | 2+2+2 (6 s); greedy largest-first (HEFT) packs
/// 3+2+2 | 3+2 (7 s). Brute force below confirms the optimum.
func forkJoinGraph() -> CostGraph {
    var tasks = [CostGraph.Task(flops: 1e7, bytesAccessed: 1e6)]
    var values: [CostGraph.Value] = [CostGraph.Value(producer: 0, bytes: 1_000_000, consumers: Array(1...5))]
    for (b, size) in [3.0, 3, 2, 2, 2].enumerated().map({ ($0 + 1, $1) }) {
        tasks.append(CostGraph.Task(flops: size * 1e9, bytesAccessed: 2e6))
        values.append(CostGraph.Value(producer: b, bytes: 1_000_000, consumers: [6]))
    }
    tasks.append(CostGraph.Task(flops: 1e7, bytesAccessed: 5e6))
    values.append(CostGraph.Value(producer: 6, bytes: 4, consumers: [], isOutput: true))
    return try! CostGraph(tasks: tasks, values: values)
}

/// The least simulated step time over every placement (b-level orders), by enumeration.
func bruteForceOptimum(_ problem: PolicyProblem) -> Double {
    var environment = try! PlacementEnvironment(problem)
    let n = problem.taskCount, d = problem.deviceCount
    var best = Double.infinity
    var placement = [Int](repeating: 0, count: n)
    var total = 1
    for _ in 0..<n { total *= d }
    for code in 0..<total {
        var c = code
        for t in 0..<n { placement[t] = c % d; c /= d }
        let outcome = environment.evaluate(placement)
        if !outcome.outOfMemory { best = min(best, outcome.stepTime) }
    }
    return best
}

/// A paper graph as `moegc place` sees it: lowered (training mode), fused, adapted by
/// `MoegcPlacement`, with every heuristic placer as a reference. `useUnits: false` gives the
/// policy one decision per task instead of per co-location unit.
func paperProblem(path: String, cluster: Cluster, useUnits: Bool = true) throws -> PolicyProblem {
    let problem = try PolicyProblem.withHeuristics(try Compilation.placementProblem(path: path, cluster: cluster))
    guard !useUnits else { return problem }
    return PolicyProblem(name: problem.name, graph: problem.graph, cluster: cluster, taskOps: problem.taskOps,
                         references: problem.references, lowerBound: problem.lowerBound)
}

/// The repository's `graphs/` folder.
func graphsDirectory() -> String {
    var url = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
    url = "/" + url + "/graphs"
    return url
}
