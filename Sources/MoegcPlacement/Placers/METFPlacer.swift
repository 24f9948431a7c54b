import HeapModule
import MoegcSim

/// Baechi's m-ETF: Earliest Task First (Hwang et al. 1989) with memory. Repeatedly take, over every
/// ready task and every device with room for its weights, the pair that can *start* earliest
/// (transfers and link contention estimated by `IncrementalScheduler`), ties to the higher b-level;
/// place it there and append it to that device's order.
///
/// Without scanning all ready tasks each step: a ready task's start on any device is at least
/// `lb(t) = max(key(t), earliest device-free time)`, its key being its latest producer's finish and,
/// once evaluated, the best start found then (starts only grow as devices and links fill, so this
/// stays a lower bound up to the changing set of candidate devices). Ready tasks wait in a heap by
/// key; candidates are evaluated in heap order until the next one's lower bound cannot beat the best
/// start found, or `window` candidates have been evaluated; then the best is placed and the others
/// go back with their new keys. Each candidate is tried on
/// its *candidate devices*: those of its producers (no transfer) and the `spread` devices that are
/// free earliest. When devices are busy the first candidate starts at the earliest device-free time
/// and nothing else is looked at. With the window and the candidate devices a step costs
/// O(window · (log R + (inputs + spread) · inputs)); it is exact ETF whenever the best pair lies
/// within them.
public struct METFPlacer: Placer {
    public let name = "m-etf"
    public let summary = "Baechi's m-ETF: the (ready task, device) pair that starts earliest, memory-aware"

    /// Ready tasks evaluated per step at most, and the least-busy devices tried besides the producers'.
    public var window = 8
    public var spread = 3

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try placeAndOrder(problem).0 }

    /// The devices, and each device ordered by the start times the schedule planned.
    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        let g = problem.costGraph, count = problem.deviceCount
        let level = Priorities.bLevel(graph: g, costs: problem.costs, estimate: .average)
        var scheduler = IncrementalScheduler(graph: g, cluster: problem.cluster)
        var ledger = WeightLedger(problem)
        var ready = Heap<ReadyEntry>()
        for t in scheduler.initialReady { ready.insert(ReadyEntry(key: 0, level: level[t], task: t)) }
        let weights = problem.weights, constraints = problem.constraints
        var held: [ReadyEntry] = []
        var candidates: [Int] = []
        var byReadiness = Array(0..<count)
        while !scheduler.isComplete {
            let deviceReady = scheduler.deviceReady
            byReadiness.sort { (deviceReady[$0], $0) < (deviceReady[$1], $1) }
            let deviceFree = deviceReady[byReadiness[0]]
            var best: (start: Double, level: Double, task: Int, device: Int)?
            while let top = ready.min, held.count < window {
                if let b = best, max(deviceFree, top.key) >= b.start { break }
                let entry = ready.removeMin()
                held.append(entry)
                let t = entry.task, bytes = weights[t]
                candidates.removeAll(keepingCapacity: true)
                for k in Int(g.inputStart[t])..<Int(g.inputStart[t + 1]) {
                    let d = scheduler.device(of: Int(g.valueProducer[Int(g.edgeValue[Int(g.inputEdges[k])])]))
                    if !candidates.contains(d) { candidates.append(d) }
                }
                var added = 0
                for d in byReadiness where added < spread && !candidates.contains(d) && ledger.fits(bytes, on: d)
                    && constraints.mayRun(t, on: d) {
                    candidates.append(d)
                    added += 1
                }
                if added == 0 && !candidates.contains(where: { ledger.fits(bytes, on: $0) && constraints.mayRun(t, on: $0) }) {
                    // Nothing cheap has room: every device with room is a candidate.
                    candidates = (0..<count).filter { ledger.fits(bytes, on: $0) && constraints.mayRun(t, on: $0) }
                }
                var own = Double.infinity
                for d in candidates where ledger.fits(bytes, on: d) && constraints.mayRun(t, on: d) {
                    let s = scheduler.earliestStart(of: t, on: d)
                    own = min(own, s)
                    if best == nil || (s, -entry.level, t) < (best!.start, -best!.level, best!.task) {
                        best = (s, entry.level, t, d)
                    }
                }
                if own == .infinity { throw WeightLedger.noRoom(problem, task: t, ledger: ledger) }
                held[held.count - 1].key = max(entry.key, own) // starts only grow: the next lower bound
            }
            guard let b = best else { break }
            for e in held where e.task != b.task { ready.insert(e) }
            held.removeAll(keepingCapacity: true)
            ledger.add(weights[b.task], on: b.device)
            let placed = scheduler.place(b.task, on: b.device)
            for c in placed.newlyReady {
                var latest = 0.0
                for k in Int(g.inputStart[c])..<Int(g.inputStart[c + 1]) {
                    latest = max(latest, scheduler.finish(of: Int(g.valueProducer[Int(g.edgeValue[Int(g.inputEdges[k])])])))
                }
                ready.insert(ReadyEntry(key: latest, level: level[c], task: c))
            }
        }
        return (scheduler.placement.map { Int32($0) }, .given(scheduler.start.map { -$0 }))
    }
}

/// A ready task in m-ETF's heap by a lower bound on its start (its latest producer's finish, then
/// the best start last evaluated), then higher b-level, then lower index.
struct ReadyEntry: Comparable {
    var key: Double
    var level: Double
    var task: Int

    static func < (a: ReadyEntry, b: ReadyEntry) -> Bool {
        (a.key, -a.level, a.task) < (b.key, -b.level, b.task)
    }
}
