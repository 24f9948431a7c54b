import Foundation
import MoegcIR
import MoegcNN
import MoegcPlacement
import MoegcSim

/// Everything the policy network reads about one problem, as constant tensors and index arrays.
///
/// Built once per problem (O(tasks · devices + edges)); a forward pass only reads it.
public struct PolicyInput: Sendable {
    /// Per-task features `[N, Featurizer.taskFeatureCount(vocabulary)]`.
    public var tasks: Tensor
    /// Per-device features `[D, Featurizer.deviceFeatureCount]`.
    public var devices: Tensor
    /// Per task and device: log₂ of the task's roofline time there over its mean time `[N, D]`
    /// (all zeros on a homogeneous cluster).
    public var relativeCost: Tensor
    /// One-hot `[N, D]` (scaled by 1 + ln D) of the best reference heuristic's placement: a hint the policy weighs with a
    /// learned scalar, so imitating the heuristic is one weight away and PPO learns the deviations.
    public var hint: Tensor
    /// Additive mask `[U, D]`: −∞ where a unit's weights alone exceed the device's memory; nil when
    /// every unit fits everywhere.
    public var mask: Tensor?
    /// The unit of each task, the unit count, and 1 / (tasks in the unit) as `[U, 1]` (nil when every
    /// task is its own unit): task scores are averaged over a unit into one decision.
    public var unit: [Int32]
    public var unitCount: Int
    public var unitScale: Tensor?
    /// Producer → consumer task edges (one per consuming edge of each value).
    public var edges: EdgeList
    /// Tasks in topological order, and each task's position in it.
    public var order: [Int32]
    public var position: [Int32]
    /// The fusion head's decisions: tasks with a sole producer task (``TaskMerging/candidates``) and
    /// that producer of each.
    public var mergeCandidates: [Int32]
    public var mergeProducers: [Int32]

    public var taskCount: Int { tasks.shape[0] }
    public var deviceCount: Int { devices.shape[0] }
}

/// Turns a ``PolicyProblem`` into a ``PolicyInput``.
///
/// Task features (`taskFeatureCount` columns), all scaled to roughly [−1, 1] with fixed units, so a
/// policy trained on one graph reads another on the same scale:
///
///     op profile      fraction of the task's fused ops with each op of the policy's vocabulary
///                     (``OpVocabulary``: by name, so new or reordered op codes shift nothing)
///     fusion profile  fraction with each registry fusion class
///     size            log ops fused; log₁₀ flops/12; log₁₀ bytes accessed/10; log₁₀ resident bytes/10;
///                     log₁₀ bytes in/10; log₁₀ bytes out/10; log₁₀ launches/3; arithmetic intensity
///     structure       log in- and out-degree; topological depth / max depth; is source; is sink
///     timing          t-level, b-level and slack over the critical path (HEFT's average costs);
///                     on the critical path; log₁₀ of fastest and mean time over the reference step
///     memory          resident bytes over the smallest device memory and over the fair share
///                     (total resident bytes / device count)
///
/// Task × device: log₂ of the task's time on the device over its mean time, and a one-hot hint of
/// the best reference heuristic's device for the task.
///
/// Device features (`deviceFeatureCount` columns): peak FLOP/s, memory bandwidth, link bandwidth
/// (each over the cluster's largest), log₁₀ link latency, host network bandwidth over the largest
/// link, memory over the fair share of weights, devices on its host / D, log₂ D, and sinusoidal
/// codes of the device's index, its host's index and its index within the host — devices of one
/// kind are otherwise identical, and the codes let the policy tell them apart (any D works).
public enum Featurizer {
    static let fusionClasses = FusionClass.allCases
    static let numericTaskFeatures = 22
    static let positionalFrequencies = 4

    public static func taskFeatureCount(_ vocabulary: OpVocabulary) -> Int {
        vocabulary.count + fusionClasses.count + numericTaskFeatures
    }
    public static var deviceFeatureCount: Int { 8 + 3 * 2 * positionalFrequencies }

