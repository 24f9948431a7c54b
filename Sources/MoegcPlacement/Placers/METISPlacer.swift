import CMetis
#if canImport(Glibc)
import Glibc
#endif
import MoegcSim
import Synchronization

/// Min-cut k-way partitioning with METIS (Karypis & Kumar), balanced by compute and by weights.
///
/// The tasks become an undirected graph: an edge per producer–consumer pair weighted by the bytes
/// that would cross if the two were apart; each vertex carries two weights (multi-constraint
/// partitioning): its mean roofline time and its resident bytes. METIS cuts the graph into D parts,
/// as little edge weight across parts as it can while keeping each part's share of both constraints
/// near the device's share of the cluster's peak FLOP/s and of its memory (5% imbalance allowed).
/// Integer weights are scaled so every total stays below 10⁹ (METIS's `idx_t` is 32-bit here).
/// A part whose weights overflow its device's budget sheds its heaviest tasks to the devices with the
/// most room left; a task that fits nowhere makes the placement infeasible.
public struct METISPlacer: Placer {
    public let name = "metis"
    public let summary = "METIS k-way min-cut, balanced by compute time and by weights"
    public let seed: UInt64

    public init(seed: UInt64 = 0) { self.seed = seed }

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let n = problem.taskCount, count = problem.deviceCount
        var part = [Int32](repeating: 0, count: n)
        if count > 1 && n > 0 {
            part = try partition(problem)
        }
        return try repair(problem, part)
    }

    /// METIS_PartGraphKway over the task graph.
    func partition(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, n = problem.taskCount, count = problem.deviceCount
        // Undirected adjacency with merged duplicate edges.
        var neighbours = [[(Int, Int)]](repeating: [], count: n)
        for v in 0..<g.valueCount {
            let p = Int(g.valueProducer[v]), bytes = g.valueBytes[v]
            for c in g.consumers(of: v) where Int(c) != p {
                neighbours[p].append((Int(c), bytes))
                neighbours[Int(c)].append((p, bytes))
            }
        }
        var totalEdge = 0.0
        for i in 0..<n {
            neighbours[i].sort { $0.0 < $1.0 }
            var merged: [(Int, Int)] = []
            for (j, b) in neighbours[i] {
                if let last = merged.last, last.0 == j { merged[merged.count - 1].1 += b } else { merged.append((j, b)) }
            }
            neighbours[i] = merged
            for (_, b) in merged { totalEdge += Double(b) }
        }
        let edgeScale = max(1.0, totalEdge / 1e9)
        var xadj = [idx_t](repeating: 0, count: n + 1)
        var adjncy = [idx_t](), adjwgt = [idx_t]()
        for i in 0..<n {
            for (j, b) in neighbours[i] {
                adjncy.append(idx_t(j))
                adjwgt.append(idx_t(max(1.0, (Double(b) / edgeScale).rounded())))
            }
            xadj[i + 1] = idx_t(adjncy.count)
        }
        let time = (0..<n).map { problem.costs.averageTime(of: $0, in: g) }
        let totalTime = time.reduce(0, +), totalWeights = Double(problem.weights.reduce(0, +))
        let withMemory = totalWeights > 0
        var ncon: idx_t = withMemory ? 2 : 1
        var vwgt = [idx_t]()
        vwgt.reserveCapacity(n * Int(ncon))
        for i in 0..<n {
            vwgt.append(idx_t(max(1.0, (time[i] / max(totalTime, 1e-30) * 1e8).rounded())))
            if withMemory { vwgt.append(idx_t((Double(problem.weights[i]) / totalWeights * 1e8).rounded())) }
        }
        let cluster = problem.cluster
        let totalPeak = (0..<count).reduce(0.0) { $0 + cluster.peakFlops($1) }
        let totalCapacity = (0..<count).reduce(0.0) { $0 + Double(cluster.memoryCapacity($1)) }
        var tpwgts = [real_t]()
        for d in 0..<count {
            tpwgts.append(real_t(cluster.peakFlops(d) / totalPeak))
            if withMemory { tpwgts.append(real_t(Double(cluster.memoryCapacity(d)) / totalCapacity)) }
        }
        var ubvec = [real_t](repeating: 1.05, count: Int(ncon))
        var options = [idx_t](repeating: 0, count: Int(METIS_NOPTIONS))
        METIS_SetDefaultOptions(&options)
        options[Int(METIS_OPTION_SEED.rawValue)] = idx_t(truncatingIfNeeded: seed & 0x7fff_ffff)
        options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
        var nvtxs = idx_t(n), nparts = idx_t(count), objval: idx_t = 0
        var part = [idx_t](repeating: 0, count: n)
        // METIS keeps its random state in globals, and silencing redirects the process's standard
        // output: one call at a time in the process, or concurrent calls change each other's result.
        let status = Self.oneAtATime.withLock { _ in
            Self.withStandardOutputSilenced {
                METIS_PartGraphKway(&nvtxs, &ncon, &xadj, &adjncy, &vwgt, nil, &adjwgt, &nparts, &tpwgts, &ubvec,
                                    &options, &objval, &part)
            }
        }
        guard status == Int32(METIS_OK.rawValue) else {
            throw .infeasible("METIS could not partition the \(n)-task graph (status \(status))")
        }
        return part.map { Int32($0) }
    }

    private static let oneAtATime = Mutex(())

    /// Runs `body` with standard output sent to /dev/null. METIS reports some conditions of its
    /// recursive bisection with `printf` ("Cannot bisect a graph with 0 vertices!", "You are trying
    /// to partition a graph into too many parts!": small graphs on 16 devices) and carries on; on
    /// standard output they would land inside moegc's tables. Process-wide while it runs: moegc
    /// writes its standard output from the thread that calls the placers.
    static func withStandardOutputSilenced<T>(_ body: () -> T) -> T {
        fflush(nil)
        let saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY)
        guard saved >= 0, null >= 0 else {
            if saved >= 0 { close(saved) }
            if null >= 0 { close(null) }
            return body()
        }
        dup2(null, STDOUT_FILENO)
        close(null)
        defer {
            fflush(nil)
            dup2(saved, STDOUT_FILENO)
            close(saved)
        }
        return body()
    }

    /// Moves the heaviest tasks off devices over their weight budget to the roomiest devices.
    func repair(_ problem: PlacementProblem, _ part: [Int32]) throws(PlacementError) -> [Int32] {
        var devices = part
        var ledger = WeightLedger(problem)
        for t in 0..<problem.taskCount { ledger.add(problem.weights[t], on: Int(devices[t])) }
        for d in 0..<problem.deviceCount where ledger.free(d) < 0 {
            let heavy = (0..<problem.taskCount).filter { Int(devices[$0]) == d && problem.weights[$0] > 0 }
                .sorted { (problem.weights[$0], -$0) > (problem.weights[$1], -$1) }
            for t in heavy where ledger.free(d) < 0 {
                let bytes = problem.weights[t]
                guard let to = (0..<problem.deviceCount).filter({ $0 != d && ledger.fits(bytes, on: $0) })
                    .max(by: { ledger.free($0) < ledger.free($1) }) else {
                    throw WeightLedger.noRoom(problem, task: t, ledger: ledger)
                }
                ledger.remove(bytes, from: d)
                ledger.add(bytes, on: to)
                devices[t] = Int32(to)
            }
        }
        return devices
    }
}
