import ArgumentParser
import MoegcIR
import MoegcPlan
import MoegcSim
import MoegcSupport

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a compiled plan readably.",
        discussion: """
        Prints where the plan came from (model, placer, cluster, mode, seed), each device's nodes and \
        expected peak memory, the transfers, the simulated step time and the weights it carries. \
        --graph prints the placed graph instead: the lowered, fused graph with `group`, `device` and \
        `order` on every node, the same text `moegc compile --emit placed` prints, which re-parses.
        """
    )

    @Argument(help: "The plan file.")
    var plan: String

    @Flag(help: "Print the placed graph (.graph text).")
    var graph = false

    func run() throws {
        let p: CompiledPlan
        do { p = try PlanFile.read(plan) } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        if graph {
            Output.out(GraphText.print(PlanFile.annotatedGraph(p.execution)))
            return
        }
        let cluster = try? Cluster.parse(p.clusterText, path: "plan cluster")
        let e = p.execution, g = p.graph
        let groups = Set(e.group ?? Array(g.nodes.indices)).count
        var s = "\(plan): moegc plan, format version \(PlanFile.formatVersion)\n"
        let bytes = p.transfers.reduce(0) { $0 + $1.bytes }
        let weightBytes = p.weights.values.reduce(0) { $0 + $1.values.count * 4 }
        let rows: [(String, String)] = [
            ("model", "\(g.name) (\(p.source))"),
            ("mode", "\(p.training ? "training" : "evaluation"), seed \(p.seed)"),
            ("graph", "\(g.nodes.count) nodes in \(groups) fused groups"),
            ("cluster", "\(cluster?.name ?? "?") (\(e.deviceCount) devices)"),
            ("placer", p.placer),
            ("simulated step", Quantity.seconds(p.simulatedStepSeconds)),
            ("transfers", "\(p.transfers.count), \(Quantity.bytes(Double(bytes)))"),
            ("weights stored", p.weights.isEmpty ? "none (init rules and the seed)" : "\(p.weights.count) tensors, \(Quantity.bytes(Double(weightBytes)))"),
        ]
        let width = rows.map(\.0.count).max()! + 2
        s += rows.map { "  " + Quantity.pad($0.0, width) + $0.1 }.joined(separator: "\n") + "\n\n"
        s += "  " + Quantity.pad("device", 10) + Quantity.padLeft("nodes", 8) + Quantity.padLeft("planned peak", 16) + "\n"
        for d in 0..<e.deviceCount {
            let name = cluster.map { $0.devices[d].name } ?? "device\(d)"
            s += "  " + Quantity.pad(name, 10) + Quantity.padLeft("\(e.order[d].count)", 8)
                + Quantity.padLeft(d < p.peakMemory.count ? Quantity.bytes(Double(p.peakMemory[d])) : "?", 16) + "\n"
        }
        Output.out(s)
    }
}