    /// The features of `problem`.
    /// The hint input for `placement` (one device per task) on `d` devices: one-hot rows scaled by
    /// 1 + ln D, so that with the initial weight 1 the hinted device starts with probability
    /// e·D / (e·D + D − 1) ≈ 0.73 whatever the device count.
    public static func hint(_ placement: [Int], deviceCount d: Int) -> Tensor {
        var hint = [Float](repeating: 0, count: placement.count * d)
        let value = Float(1 + log(Double(d)))
        for (t, device) in placement.enumerated() { hint[t * d + device] = value }
        return Tensor(shape: [placement.count, d], scalars: hint)
    }

    /// The features of `problem` for a policy that reads `vocabulary` (its config's). Per-task rows
    /// are computed on `threads` threads (default: `PlacingThreads.forTasks(_:)`); the result
    /// is the same for any count.
    public static func input(for problem: PolicyProblem, vocabulary: OpVocabulary, threads: Int? = nil) -> PolicyInput {
        let graph = problem.graph, cluster = problem.cluster
        let n = graph.taskCount, d = cluster.deviceCount
        let costs = CostModel(cluster)
        let analysis = GraphAnalysis(graph: graph, costs: costs)
        let reference = problem.reference.stepTime
        let totalResident = Double(graph.residentBytes.reduce(0, +))
        let fairShare = max(totalResident / Double(d), 1)
        let smallestMemory = Double(cluster.devices.indices.map { cluster.memoryCapacity($0) }.min() ?? 1)

        let width = taskFeatureCount(vocabulary), opColumns = vocabulary.count
        var tasks = [Float](repeating: 0, count: n * width)
        var classIndex: [FusionClass: Int] = [:]
        for (i, c) in fusionClasses.enumerated() { classIndex[c] = i }
        // Each task's row depends on nothing but the task: on large graphs, two bands of rows on
        // the two cores (`forEachRowBand`: the same bits for any split).
        let threads = threads ?? PlacingThreads.forTasks(n)
        tasks.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let tasks = buffer
            forEachRowBand(n, threads: threads) { band in
                for t in band {
                    let row = t * width
                    let ops = problem.taskOps[t]
                    if !ops.isEmpty {
                        let share = 1 / Float(ops.count)
                        for op in ops {
                            if let column = vocabulary.column[op] { tasks[row + column] += share }
                            tasks[row + opColumns + classIndex[op.schema.fusion]!] += share
                        }
                    }
                    var f = row + opColumns + fusionClasses.count
                    func put(_ x: Double) { tasks[f] = Float(x.isFinite ? x : 0); f += 1 }
                    let flops = graph.flops[t], bytes = graph.bytesAccessed[t]
                    put(log10(1 + Double(max(ops.count, 1))) / 3)
                    put(log10(1 + flops) / 12)
                    put(log10(1 + bytes) / 10)
                    put(log10(1 + Double(graph.residentBytes[t])) / 10)
                    put(log10(1 + analysis.bytesIn[t]) / 10)
                    put(log10(1 + analysis.bytesOut[t]) / 10)
                    put(log10(1 + Double(graph.launches[t])) / 3)
                    put(log10(1 + flops / max(bytes, 1)) / 3)
                    put(log2(1 + Double(analysis.inDegree[t])) / 6)
                    put(log2(1 + Double(analysis.outDegree[t])) / 6)
                    put(Double(analysis.depth[t]) / Double(max(analysis.maxDepth, 1)))
                    put(analysis.inDegree[t] == 0 ? 1 : 0)
                    put(analysis.outDegree[t] == 0 ? 1 : 0)
                    let cp = max(analysis.criticalPath, 1e-12)
                    put(analysis.tLevel[t] / cp)
                    put(analysis.bLevel[t] / cp)
                    let slack = max(0, cp - analysis.tLevel[t] - analysis.bLevel[t]) / cp
                    put(slack)
                    put(slack < 1e-6 ? 1 : 0)
                    put(log10(max(costs.fastestTime(of: t, in: graph) / reference, 1e-9)) / 9)
                    put(log10(max(costs.averageTime(of: t, in: graph) / reference, 1e-9)) / 9)
                    put(log10(1 + Double(graph.residentBytes[t]) / smallestMemory * 100) / 2)
                    put(Double(graph.residentBytes[t]) / fairShare)
                    put(log10(1 + Double(graph.workingSet(of: t)) / smallestMemory * 100) / 2)
                    assert(f == row + width)
                }
            }
        }

