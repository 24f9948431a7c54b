/// A schedule built one task at a time, answering "when would task t finish on device d?": the
/// core of HEFT, ETF and Baechi's m-ETF/m-SCT placers.
///
/// Tasks are placed in a topological order (a task is *ready* once every producer is placed) and
/// appended to their device's order, so the finished `schedule()` never deadlocks. Estimates follow
/// the simulator's cost model: a task starts when its device is free and its inputs are there; an
/// input from another device arrives after a transfer which, with `contention`, is admitted on its
/// path like the simulator admits it (channels held, no backfilling), in placement order rather
/// than simulated-time order; without, it costs its uncontended time. A value goes to a device once.
/// The simulator remains the judge: it issues transfers eagerly, so its times can differ a little.
///
/// HEFT: rank tasks by `Priorities.bLevel(.average)`, place each (in that order, which is
/// topological) on the device of least `earliestFinish`. ETF: among ready tasks pick the (task,
/// device) pair of least `earliestStart`.
public struct IncrementalScheduler: Sendable {
    public let graph: CostGraph
    public let costs: CostModel
    public let contention: Bool
    /// Device of each placed task, -1 while unplaced.
    public private(set) var placement: [Int]
    public private(set) var start: [Double]
    public private(set) var finish: [Double]
    /// When each device finishes the tasks placed on it so far.
    public private(set) var deviceReady: [Double]
    /// Weights (resident bytes) placed on each device so far.
    public private(set) var residentBytes: [Int]
    public private(set) var placedCount = 0
    private var unplacedInputs: [Int32]
    private var orders: [[Int]]
    private var channelFree: [Double]
    // Copies of values on devices other than the producer's, as linked lists per value.
    private var copyHead: [Int32]
    private var copyDevice: [Int32] = []
    private var copyArrival: [Double] = []
    private var copyNext: [Int32] = []
    // Scratch of one plan: channel reservations it made (valid where `planStamp[c] == stamp`), the
    // channels it touched, and the transfers it needs. Reused, so evaluating a start allocates nothing.
    private var planFree: [Double]
    private var planStamp: [Int]
    private var stamp = 0
    private var planChannels: [Int] = []
    private var planTransfers: [(value: Int, arrival: Double)] = []

    public init(graph: CostGraph, cluster: Cluster, contention: Bool = true) {
        self.graph = graph
        self.costs = CostModel(cluster)
        self.contention = contention
        let t = graph.taskCount, d = cluster.deviceCount
        placement = [Int](repeating: -1, count: t)
        start = [Double](repeating: 0, count: t)
        finish = [Double](repeating: 0, count: t)
        deviceReady = [Double](repeating: 0, count: d)
        residentBytes = [Int](repeating: 0, count: d)
        unplacedInputs = (0..<t).map { graph.inputStart[$0 + 1] - graph.inputStart[$0] }
        orders = [[Int]](repeating: [], count: d)
        channelFree = [Double](repeating: 0, count: costs.topology.channelCount)
        copyHead = [Int32](repeating: -1, count: graph.valueCount)
        planFree = [Double](repeating: 0, count: costs.topology.channelCount)
        planStamp = [Int](repeating: -1, count: costs.topology.channelCount)
    }

    /// The device of task `t` (−1 while unplaced) and its planned finish, without copying the arrays.
    @inline(__always) public func device(of t: Int) -> Int { placement[t] }
    @inline(__always) public func finish(of t: Int) -> Double { finish[t] }

    /// Tasks with no inputs: ready before anything is placed.
    public var initialReady: [Int] { (0..<graph.taskCount).filter { graph.inputStart[$0 + 1] == graph.inputStart[$0] } }

    public var isComplete: Bool { placedCount == graph.taskCount }

    /// True when every producer of `t` is placed and `t` is not.
    public func isReady(_ t: Int) -> Bool { placement[t] < 0 && unplacedInputs[t] == 0 }

    /// Whether `t`'s weights fit on `d` beside those already placed there.
    public func weightsFit(_ t: Int, on d: Int) -> Bool {
        residentBytes[d] + graph.residentBytes[t] <= costs.cluster.memoryCapacity(d)
    }

    /// The earliest time `t` could start on `d` (it must be ready). Mutating only for scratch space:
    /// nothing is placed.
    public mutating func earliestStart(of t: Int, on d: Int) -> Double { plan(t, on: d) }

