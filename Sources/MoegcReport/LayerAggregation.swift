import MoegcIR
import MoegcPlacement
import MoegcSim

/// The placed model at a size a picture can show: tasks aggregated into boxes by layer, device and
/// kind (an MoE layer's experts apart from the rest of it), and the bytes moved between boxes on
/// different devices.
///
/// Algorithm
/// ---------
/// A task's *layer* is the first dotted component of its lead member's result name (`%moe.expert3.hidden`
/// → `moe`, `%lstm1.t4.c` → `lstm1`, `%att0` → `att0`); layers are numbered in the order their first
/// task appears. More than `maxLayers` layers are merged into consecutive bands. A task's box is
/// (band, device, expert?) — expert when its lead member carries an `expert` or `moe_group`
/// annotation. Every task lands in exactly one box, so the boxes' nodes, tasks, FLOPs and busy
/// seconds sum to the model's. Edges: each cost-graph value read on another device adds its bytes
/// once per (value, consumer box) to the (producer box → consumer box) edge.
///
///     tasks (791k nodes, 396k tasks) ──layer/device/expert──▶ boxes (≤ bands × devices × 2)
///     values crossing devices ───────────────────────────────▶ edges (box → box, bytes)
public struct LayerAggregation: Sendable {
    public struct Box: Sendable, Equatable {
        public var band: Int
        public var device: Int
        public var experts: Bool
        public var nodes = 0
        public var tasks = 0
        public var flops = 0.0
        /// Simulated busy seconds of the box's tasks.
        public var seconds = 0.0
        public var weightBytes = 0
        /// Op name → member count (all members of the box's tasks).
        public var ops: [String: Int] = [:]
        /// A few result shapes of lead members, as `%name: f32[…]`.
        public var samples: [String] = []
        /// The range of `expert` annotations (nil when none).
        public var expertRange: ClosedRange<Int>?
    }

    public struct Edge: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var bytes: Int
        public var values: Int
    }

    /// The label of each band (one layer's name, or "first … last").
    public var bands: [String]
    public var boxes: [Box]
    /// Cross-device edges, most bytes first.
    public var edges: [Edge]
    /// The box of every task.
    public var taskBox: [Int32]

    public static let defaultMaxLayers = 40

    /// Aggregates a placed problem; `seconds[t]` is task t's simulated duration.
    public init(problem: PlacementProblem, taskDevice: [Int32], seconds: [Double], maxLayers: Int = defaultMaxLayers) {
        let graph = problem.graph, tasks = problem.tasks, cost = problem.costGraph
        let taskCount = tasks.taskCount
        // 1. Layer of each task, numbered by first appearance.
        var layerIndex: [String: Int] = [:], layerNames: [String] = []
        var taskLayer = [Int](repeating: 0, count: taskCount)
        var lead = [Int](repeating: 0, count: taskCount)
        for t in 0..<taskCount {
            let members = tasks.members(of: t)
            let l = Int(members.first { graph.nodes[Int($0)].op.schema.fusion != .source } ?? members.first!)
            lead[t] = l
            let name = graph.nodes[l].results.first.map { graph[$0].name } ?? "?"
            let layer = String(name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if let i = layerIndex[layer] { taskLayer[t] = i } else {
                taskLayer[t] = layerNames.count
                layerIndex[layer] = layerNames.count
                layerNames.append(layer)
            }
        }
        // 2. Bands of consecutive layers.
        let bandCount = min(max(1, maxLayers), max(1, layerNames.count))
        let perBand = (layerNames.count + bandCount - 1) / max(1, bandCount)
        let bandOfLayer = layerNames.indices.map { $0 / max(1, perBand) }
        let usedBands = (bandOfLayer.max() ?? 0) + 1
        bands = (0..<usedBands).map { b in
            let names = layerNames.indices.filter { bandOfLayer[$0] == b }.map { layerNames[$0] }
            return names.count == 1 ? names[0] : "\(names.first!) … \(names.last!)"
        }
        // 3. Boxes.
        var boxIndex: [Int: Int] = [:]
        var boxes: [Box] = []
        var taskBox = [Int32](repeating: 0, count: taskCount)
        let d = problem.deviceCount
        let weights = tasks.weightBytes
        for t in 0..<taskCount {
            let node = graph.nodes[lead[t]]
            let expert = node.attributes["expert"]?.intValue
            let isExpert = expert != nil || node.attributes["moe_group"]?.intValue != nil
            let band = bandOfLayer[taskLayer[t]], device = Int(taskDevice[t])
            let key = (band * d + device) * 2 + (isExpert ? 1 : 0)
            let b: Int
            if let i = boxIndex[key] { b = i } else {
                b = boxes.count
                boxIndex[key] = b
                boxes.append(Box(band: band, device: device, experts: isExpert))
            }
            taskBox[t] = Int32(b)
            let members = tasks.members(of: t)
            boxes[b].nodes += members.count
            boxes[b].tasks += 1
            boxes[b].flops += cost.flops[t]
            boxes[b].seconds += seconds[t]
            boxes[b].weightBytes += weights[t]
            for m in members { boxes[b].ops[graph.nodes[Int(m)].op.rawValue, default: 0] += 1 }
            if boxes[b].samples.count < 3, let r = node.results.first {
                boxes[b].samples.append("%\(graph[r].name): \(graph.type(of: r))")
            }
            if let e = expert {
                let r = boxes[b].expertRange
                boxes[b].expertRange = r.map { min($0.lowerBound, e)...max($0.upperBound, e) } ?? e...e
            }
        }
        // 4. Cross-device edges, once per (value, consumer box).
        var edgeIndex: [Int: Int] = [:], edges: [Edge] = []
        var lastValueAtBox = [Int32](repeating: -1, count: boxes.count)
        for v in 0..<cost.valueCount {
            let p = Int(cost.valueProducer[v])
            guard p >= 0 && p < taskCount else { continue }
            let from = Int(taskBox[p]), pd = taskDevice[p]
            for e in Int(cost.consumerStart[v])..<Int(cost.consumerStart[v + 1]) {
                let c = Int(cost.consumers[e])
                guard taskDevice[c] != pd else { continue }
                let to = Int(taskBox[c])
                guard lastValueAtBox[to] != Int32(v) else { continue }
                lastValueAtBox[to] = Int32(v)
                let key = from * boxes.count + to
                if let i = edgeIndex[key] {
                    edges[i].bytes += cost.valueBytes[v]
                    edges[i].values += 1
                } else {
                    edgeIndex[key] = edges.count
                    edges.append(Edge(from: from, to: to, bytes: cost.valueBytes[v], values: 1))
                }
            }
        }
        edges.sort { ($0.bytes, $1.from, $1.to) > ($1.bytes, $0.from, $0.to) }
        self.boxes = boxes
        self.edges = edges
        self.taskBox = taskBox
    }
}
