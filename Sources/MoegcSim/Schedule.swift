/// What the simulator runs: a device for every task and, per device, the order it runs its tasks in.
///
/// Stored flat: device d's order is `order[orderStart[d] ..< orderStart[d + 1]]`.
public struct Schedule: Hashable, Sendable {
    /// The device of each task.
    public var placement: ContiguousArray<Int32>
    /// Every task once, grouped by device (device 0's tasks first).
    public var order: ContiguousArray<Int32>
    /// Offsets of each device's run in `order`; `deviceCount + 1` entries.
    public var orderStart: ContiguousArray<Int32>

    public init(placement: ContiguousArray<Int32>, order: ContiguousArray<Int32>, orderStart: ContiguousArray<Int32>) {
        self.placement = placement
        self.order = order
        self.orderStart = orderStart
    }

    /// A schedule from a placement and one order per device.
    public init(placement: [Int], orders: [[Int]]) {
        self.placement = ContiguousArray(placement.map { Int32(clamping: $0) })
        self.order = ContiguousArray(orders.joined().map { Int32(clamping: $0) })
        var start = ContiguousArray<Int32>([0])
        for o in orders { start.append(start.last! + Int32(o.count)) }
        self.orderStart = start
    }

    /// Device `d` runs `tasks` in the order `graph.topologicalOrder` lists them. Always deadlock-free.
    public init(graph: CostGraph, placement: [Int], deviceCount: Int) {
        var orders = [[Int]](repeating: [], count: deviceCount)
        for t in graph.topologicalOrder {
            let d = placement[Int(t)]
            if orders.indices.contains(d) { orders[d].append(Int(t)) }
        }
        self.init(placement: placement, orders: orders)
    }

    public var deviceCount: Int { orderStart.count - 1 }

    /// Device `d`'s tasks in the order it runs them.
    public func order(of d: Int) -> [Int] { order[Int(orderStart[d])..<Int(orderStart[d + 1])].map(Int.init) }

    /// Why this schedule does not fit `taskCount` tasks on `deviceCount` devices, or nil when it does:
    /// each placement names a device, and each device's order lists exactly its tasks, each once.
    public func problem(taskCount: Int, deviceCount devices: Int) -> String? {
        var seen = [Bool](repeating: false, count: taskCount)
        return problem(taskCount: taskCount, deviceCount: devices, scratch: &seen)
    }

    func problem(taskCount: Int, deviceCount devices: Int, scratch seen: inout [Bool]) -> String? {
        guard placement.count == taskCount else {
            return "placement has \(placement.count) entries for \(taskCount) tasks"
        }
        guard orderStart.count == devices + 1 else {
            return "orders are given for \(orderStart.count - 1) devices; the cluster has \(devices)"
        }
        guard orderStart[0] == 0, Int(orderStart[devices]) == order.count,
              zip(orderStart, orderStart.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            return "orderStart must rise from 0 to the length of order (\(order.count))"
        }
        guard order.count == taskCount else {
            return "the device orders list \(order.count) tasks; the graph has \(taskCount)"
        }
        for t in 0..<taskCount {
            let d = Int(placement[t])
            if !(0..<devices).contains(d) { return "task \(t) is placed on device \(d), not one of 0..<\(devices)" }
            seen[t] = false
        }
        for d in 0..<devices {
            for i in Int(orderStart[d])..<Int(orderStart[d + 1]) {
                let t = Int(order[i])
                guard (0..<taskCount).contains(t) else { return "device \(d)'s order names task \(t), not one of 0..<\(taskCount)" }
                guard Int(placement[t]) == d else {
                    return "device \(d)'s order lists task \(t), which is placed on device \(placement[t])"
                }
                guard !seen[t] else { return "task \(t) appears twice in device \(d)'s order" }
                seen[t] = true
            }
        }
        return nil
    }
}
