import HeapModule
import MoegcSim

/// Baechi's m-ETF: Earliest Task First (Hwang et al. 1989) with memory. Repeatedly take, over every
/// ready task and every device with room for its weights, the pair that can *start* earliest
/// (transfers and link contention estimated by `IncrementalScheduler`), ties to the higher b-level;
/// place it there and append it to that device's order.
///
/// Exact ETF without scanning all ready tasks each step: a ready task's start on any device is at
/// least `lb(t) = max(latest producer finish, earliest device-free time)`. Ready tasks wait in a
/// heap by their producers' latest finish (fixed once they are ready); candidates are evaluated in
/// heap order until the next one's lower bound cannot beat the best start found, then the best is
/// placed and the others go back. When devices are busy the first candidate starts at the earliest
/// device-free time and nothing else is looked at, so a step costs O(log R + devices · inputs).
public struct METFPlacer: Placer {
    public let name = "m-etf"
    public let summary = "Baechi's m-ETF: the (ready task, device) pair that starts earliest, memory-aware"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, count = problem.deviceCount
        let level = Priorities.bLevel(graph: g, costs: problem.costs, estimate: .average)
        var scheduler = IncrementalScheduler(graph: g, cluster: problem.cluster)
        var ledger = WeightLedger(problem)
        var ready = Heap<ReadyEntry>()
        for t in scheduler.initialReady { ready.insert(ReadyEntry(dataReady: 0, level: level[t], task: t)) }
        var held: [ReadyEntry] = []
        while !scheduler.isComplete {
            let deviceFree = scheduler.deviceReady.min() ?? 0
            var best: (start: Double, level: Double, task: Int, device: Int)?
            while let top = ready.min {
                if let b = best, max(deviceFree, top.dataReady) >= b.start { break }
                let entry = ready.removeMin()
                held.append(entry)
                let t = entry.task, bytes = g.residentBytes[t]
                var room = false
                for d in 0..<count where ledger.fits(bytes, on: d) {
                    room = true
                    let s = scheduler.earliestStart(of: t, on: d)
                    if best == nil || (s, -entry.level, t) < (best!.start, -best!.level, best!.task) {
                        best = (s, entry.level, t, d)
                    }
                }
                if !room { throw WeightLedger.noRoom(problem, task: t, ledger: ledger) }
            }
            guard let b = best else { break }
            for e in held where e.task != b.task { ready.insert(e) }
            held.removeAll(keepingCapacity: true)
            ledger.add(g.residentBytes[b.task], on: b.device)
            let placed = scheduler.place(b.task, on: b.device)
            for c in placed.newlyReady {
                var latest = 0.0
                for k in Int(g.inputStart[c])..<Int(g.inputStart[c + 1]) {
                    latest = max(latest, scheduler.finish[Int(g.valueProducer[Int(g.edgeValue[Int(g.inputEdges[k])])])])
                }
                ready.insert(ReadyEntry(dataReady: latest, level: level[c], task: c))
            }
        }
        return scheduler.placement.map { Int32($0) }
    }
}

/// A ready task in m-ETF's heap: earliest data-ready time first, then higher b-level, then lower index.
struct ReadyEntry: Comparable {
    var dataReady: Double
    var level: Double
    var task: Int

    static func < (a: ReadyEntry, b: ReadyEntry) -> Bool {
        (a.dataReady, -a.level, a.task) < (b.dataReady, -b.level, b.task)
    }
}
