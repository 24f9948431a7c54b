import Foundation
import MoegcSim
import MoegcSupport

/// Simulated annealing over co-location units, starting from another placer's result.
///
/// A *move* takes one unit (an expert's tasks, a hierarchical group's routing, or a lone task;
/// `PlacementProblem.unit`) to another device: the unit's tasks that sit with its heaviest task go
/// (a dispatch the start left beside the gate stays there); a *swap* exchanges two units on
/// different devices.
/// Half the time the unit is drawn from the device that was busiest in the current placement's
/// simulation, so moves tend to relieve the bottleneck. Every candidate whose weights fit is
/// scheduled (b-level list scheduling) and simulated; one that runs out of memory is rejected.
/// A candidate is accepted when it is faster, or with probability exp(−Δ/T) when slower, T falling
/// geometrically from 2% of the starting step time to 0.02% over the budget. The best placement
/// seen is returned with the order it was simulated with — the start's own (m-ETF's and HEFT's
/// planned start times) until a candidate, ordered by b-level, beats it — so the result is never
/// worse than the start.
///
/// The budget counts simulations, not seconds, so a seed gives one result on any machine. By
/// default it is 3·10⁶ / tasks, clamped to 8…300 (about a second on MoE-4096-h; a handful of
/// simulations on MoE-131072-h, whose one simulation takes a tenth of a second).
public struct LocalSearchPlacer: Placer {
    public let name = Placers.localSearch
    public var summary: String { "simulated annealing over expert/group units, from \(start.name)" }
    public let start: any Placer
    public let seed: UInt64
    public let budget: Int?

    public init(start: any Placer, seed: UInt64 = 0, budget: Int? = nil) {
        self.start = start
        self.seed = seed
        self.budget = budget
    }

    /// The number of simulations for a problem of `tasks` tasks.
    public static func defaultBudget(tasks: Int) -> Int { min(300, max(8, 3_000_000 / max(1, tasks))) }

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] { try placeAndOrder(problem).0 }

    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        let (startDevices, startRule) = try start.placeAndOrder(problem)
        var current = try problem.enforce(startDevices)
        var simulator = try Evaluation.makeSimulator(problem)
        var currentEval = try Evaluation.run(problem, devices: current, priority: startRule, simulator: &simulator)
        var best = (devices: current, rule: startRule), bestTime = currentEval.report.makespan
        let count = problem.deviceCount
        guard count > 1, problem.unitCount > 1 else { return best }
        let members = problem.unitMembers()
        let g = problem.costGraph
        // Each unit's anchor: its task with the most weights (then the most flops).
        var anchor = [Int](repeating: -1, count: problem.unitCount)
        for t in 0..<problem.taskCount {
            let u = Int(problem.unit[t]), a = anchor[u]
            if a < 0 || (problem.weights[t], g.flops[t]) > (problem.weights[a], g.flops[a]) { anchor[u] = t }
        }
        var ledger = WeightLedger(problem)
        for t in 0..<problem.taskCount { ledger.add(problem.weights[t], on: Int(current[t])) }
        /// The tasks of unit u that sit on its anchor's device, and their weights.
        func moving(_ u: Int, in devices: [Int32]) -> ([Int], Int) {
            let d = devices[anchor[u]]
            let tasks = members[u].filter { devices[$0] == d }
            return (tasks, tasks.reduce(0) { $0 + problem.weights[$1] })
        }

        var rng = SeededGenerator(seed: seed)
        let steps = budget ?? LocalSearchPlacer.defaultBudget(tasks: problem.taskCount)
        let t0 = 0.02 * currentEval.report.makespan, cooling = pow(0.01, 1.0 / Double(max(1, steps)))
        var temperature = t0
        for _ in 0..<steps {
            temperature *= cooling
            let busiest = currentEval.report.deviceBusy.indices.max { currentEval.report.deviceBusy[$0] < currentEval.report.deviceBusy[$1] } ?? 0
            var u = rng.nextInt(below: problem.unitCount)
            if rng.nextInt(below: 2) == 0 {
                for _ in 0..<32 where Int(current[anchor[u]]) != busiest { u = rng.nextInt(below: problem.unitCount) }
            }
            let from = Int(current[anchor[u]])
            var to = rng.nextInt(below: count - 1)
            if to >= from { to += 1 }
            var partner = -1
            if rng.nextInt(below: 3) == 0 {
                for _ in 0..<32 {
                    let v = rng.nextInt(below: problem.unitCount)
                    if Int(current[anchor[v]]) == to { partner = v; break }
                }
            }
            let (tu, wu) = moving(u, in: current)
            let (tv, wv) = partner >= 0 ? moving(partner, in: current) : ([], 0)
            // Pinned tasks stay; every moved task must be allowed where it goes.
            let c = problem.constraints
            guard tu.allSatisfy({ c.mayRun($0, on: to) }), tv.allSatisfy({ c.mayRun($0, on: from) }) else { continue }
            guard ledger.free(to) + wv >= wu, ledger.free(from) + wu >= wv else { continue }
            var candidate = current
            for t in tu { candidate[t] = Int32(to) }
            for t in tv { candidate[t] = Int32(from) }
            guard let eval = try? Evaluation.run(problem, devices: candidate, simulator: &simulator) else { continue }
            let delta = eval.report.makespan - currentEval.report.makespan
            guard delta < 0 || rng.nextDouble() < exp(-delta / max(temperature, 1e-30)) else { continue }
            current = candidate
            currentEval = eval
            ledger.remove(wu - wv, from: from)
            ledger.add(wu - wv, on: to)
            if eval.report.makespan < bestTime {
                best = (candidate, .bLevel)
                bestTime = eval.report.makespan
            }
        }
        return best
    }
}