    /// The earliest time `t` could finish on `d` (it must be ready).
    public mutating func earliestFinish(of t: Int, on d: Int) -> Double {
        earliestStart(of: t, on: d) + costs.time(of: t, in: graph, on: d)
    }

    /// The device where `t` finishes first among those `allowed`, ties to the lower index.
    public mutating func bestDevice(for t: Int, allowed: (Int) -> Bool = { _ in true }) -> (device: Int, finish: Double)? {
        var best: (device: Int, finish: Double)?
        for d in 0..<costs.deviceCount where allowed(d) {
            let f = earliestFinish(of: t, on: d)
            if best == nil || f < best!.finish { best = (d, f) }
        }
        return best
    }

    /// Places ready task `t` on `d` at its earliest start, commits the transfers it needs, and returns
    /// its start and finish and the tasks that became ready.
    @discardableResult
    public mutating func place(_ t: Int, on d: Int) -> (start: Double, finish: Double, newlyReady: [Int]) {
        precondition(isReady(t), "task \(t) is placed already or has unplaced producers")
        let begin = plan(t, on: d)
        for channel in planChannels { channelFree[channel] = planFree[channel] }
        for (v, time) in planTransfers {
            copyDevice.append(Int32(d))
            copyArrival.append(time)
            copyNext.append(copyHead[v])
            copyHead[v] = Int32(copyDevice.count - 1)
        }
        let end = begin + costs.time(of: t, in: graph, on: d)
        placement[t] = d
        start[t] = begin
        finish[t] = end
        deviceReady[d] = end
        residentBytes[d] += graph.residentBytes[t]
        orders[d].append(t)
        placedCount += 1
        var newlyReady: [Int] = []
        for o in Int(graph.outputStart[t])..<Int(graph.outputStart[t + 1]) {
            for c in graph.consumers(of: Int(graph.outputValues[o])) {
                unplacedInputs[Int(c)] -= 1
                if unplacedInputs[Int(c)] == 0 { newlyReady.append(Int(c)) }
            }
        }
        return (begin, end, newlyReady)
    }

    /// The schedule of everything placed (complete once `isComplete`).
    public func schedule() -> Schedule { Schedule(placement: placement, orders: orders) }

    /// The latest finish so far: the estimated step time once complete.
    public var makespan: Double { finish.max() ?? 0 }

    /// When `t` would start on `d`; leaves in the scratch the transfers that needs (value, arrival)
    /// and the channel reservations they make. New transfers are admitted one after another, in input
    /// order, so two of them into `d` queue on its inbound channel exactly as `place` will commit them.
    /// O(inputs × (copies of the input + path length)).
    private mutating func plan(_ t: Int, on d: Int) -> Double {
        stamp += 1
        planChannels.removeAll(keepingCapacity: true)
        planTransfers.removeAll(keepingCapacity: true)
        var ready = deviceReady[d]
        inputs: for k in Int(graph.inputStart[t])..<Int(graph.inputStart[t + 1]) {
            let v = Int(graph.edgeValue[Int(graph.inputEdges[k])])
            let p = Int(graph.valueProducer[v])
            let src = placement[p]
            if src == d {
                ready = max(ready, finish[p])
                continue
            }
            var c = copyHead[v]
            while c >= 0 {
                if Int(copyDevice[Int(c)]) == d {
                    ready = max(ready, copyArrival[Int(c)])
                    continue inputs
                }
                c = copyNext[Int(c)]
            }
            let path = src * costs.deviceCount + d
            let length = Int(costs.topology.pathLength[path])
            var begin = finish[p]
            if contention {
                for k in 0..<length {
                    let channel = Int(costs.topology.pathChannels[path * 4 + k])
                    begin = max(begin, planStamp[channel] == stamp ? planFree[channel] : channelFree[channel])
                }
            }
            let arrival = begin + costs.transferTime(bytes: Double(graph.valueBytes[v]), from: src, to: d)
            if contention {
                for k in 0..<length {
                    let channel = Int(costs.topology.pathChannels[path * 4 + k])
                    if planStamp[channel] != stamp {
                        planStamp[channel] = stamp
                        planChannels.append(channel)
                    }
                    planFree[channel] = arrival
                }
            }
            planTransfers.append((v, arrival))
            ready = max(ready, arrival)
        }
        return ready
    }
}
