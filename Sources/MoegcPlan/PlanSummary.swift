import MoegcIR
import MoegcSim
import MoegcSupport

/// What `moegc inspect` reports of a compiled plan: where it came from (model, placer, cluster,
/// mode, seed), the simulated step, the transfers, the weights it carries and each device's nodes
/// and planned peak memory — as text, or as JSON (schema `moegc.plan/1`, SI units, exact values).
public struct PlanSummary: Codable, Sendable, Equatable {
    public static let schemaName = "moegc.plan/1"

    public struct Device: Codable, Sendable, Equatable {
        public var name: String
        public var nodes: Int
        public var plannedPeakBytes: Int?
        public var capacityBytes: Int?
    }

    public var schema = PlanSummary.schemaName
    public var file: String
    public var formatVersion: Int
    public var graph: String
    /// The model file the plan was compiled from.
    public var source: String
    public var training: Bool
    public var seed: UInt64
    public var nodes: Int
    public var fusedGroups: Int
    /// The cluster's name (nil when its text in the plan does not parse).
    public var cluster: String?
    public var placer: String
    public var simulatedStepSeconds: Double
    public var transfers: Int
    public var bytesTransferred: Int
    public var weightTensors: Int
    public var weightBytes: Int
    public var devices: [Device]

    public init(_ p: CompiledPlan, file: String) {
        let cluster = p.cluster
        let e = p.execution, g = p.graph
        self.file = file
        formatVersion = Int(PlanFile.formatVersion)
        graph = g.name
        source = p.source
        training = p.training
        seed = p.seed
        nodes = g.nodes.count
        fusedGroups = Set(e.group ?? Array(g.nodes.indices)).count
        self.cluster = cluster?.name
        placer = p.placer
        simulatedStepSeconds = p.simulatedStepSeconds
        transfers = p.transfers.count
        bytesTransferred = p.transfers.reduce(0) { $0 + $1.bytes }
        weightTensors = p.weights.count
        weightBytes = p.weights.values.reduce(0) { $0 + $1.values.count * 4 }
        let names = p.deviceNames
        devices = (0..<e.deviceCount).map { d in
            Device(name: names[d], nodes: e.order[d].count,
                   plannedPeakBytes: d < p.peakMemory.count ? p.peakMemory[d] : nil,
                   capacityBytes: cluster.map { $0.memoryCapacity(d) })
        }
    }

    /// The text `moegc inspect` prints.
    public var text: String {
        var s = "\(file): moegc plan, format version \(formatVersion)\n"
        let rows: [(String, String)] = [
            ("model", "\(graph) (\(source))"),
            ("mode", "\(training ? "training" : "evaluation"), seed \(seed)"),
            ("graph", "\(nodes) nodes in \(fusedGroups) fused groups"),
            ("cluster", "\(cluster ?? "?") (\(devices.count) devices)"),
            ("placer", placer),
            ("simulated step", Quantity.seconds(simulatedStepSeconds)),
            ("transfers", "\(transfers), \(Quantity.bytes(Double(bytesTransferred)))"),
            ("weights stored", weightTensors == 0 ? "none (init rules and the seed)" : "\(weightTensors) tensors, \(Quantity.bytes(Double(weightBytes)))"),
        ]
        let width = rows.map(\.0.count).max()! + 2
        s += rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n") + "\n\n"
        s += "  " + Quantity.pad("device", 10) + Quantity.padLeft("nodes", 8) + Quantity.padLeft("planned peak", 16) + "\n"
        for d in devices {
            s += "  " + Quantity.pad(d.name, 10) + Quantity.padLeft("\(d.nodes)", 8)
                + Quantity.padLeft(d.plannedPeakBytes.map { Quantity.bytes(Double($0)) } ?? "?", 16) + "\n"
        }
        return s
    }
}

extension CompiledPlan {
    /// The cluster the plan was placed on (nil when its text does not parse).
    public var cluster: Cluster? { try? Cluster.parse(clusterText, path: "plan cluster") }

    /// The name of the cluster the plan was placed on.
    public var clusterName: String? { cluster?.name }

    /// Each device's name: its cluster's, or device0, device1, … .
    public var deviceNames: [String] {
        let cluster = self.cluster
        return (0..<execution.deviceCount).map { cluster?.devices[$0].name ?? "device\($0)" }
    }
}
