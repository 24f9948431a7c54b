import MoegcSim

/// Everything on one device: the fastest (largest peak FLOP/s; ties to the lower index). The
/// baseline every other placer must beat; rejected when that device cannot hold the weights.
public struct SingleDevicePlacer: Placer {
    public let name = "single"
    public let summary = "every task on the fastest device"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let cluster = problem.cluster
        let d = (0..<problem.deviceCount).max { (cluster.peakFlops($0), -$0) < (cluster.peakFlops($1), -$1) } ?? 0
        let devices = [Int32](repeating: Int32(d), count: problem.taskCount)
        try MemoryCheck.weights(problem, devices: devices)
        return devices
    }
}
