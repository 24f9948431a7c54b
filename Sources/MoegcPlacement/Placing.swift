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
    /// How many times `place` places again after a default reserve ran over.
    public static let memoryRetries = 6

    /// Places the problem with `placer`, makes the decision meet the constraints (`enforce`: pins,
    /// device kinds, co-location), applies the placer's regrouping if it made one, schedules and
    /// simulates the result. `priority` overrides the placer's ordering rule.
    ///
    /// When the simulated peak of a device whose reserve is the default runs over its capacity,
    /// that reserve grows by the excess and the placer places again (`memoryRetries` times at most,
    /// and only while its decision changes): the default starts from what one task needs, and the step's real
    /// peak — many values live at once — tells a memory-aware placer how much more to leave free.
    public func place(with placer: any Placer, priority: PriorityRule? = nil) throws(PlacementError) -> PlacedProblem {
        try MemoryCheck.feasibility(self)
        var problem = self, seconds = 0.0, last: [Int32]? = nil
        for attempt in 0... {
            var (decided, placeSeconds) = try WallClock.timed { () throws(PlacementError) in try placer.decide(problem) }
            seconds += placeSeconds
            guard decided.devices.count == taskCount,
                  decided.devices.allSatisfy({ (0..<Int32(deviceCount)).contains($0) }) else {
                throw .invalidPlacement("placer '\(placer.name)' returned \(decided.devices.count) devices for \(taskCount) tasks, or a device out of range")
            }
            decided.devices = try problem.enforce(decided.devices)
            do {
                let (placed, decision) = try problem.regrouped(by: decided)
                if placed.taskCount != taskCount { try MemoryCheck.feasibility(placed) }
                let rule = priority ?? decision.priority
                let evaluation = try Evaluation.run(placed, devices: decision.devices, priority: rule)
                return PlacedProblem(problem: placed, evaluation: evaluation, placeSeconds: seconds,
                                     merges: taskCount - placed.taskCount, notes: decision.notes, priority: rule)
            } catch {
                guard case .outOfMemory(let d, _, let bytes, let capacity, let what) = error, what == MemoryCheck.simulatedPeak,
                      problem.reserveIsDefault[d], attempt < Self.memoryRetries, decided.devices != last else { throw error }
                last = decided.devices
                problem.reserve[d] += bytes - capacity
            }
        }
        preconditionFailure("unreachable")
    }
}
