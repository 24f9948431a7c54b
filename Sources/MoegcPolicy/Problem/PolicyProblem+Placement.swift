import Dispatch
import MoegcIR
import MoegcPasses
import MoegcPlacement
import MoegcSim

/// Which heuristic placers a ``PolicyProblem`` carries as references. The best of them is the
/// policy's hint input, its reward's yardstick and its cloning target, so a policy must be applied
/// with the set it was trained with (``TrainingConfig/referenceHeuristics``).
public enum HeuristicSet: String, Sendable, Hashable, Codable {
    /// Every placer in `Placers.names`, local search starting from the best of the others.
    case all
    /// Every placer but local search: the same hint for a fraction of the cost (local search runs up
    /// to 300 simulations), and on the 137B model the difference between seconds and many seconds.
    case fast
}

extension PolicyProblem {
    /// The policy's view of a `MoegcPlacement` problem: its fused cost graph, cluster and lower
    /// bound, the ops fused into each task, its co-location units (an expert's dispatch, FFN and
    /// weights; a hierarchical group's gate and routing), and the given heuristic placements.
    public init(_ problem: PlacementProblem, references: [ReferencePlacement]) {
        let graph = problem.graph
        let taskOps = (0..<problem.taskCount).map { t in problem.tasks.members(of: t).map { graph.nodes[Int($0)].op } }
        self.init(name: graph.name, graph: problem.costGraph, cluster: problem.cluster, taskOps: taskOps,
                  references: references, lowerBound: problem.bounds.best.seconds, units: problem.unit)
    }

    /// The policy's view of `problem` with the heuristic placers of `set` that fit as references.
    /// Throws when none fits.
    public static func withHeuristics(_ problem: PlacementProblem, seed: UInt64 = 0, budget: Int? = nil,
                                      set: HeuristicSet = .all) throws(PlacementError) -> PolicyProblem {
        let references = heuristics(problem, seed: seed, budget: budget, set: set)
        guard !references.isEmpty else {
            throw .infeasible("no heuristic placer fits \(problem.graph.name) on \(problem.cluster.name)")
        }
        return PolicyProblem(problem, references: references)
    }

    /// Every heuristic placer of `set` that fits `problem`, with its simulated step time (in
    /// `Placers.names` order; local search, if in the set, last, starting from the best of the others).
    ///
    /// On graphs `PolicyPlacer.threads(forTasks:)` gives two threads, m-ETF (the slowest by far:
    /// 3.4 of 5.6 s on the 137B model) runs on a second thread while the others run in turn on this
    /// one. Each placer
    /// is a pure function of the problem and the seed, and METIS (the one with process-wide state)
    /// still runs alone on this thread, so the references are the same either way.
    /// `parallel` overrides the size rule (tests compare both ways).
    public static func heuristics(_ problem: PlacementProblem, seed: UInt64 = 0, budget: Int? = nil,
                                  set: HeuristicSet = .all, parallel: Bool? = nil) -> [ReferencePlacement] {
        @Sendable func run(_ placer: any Placer) -> ReferencePlacement? {
            guard let (devices, priority) = try? placer.placeAndOrder(problem),
                  let evaluation = try? Evaluation.run(problem, devices: devices, priority: priority) else { return nil }
            var order: [Double]? = nil
            if case .given(let p) = priority { order = p }
            return ReferencePlacement(name: placer.name, placement: devices.map { Int($0) },
                                      stepTime: evaluation.report.makespan, priority: order)
        }
        let names = Placers.names.filter { $0 != "local-search" }
        let aside = parallel ?? (PolicyPlacer.threads(forTasks: problem.taskCount) > 1) ? names.firstIndex(of: "m-etf") : nil
        var results = [ReferencePlacement?](repeating: nil, count: names.count)
        results.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: aside == nil ? 1 : 2) { lane in
                for (i, name) in names.enumerated() where (i == aside) == (lane == 1) {
                    slots[i] = (try? Placers.make(name, seed: seed)).flatMap(run)
                }
            }
        }
        var references = results.compactMap { $0 }
        guard set == .all, let best = references.min(by: { $0.stepTime < $1.stepTime }) else { return references }
        if let search = try? Placers.make("local-search", start: best.name, seed: seed, budget: budget),
           let found = run(search) {
            references.append(found)
        }
        return references
    }

    /// The lowered (training mode, as `moegc place` lowers), fused placement problem of the graph
    /// file at `path` on `cluster`. Errors read like the compiler's (file, line, message).
    public static func placementProblem(path: String, cluster: Cluster, seed: UInt64 = 0) throws(PolicyError) -> PlacementProblem {
        do {
            var graph = try Frontend.load(path: path)
            try CompilePipeline.lower(&graph, training: true, file: path, seed: seed)
            try CompilePipeline.fuse(&graph, file: path)
            do { return try PlacementProblem(graph: graph, cluster: cluster) } catch {
                throw PolicyError(.invalidConfiguration, "\(path): error: \(error.description)")
            }
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError(.invalidConfiguration, "\(error)")
        }
    }
}
