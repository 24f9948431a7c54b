import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// The human-readable report of a placed, simulated step (`moegc compile --cluster …`, `moegc place`).
public enum PlacementReport {
    public static func render(_ compilation: Compilation, placer: any Placer) -> String {
        guard let placed = compilation.placed else { preconditionFailure("PlacementReport: the model is not placed") }
        let problem = placed.problem, evaluation = placed.evaluation, timings = compilation.timings
        let r = evaluation.report, cluster = problem.cluster, bounds = problem.bounds
        let nodes = problem.graph.nodes.count
        let fusion = placed.merges > 0
            ? [(label: "fusion", text: "the \(placer.name) merged \(placed.merges) tasks into their producers' groups")] : []
        let rows: [(String, String)] = [
            ("cluster", "\(cluster.name) (\(cluster.deviceCount) devices)"),
            ("placer", "\(placer.name): \(placer.summary)"),
            ("lowered", "\(nodes) nodes in \(problem.taskCount) fused tasks, \(problem.costGraph.edgeCount) edges"),
            ("step time", Quantity.seconds(r.makespan)),
            ("lower bound", "\(Quantity.seconds(bounds.best.seconds)) (\(bounds.best.name)); ratio \(Quantity.fixed(evaluation.ratio, 3))"),
            ("bounds", bounds.all.map { "\($0.name) \(Quantity.seconds($0.seconds))" }.joined(separator: ", ")),
            ("transfers", "\(r.transferCount), \(Quantity.bytes(r.bytesTransferred))"),
            ("wall time", "lower \(Quantity.seconds(timings.lower)), fuse \(Quantity.seconds(timings.fuse)), "
                + "adapt \(Quantity.seconds(timings.adapt)), place \(Quantity.seconds(timings.place))"),
        ] + fusion + placed.notes
        let width = rows.map(\.0.count).max()! + 2
        var out = "\(problem.graph.name)  (\(compilation.options.file))\n"
            + rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n")
        let nameWidth = max(6, cluster.devices.map(\.name.count).max() ?? 0) + 2
        out += "\n\n  " + Quantity.pad("device", nameWidth) + Quantity.padLeft("tasks", 7) + Quantity.padLeft("busy", 12)
            + Quantity.padLeft("util", 8) + Quantity.padLeft("peak memory", 14) + Quantity.padLeft("capacity", 12)
        var tasks = [Int](repeating: 0, count: cluster.deviceCount)
        for d in evaluation.placement.taskDevice { tasks[Int(d)] += 1 }
        for d in 0..<cluster.deviceCount {
            out += "\n  " + Quantity.pad(cluster.devices[d].name, nameWidth) + Quantity.padLeft("\(tasks[d])", 7)
                + Quantity.padLeft(Quantity.seconds(r.deviceBusy[d]), 12)
                + Quantity.padLeft(Quantity.fixed(100 * r.utilization[d], 1) + "%", 8)
                + Quantity.padLeft(Quantity.bytes(Double(r.peakMemory[d])), 14)
                + Quantity.padLeft(Quantity.bytes(Double(cluster.memoryCapacity(d))), 12)
        }
        return out
    }
}

/// Every heuristic placer on one problem (`HeuristicSweep`), as a Markdown table (`moegc place --compare`).
public enum CompareReport {
    public static func render(_ problem: PlacementProblem, rows: [HeuristicSweep.Row], path: String) -> String {
        let b = problem.bounds
        var out = "\(problem.graph.name) (\(path)) on \(problem.cluster.name): \(problem.graph.nodes.count) nodes, "
            + "\(problem.taskCount) fused tasks; lower bound \(Quantity.seconds(b.best.seconds)) (\(b.best.name)); "
            + b.all.map { "\($0.name) \(Quantity.seconds($0.seconds))" }.joined(separator: ", ") + "\n\n"
        out += "| placer | step time | ÷ bound | peak memory | moved | time to place |\n|---|---:|---:|---:|---:|---:|\n"
        var notes: [String] = []
        for row in rows {
            switch row.outcome {
            case .success(let placed):
                let (e, seconds) = (placed.evaluation, placed.placeSeconds)
                let peak = e.report.peakMemory.max() ?? 0
                out += "| \(row.label) | \(Quantity.seconds(e.report.makespan)) | \(Quantity.fixed(e.ratio, 2)) | "
                    + "\(Quantity.bytes(Double(peak))) | \(Quantity.bytes(e.report.bytesTransferred)) | \(Quantity.seconds(seconds)) |\n"
            case .failure(let error):
                notes.append("\(row.label): \(error.description)")
                out += "| \(row.label) | infeasible¹ | — | — | — | — |\n"
            }
        }
        if !notes.isEmpty { out += "\n" + notes.map { "¹ " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }
}