        var relative = [Float](repeating: 0, count: n * d)
        relative.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let relative = buffer
            forEachRowBand(n, threads: threads) { band in
                for t in band {
                    let mean = max(costs.averageTime(of: t, in: graph), 1e-15)
                    for j in 0..<d {
                        relative[t * d + j] = Float(log2(max(costs.time(of: t, in: graph, on: j), 1e-15) / mean))
                    }
                }
            }
        }
        let u = problem.unitCount
        var unitResident = [Int](repeating: 0, count: u), unitSize = [Float](repeating: 0, count: u)
        for t in 0..<n {
            unitResident[Int(problem.units[t])] += graph.residentBytes[t]
            unitSize[Int(problem.units[t])] += 1
        }
        var mask = [Float](repeating: 0, count: u * d)
        var masked = false
        for k in 0..<u {
            for j in 0..<d where unitResident[k] > cluster.memoryCapacity(j) {
                mask[k * d + j] = -.infinity
                masked = true
            }
        }

        var sources: [Int32] = [], targets: [Int32] = []
        sources.reserveCapacity(graph.edgeCount)
        targets.reserveCapacity(graph.edgeCount)
        for v in 0..<graph.valueCount {
            for c in graph.consumers(of: v) {
                sources.append(graph.valueProducer[v])
                targets.append(c)
            }
        }
        let order = Array(graph.topologicalOrder)
        var position = [Int32](repeating: 0, count: n)
        for (i, t) in order.enumerated() { position[Int(t)] = Int32(i) }

        let merging = problem.merging
        return PolicyInput(
            tasks: Tensor(shape: [n, width], scalars: tasks),
            devices: deviceFeatures(cluster, fairShare: fairShare),
            relativeCost: Tensor(shape: [n, d], scalars: relative),
            hint: hint(problem.reference.placement, deviceCount: d),
            mask: masked ? Tensor(shape: [u, d], scalars: mask) : nil,
            unit: problem.units, unitCount: u,
            unitScale: u == n ? nil : Tensor(shape: [u, 1], scalars: unitSize.map { 1 / $0 }),
            edges: EdgeList(sources: sources, targets: targets, nodeCount: n),
            order: order, position: position,
            mergeCandidates: merging.candidates, mergeProducers: merging.candidates.map { merging.soleProducer[Int($0)] })
    }

    static func deviceFeatures(_ cluster: Cluster, fairShare: Double) -> Tensor {
        let d = cluster.deviceCount, width = deviceFeatureCount
        let peak = cluster.devices.indices.map { cluster.peakFlops($0) }.max() ?? 1
        let bandwidth = cluster.devices.indices.map { cluster.memoryBandwidth($0) }.max() ?? 1
        let link = cluster.devices.map(\.link.bandwidth).max() ?? 1
        var perHost = [Int](repeating: 0, count: cluster.hosts.count)
        var indexInHost = [Int](repeating: 0, count: d)
        for (i, device) in cluster.devices.enumerated() {
            indexInHost[i] = perHost[device.host]
            perHost[device.host] += 1
        }
        var out = [Float](repeating: 0, count: d * width)
        for (i, device) in cluster.devices.enumerated() {
            var f = i * width
            func put(_ x: Double) { out[f] = Float(x.isFinite ? x : 0); f += 1 }
            put(cluster.peakFlops(i) / peak)
            put(cluster.memoryBandwidth(i) / bandwidth)
            put(device.link.bandwidth / link)
            put(log10(max(device.link.latency, 1e-9)) / 9 + 1)
            put((cluster.hosts[device.host].network?.bandwidth ?? link) / link)
            put(log10(1 + Double(cluster.memoryCapacity(i)) / fairShare) / 2)
            put(Double(perHost[device.host]) / Double(d))
            put(log2(Double(d)) / 6)
            for (index, count) in [(i, d), (device.host, cluster.hosts.count), (indexInHost[i], perHost[device.host])] {
                for k in 0..<positionalFrequencies {
                    // Periods 2, 4, 8, 16 positions: distinct codes for up to 16 in each field, and a
                    // smooth angle so nearby indices stay related.
                    let angle = 2 * Double.pi * Double(index) / Double(2 << k)
                    put(sin(angle))
                    put(cos(angle) * (count > 1 ? 1 : 0))
                }
            }
            assert(f == (i + 1) * width)
        }
        return Tensor(shape: [d, width], scalars: out)
    }
}
