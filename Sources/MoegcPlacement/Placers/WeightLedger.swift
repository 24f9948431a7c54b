import MoegcSim

/// Weights placed on each device so far, against each device's weight budget
/// (`PlacementProblem.weightBudget`): how the memory-aware placers keep every device within capacity.
struct WeightLedger {
    private(set) var load: [Int]
    let budget: [Int]

    init(_ problem: PlacementProblem) {
        load = [Int](repeating: 0, count: problem.deviceCount)
        budget = (0..<problem.deviceCount).map { problem.weightBudget($0) }
    }

    func fits(_ bytes: Int, on d: Int) -> Bool { bytes == 0 || load[d] + bytes <= budget[d] }

    func free(_ d: Int) -> Int { budget[d] - load[d] }

    mutating func add(_ bytes: Int, on d: Int) { load[d] += bytes }

    mutating func remove(_ bytes: Int, from d: Int) { load[d] -= bytes }

    /// The error when task `t`'s weights fit on no device.
    static func noRoom(_ problem: PlacementProblem, task t: Int, ledger: WeightLedger) -> PlacementError {
        let bytes = problem.weights[t]
        let roomiest = (0..<problem.deviceCount).max { ledger.free($0) < ledger.free($1) } ?? 0
        return .infeasible("the weights of \(problem.tasks.name(of: t, in: problem.graph)) (\(formatBytes(bytes))) fit on no device: "
            + "the roomiest, \(roomiest) '\(problem.cluster.devices[roomiest].name)', has \(formatBytes(max(0, ledger.free(roomiest)))) "
            + "left of its \(formatBytes(ledger.budget[roomiest])) weight budget (its \(formatBytes(problem.cluster.memoryCapacity(roomiest))) "
            + "less a reserve of \(formatBytes(problem.reserve[roomiest])) for the step's live values: \(problem.reserveSource(roomiest)))")
    }
}
