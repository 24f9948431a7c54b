import MoegcSim

/// Tasks in topological order dealt to the devices in turn (TensorFlow's naive spread). A device
/// whose weight budget a task would overflow is skipped for the next one with room.
public struct RoundRobinPlacer: Placer {
    public let name = "round-robin"
    public let summary = "tasks in topological order dealt to the devices in turn"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, count = problem.deviceCount
        var ledger = WeightLedger(problem)
        let weights = problem.weights
        var devices = [Int32](repeating: 0, count: problem.taskCount)
        var next = 0
        for ti in g.topologicalOrder {
            let t = Int(ti), bytes = weights[t]
            guard let k = (0..<count).first(where: { ledger.fits(bytes, on: (next + $0) % count) }) else {
                throw WeightLedger.noRoom(problem, task: t, ledger: ledger)
            }
            let d = (next + k) % count
            devices[t] = Int32(d)
            ledger.add(bytes, on: d)
            next = (d + 1) % count
        }
        return devices
    }
}
