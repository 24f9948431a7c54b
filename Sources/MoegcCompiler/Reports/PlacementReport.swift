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

/// The machine-readable form of ``PlacementReport`` (`moegc compile … --cluster C --json`): what a
/// script needs to compare placements. `schema` names the layout and its version; a field is only
/// ever added under the same version. Times are seconds, memory bytes, wall times left out (they
/// differ from run to run).
public struct PlacementJSON: Codable, Sendable, Equatable {
    public static let schemaName = "moegc.placement/1"

    public struct Bound: Codable, Sendable, Equatable {
        public var name: String
        public var seconds: Double
    }

    public struct Device: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        public var tasks: Int
        public var busySeconds: Double
        public var utilization: Double
        public var peakMemoryBytes: Int
        public var capacityBytes: Int
    }

    public var schema = PlacementJSON.schemaName
    public var graph: String
    public var file: String
    public var cluster: String
    public var placer: String
    public var nodes: Int
    public var tasks: Int
    public var edges: Int
    public var stepSeconds: Double
    public var bound: Bound
    public var bounds: [Bound]
    public var ratio: Double
    public var feasible: Bool
    public var transfers: Int
    public var bytesTransferred: Double
    public var mergedTasks: Int
    public var devices: [Device]

    public init(_ compilation: Compilation, placer: any Placer) {
        guard let placed = compilation.placed else { preconditionFailure("PlacementJSON: the model is not placed") }
        let problem = placed.problem, evaluation = placed.evaluation, r = evaluation.report, cluster = problem.cluster
        graph = problem.graph.name
        file = compilation.options.file
        self.cluster = cluster.name
        self.placer = placer.name
        nodes = problem.graph.nodes.count
        tasks = problem.taskCount
        edges = problem.costGraph.edgeCount
        stepSeconds = r.makespan
        bound = Bound(name: problem.bounds.best.name, seconds: problem.bounds.best.seconds)
        bounds = problem.bounds.all.map { Bound(name: $0.name, seconds: $0.seconds) }
        ratio = evaluation.ratio
        feasible = r.isFeasible
        transfers = r.transferCount
        bytesTransferred = r.bytesTransferred
        mergedTasks = placed.merges
        var count = [Int](repeating: 0, count: cluster.deviceCount)
        for d in evaluation.placement.taskDevice { count[Int(d)] += 1 }
        devices = (0..<cluster.deviceCount).map { d in
            Device(name: cluster.devices[d].name, kind: cluster.kinds[cluster.devices[d].kind].name, tasks: count[d],
                   busySeconds: r.deviceBusy[d], utilization: r.utilization[d], peakMemoryBytes: r.peakMemory[d],
                   capacityBytes: cluster.memoryCapacity(d))
        }
    }
}

/// The machine-readable form of ``CompareReport`` (`moegc place --compare --json`): every
/// heuristic's step on one problem. Rows keep the sweep's order; an infeasible placer has
/// `feasible: false`, its error, and no times.
public struct CompareJSON: Codable, Sendable, Equatable {
    public static let schemaName = "moegc.compare/1"

    public struct Row: Codable, Sendable, Equatable {
        public var placer: String
        /// Local search names its start: "local-search ← m-etf".
        public var label: String
        public var feasible: Bool
        public var stepSeconds: Double?
        public var ratio: Double?
        public var peakMemoryBytes: Int?
        public var bytesTransferred: Double?
        /// The placer's own wall time (not the ordering or the simulation): differs run to run.
        public var placeSeconds: Double?
        public var error: String?
    }

    public var schema = CompareJSON.schemaName
    public var graph: String
    public var file: String
    public var cluster: String
    public var nodes: Int
    public var tasks: Int
    public var bound: PlacementJSON.Bound
    public var bounds: [PlacementJSON.Bound]
    public var rows: [Row]

    public init(_ problem: PlacementProblem, rows sweep: [HeuristicSweep.Row], path: String) {
        graph = problem.graph.name
        file = path
        cluster = problem.cluster.name
        nodes = problem.graph.nodes.count
        tasks = problem.taskCount
        bound = PlacementJSON.Bound(name: problem.bounds.best.name, seconds: problem.bounds.best.seconds)
        bounds = problem.bounds.all.map { PlacementJSON.Bound(name: $0.name, seconds: $0.seconds) }
        rows = sweep.map { row in
            switch row.outcome {
            case .success(let placed):
                let e = placed.evaluation
                return Row(placer: row.placer, label: row.label, feasible: e.report.isFeasible, stepSeconds: e.report.makespan,
                           ratio: e.ratio, peakMemoryBytes: e.report.peakMemory.max() ?? 0,
                           bytesTransferred: e.report.bytesTransferred, placeSeconds: placed.placeSeconds, error: nil)
            case .failure(let error):
                return Row(placer: row.placer, label: row.label, feasible: false, stepSeconds: nil, ratio: nil,
                           peakMemoryBytes: nil, bytesTransferred: nil, placeSeconds: nil, error: error.description)
            }
        }
    }
}
