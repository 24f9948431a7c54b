import MoegcSim
import MoegcSupport

/// What placing a problem produced: the problem as placed (regrouped when the placer fused
/// tasks), its evaluation, the seconds the placer took (ordering and simulation not included), the
/// tasks it merged away and its report notes.
public struct PlacedProblem: Sendable {
    public var problem: PlacementProblem
    public var evaluation: Evaluation
    public var placeSeconds: Double
    public var merges: Int
    public var notes: [(label: String, text: String)]
    /// The rule that ordered each device.
    public var priority: PriorityRule
}

extension PlacementProblem {
    /// Places the problem with `placer`, makes the decision meet the constraints (`enforce`: pins,
    /// device kinds, co-location), applies the placer's regrouping if it made one, schedules and
    /// simulates the result. `priority` overrides the placer's ordering rule.
    public func place(with placer: any Placer, priority: PriorityRule? = nil) throws(PlacementError) -> PlacedProblem {
        try MemoryCheck.feasibility(self)
        var (decided, placeSeconds) = try WallClock.timed { () throws(PlacementError) in try placer.decide(self) }
        guard decided.devices.count == taskCount,
              decided.devices.allSatisfy({ (0..<Int32(deviceCount)).contains($0) }) else {
            throw .invalidPlacement("placer '\(placer.name)' returned \(decided.devices.count) devices for \(taskCount) tasks, or a device out of range")
        }
        decided.devices = try enforce(decided.devices)
        let (placed, decision) = try regrouped(by: decided)
        if placed.taskCount != taskCount { try MemoryCheck.feasibility(placed) }
        let rule = priority ?? decision.priority
        let evaluation = try Evaluation.run(placed, devices: decision.devices, priority: rule)
        return PlacedProblem(problem: placed, evaluation: evaluation, placeSeconds: placeSeconds,
                             merges: taskCount - placed.taskCount, notes: decision.notes, priority: rule)
    }
}
