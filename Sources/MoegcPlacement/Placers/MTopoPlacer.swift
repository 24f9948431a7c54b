import MoegcSim

/// Baechi's m-TOPO (Jeon et al. 2020): tasks in topological order fill one device after another,
/// each up to an even share of the memory the step needs, so neighbours stay together (few
/// transfers) and memory is balanced.
///
/// Memory of a task = its weights + its outputs (what the device holds for it). The share is
/// Σ memory / D; a device takes tasks while it is under its share (the last takes the rest) and its
/// weight budget holds; a task whose weights overflow the current device moves the cursor on, never back.
public struct MTopoPlacer: Placer {
    public let name = "m-topo"
    public let summary = "Baechi's m-TOPO: topological order cut into memory-balanced consecutive runs"

    public init() {}

    public func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32] {
        let g = problem.costGraph, count = problem.deviceCount, weights = problem.weights
        var memory = [Int](repeating: 0, count: problem.taskCount)
        var total = 0
        for t in 0..<problem.taskCount {
            var m = weights[t]
            for o in Int(g.outputStart[t])..<Int(g.outputStart[t + 1]) { m += g.valueBytes[Int(g.outputValues[o])] }
            memory[t] = m
            total += m
        }
        let share = Double(total) / Double(count)
        var ledger = WeightLedger(problem)
        var filled = [Int](repeating: 0, count: count)
        var devices = [Int32](repeating: 0, count: problem.taskCount)
        var d = 0
        for ti in g.topologicalOrder {
            let t = Int(ti), bytes = weights[t]
            while d < count - 1 && filled[d] > 0 && (Double(filled[d] + memory[t]) > share || !ledger.fits(bytes, on: d)) { d += 1 }
            var target = d
            if !ledger.fits(bytes, on: d) {
                // The cursor reached the last device: take whichever earlier device still has room.
                guard let roomiest = (0..<count).filter({ ledger.fits(bytes, on: $0) }).max(by: { ledger.free($0) < ledger.free($1) }) else {
                    throw WeightLedger.noRoom(problem, task: t, ledger: ledger)
                }
                target = roomiest
            }
            devices[t] = Int32(target)
            filled[target] += memory[t]
            ledger.add(bytes, on: target)
        }
        return devices
    }
}
