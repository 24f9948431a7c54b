import MoegcSim

/// The placement a file gives for every node (`PlacementProblem.pinned(by:)`): each task on its
/// pinned device; with orders, each device runs its tasks by their numbers, and the tasks that
/// share a device and a number run as one (the fused group they were when the file was written);
/// without, b-level list scheduling orders them.
public struct PinnedPlacer: Placer {
    public let name = "placement-file"
    public let summary = "every task where the placement file puts it"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try decide(problem).devices }

    public func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision {
        let c = problem.constraints
        guard c.pinsEveryTask else {
            throw .invalidPlacement("the placement file places \(c.pinnedCount) of \(problem.taskCount) tasks; "
                + "name a placer for the rest")
        }
        guard c.pinsOrders else { return PlacementDecision(devices: c.pin, priority: .bLevel) }
        // One task per (device, position): equal pairs merge.
        var group: [Int] = [], seen: [Int64: Int] = [:]
        group.reserveCapacity(problem.taskCount)
        for t in 0..<problem.taskCount {
            let key = Int64(c.pin[t]) << 32 | Int64(c.pinnedOrder[t])
            if let g = seen[key] { group.append(g) } else {
                seen[key] = seen.count
                group.append(seen.count - 1)
            }
        }
        return PlacementDecision(devices: c.pin, priority: .positions(c.pinnedOrder),
                                 regrouping: seen.count < problem.taskCount ? group : nil)
    }
}
