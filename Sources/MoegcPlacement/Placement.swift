import MoegcIR
import MoegcSim

/// A placement decision: the device of every task (fused group) and each device's order — what the
/// simulator runs, what the plan writer records, and what a learned policy emits.
public struct Placement: Hashable, Sendable {
    /// The device of each task.
    public var taskDevice: [Int32]
    /// Per-device orders (and the same devices, flat), from a list scheduler.
    public var schedule: Schedule

    public init(taskDevice: [Int32], schedule: Schedule) {
        self.taskDevice = taskDevice
        self.schedule = schedule
    }

    /// Places tasks on `devices` and orders each device by list scheduling under `priority`.
    public init(_ problem: PlacementProblem, devices: [Int32], priority: PriorityRule = .bLevel) {
        self.taskDevice = devices
        self.schedule = priority.schedule(problem, devices: devices)
    }

    /// The device of every IR node (its task's device).
    public func nodeDevices(_ tasks: TaskGraph) -> [Int32] { tasks.nodeTask.map { taskDevice[Int($0)] } }

    /// Each task's position in its device's order.
    public func taskOrder() -> [Int32] {
        var position = [Int32](repeating: 0, count: taskDevice.count)
        for d in 0..<schedule.deviceCount {
            let lo = Int(schedule.orderStart[d])
            for i in lo..<Int(schedule.orderStart[d + 1]) { position[Int(schedule.order[i])] = Int32(i - lo) }
        }
        return position
    }

    /// Writes the placement into the IR: `device` and `order` on every node (a node's order is its
    /// task's position on its device; a fused group's members share it), and `group` = its task.
    public func annotate(_ graph: inout Graph, tasks: TaskGraph) {
        let order = taskOrder()
        for i in graph.nodes.indices {
            let t = Int(tasks.nodeTask[i]), rank = graph.nodes[i].op.schema.attributeRank
            graph.nodes[i].attributes.set("group", .int(t), rank: rank)
            graph.nodes[i].attributes.set("device", .int(Int(taskDevice[t])), rank: rank)
            graph.nodes[i].attributes.set("order", .int(Int(order[t])), rank: rank)
        }
    }

    /// The placement a placed graph's annotations describe (`group`, `device`, `order` on every node),
    /// or a message saying what is missing or inconsistent.
    public static func annotated(_ graph: Graph, tasks: TaskGraph, deviceCount: Int) -> Result<Placement, PlacementError> {
        var device = [Int32](repeating: -1, count: tasks.taskCount)
        var position = [Int](repeating: -1, count: tasks.taskCount)
        for (i, node) in graph.nodes.enumerated() {
            guard let d = node.attributes["device"]?.intValue, let o = node.attributes["order"]?.intValue else {
                return .failure(.invalidPlacement("node %\(graph[node.results[0]].name) has no device or order annotation"))
            }
            guard d < deviceCount else {
                return .failure(.invalidPlacement("node %\(graph[node.results[0]].name) is on device \(d); the cluster has \(deviceCount)"))
            }
            let t = Int(tasks.nodeTask[i])
            if device[t] >= 0 && (device[t] != Int32(d) || position[t] != o) {
                return .failure(.invalidPlacement("the members of fused group \(t) disagree on device or order"))
            }
            device[t] = Int32(d)
            position[t] = o
        }
        return .success(Placement(taskDevice: device, schedule: .ordered(devices: device, positions: position, deviceCount: deviceCount)))
    }
}

extension Schedule {
    /// Each device's tasks in the order of their `positions` (ties in task order).
    public static func ordered<P: BinaryInteger>(devices: [Int32], positions: [P], deviceCount: Int) -> Schedule {
        var orders = [[Int]](repeating: [], count: deviceCount)
        for t in devices.indices { orders[Int(devices[t])].append(t) }
        for d in 0..<deviceCount { orders[d].sort { (positions[$0], $0) < (positions[$1], $1) } }
        return Schedule(placement: devices.map(Int.init), orders: orders)
    }
}

/// How each device's order is chosen once tasks are placed: list scheduling (`ListScheduler`) under a
/// priority per task. Pluggable so a learned policy can supply its own priorities.
public enum PriorityRule: Sendable {
    /// b-level on the placed devices: the longest remaining path, transfers included (critical path first).
    case bLevel
    /// Priorities given per task (larger runs earlier among ready tasks).
    case given([Double])
    /// Each task's position in its device's order, given (a placement file's orders): no list
    /// scheduling; an order that breaks a dependence is the simulator's deadlock error.
    case positions([Int32])

    public func schedule(_ problem: PlacementProblem, devices: [Int32]) -> Schedule {
        let placement = devices.map(Int.init)
        switch self {
        case .bLevel:
            return ListScheduler.bLevelSchedule(graph: problem.costGraph, costs: problem.costs, placement: placement)
        case .given(let priority):
            return ListScheduler.schedule(graph: problem.costGraph, placement: placement,
                                          deviceCount: problem.deviceCount, priority: priority)
        case .positions(let position):
            return .ordered(devices: devices, positions: position, deviceCount: problem.deviceCount)
        }
    }
}
