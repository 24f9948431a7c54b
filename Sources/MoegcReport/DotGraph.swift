import MoegcIR
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// The placed graph for Graphviz (`compile --emit dot`, then `dot -Tsvg`): every node a box
/// filled with its device's colour (the report's palette), the members of a fused group (a task)
/// drawn inside one cluster labelled with its task number and device, graph inputs as ellipses,
/// and every edge between devices drawn red and thick with the bytes it moves.
public enum DotGraph {
    public static func render(problem: PlacementProblem, placement: Placement) -> String {
        let graph = problem.graph, tasks = problem.tasks, cluster = problem.cluster
        let palette = DevicePalette(deviceCount: cluster.deviceCount)
        let nodeDevice = placement.nodeDevices(tasks)
        var out = "digraph \(quoted(graph.name)) {\n"
        out += "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11, labelloc=t, label=\(quoted("\(graph.name) on \(cluster.name): \(graph.nodes.count) nodes, \(tasks.taskCount) fused tasks"))];\n"
        out += "  node [shape=box, style=\"filled,rounded\", fontname=\"Helvetica\", fontsize=9, penwidth=0.5];\n"
        out += "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#808080\", arrowsize=0.6];\n"
        for v in graph.inputs {
            out += "  v\(v.index) [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", label=\(quoted("%" + graph[v].name + "\n" + graph.type(of: v).description))];\n"
        }
        func node(_ i: Int, indent: String) -> String {
            let n = graph.nodes[i], d = Int(nodeDevice[i])
            let result = n.results.first.map { "%" + graph[$0].name + "\n" + graph.type(of: $0).description } ?? ""
            let rgb = palette.rgb[d]
            let dark = 0.299 * Double(rgb.0) + 0.587 * Double(rgb.1) + 0.114 * Double(rgb.2) < 140
            return "\(indent)n\(i) [label=\(quoted("\(n.op.rawValue)\n\(result)")), fillcolor=\"\(palette[d])\"\(dark ? ", fontcolor=white" : ""), tooltip=\(quoted(cluster.devices[d].name))];\n"
        }
        for t in 0..<tasks.taskCount {
            let members = tasks.members(of: t)
            if members.count == 1 {
                out += node(Int(members.first!), indent: "  ")
                continue
            }
            let d = Int(placement.taskDevice[t])
            out += "  subgraph cluster_t\(t) {\n    label=\(quoted("task \(t) · \(cluster.devices[d].name)")); style=\"rounded\"; color=\"\(palette[d])\"; penwidth=1.5;\n"
            for m in members { out += node(Int(m), indent: "    ") }
            out += "  }\n"
        }
        for (i, n) in graph.nodes.enumerated() {
            for v in n.operands {
                guard let p = graph[v].producer?.index else {
                    out += "  v\(v.index) -> n\(i);\n"
                    continue
                }
                if nodeDevice[p] != nodeDevice[i] {
                    let bytes = Quantity.bytes(graph.type(of: v).expectedBytes)
                    out += "  n\(p) -> n\(i) [color=\"#d62728\", penwidth=2, label=\(quoted(bytes))];\n"
                } else {
                    out += "  n\(p) -> n\(i);\n"
                }
            }
        }
        return out + "}\n"
    }

    /// A DOT string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
