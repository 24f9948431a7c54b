@testable import MoegcSim

/// A cluster with round numbers for hand-computed timelines: each device does 1 FLOP/s and 1 B/s
/// of memory traffic (so a task takes max(flops, bytes) seconds + launch), each device link carries
/// 1 B/s with `linkLatency` (0.5 s: a same-host transfer of n bytes takes 1 + n seconds).
func unitCluster(devices: Int, hosts: Int = 1, memory: Int = 1 << 40, launch: Double = 0,
                 linkLatency: Double = 0.5, network: Link = Link(bandwidth: 0.5, latency: 1)) -> Cluster {
    let kind = DeviceKind(name: "unit", peakFlops: 1, memoryBandwidth: 1, memoryCapacity: memory, launchOverhead: launch)
    let hostList = (0..<hosts).map { Host(name: "h\($0)", network: hosts > 1 ? network : nil) }
    let perHost = devices / hosts
    let deviceList = (0..<devices).map {
        Device(name: "d\($0)", kind: 0, host: $0 / perHost, link: Link(bandwidth: 1, latency: linkLatency))
    }
    return Cluster(name: "unit", kinds: [kind], hosts: hostList, devices: deviceList)
}

/// A compute-only task of `flops` seconds on a unit device.
func task(_ flops: Double, bytes: Double = 0, resident: Int = 0, launches: Int = 1) -> CostGraph.Task {
    CostGraph.Task(flops: flops, bytesAccessed: bytes, launches: launches, residentBytes: resident)
}

func value(_ producer: Int, _ bytes: Int, to consumers: [Int], output: Bool = false) -> CostGraph.Value {
    CostGraph.Value(producer: producer, bytes: bytes, consumers: consumers, isOutput: output)
}

/// Simulates and returns the report and timeline.
func simulate(_ graph: CostGraph, _ cluster: Cluster, placement: [Int], orders: [[Int]]) throws -> (SimulationReport, Timeline) {
    var simulator = try Simulator(graph: graph, cluster: cluster)
    let report = try simulator.run(Schedule(placement: placement, orders: orders))
    return (report, simulator.timeline())
}

func approximatelyEqual(_ a: Double, _ b: Double, tolerance: Double = 1e-9) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}
