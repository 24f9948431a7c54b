/// The cluster's links as one-way *channels*, and the path a transfer takes between two devices.
///
/// Channels: every device link is two channels, `dev:out` (device → switch) and `dev:in`
/// (switch → device); every host network link is `host:net-out` and `host:net-in`. The host
/// interconnect and the inter-host fabric are non-blocking switches, so only these channels contend.
///
///     same host:   src:out → dst:in
///     other host:  src:out → srcHost:net-out → dstHost:net-in → dst:in
///
/// **Transfer time** over a path = Σ channel latencies + bytes / min channel bandwidth.
///
/// **Contention model** (used by the simulator and the incremental scheduler): a channel carries one
/// transfer at a time. Transfers are admitted in the order they become ready (simulated time, ties by
/// event sequence number); an admitted transfer starts at the first moment every channel on its path
/// is free of earlier-admitted transfers, and holds all of them for its whole transfer time. There is
/// no backfilling of idle gaps left on a channel by earlier admissions. Full duplex means a → b and
/// b → a do not contend; two transfers out of one device, or into one device, do.
public struct Topology: Sendable {
    public let deviceCount: Int
    public let channelNames: [String]
    public let channelBandwidth: ContiguousArray<Double>
    public let channelLatency: ContiguousArray<Double>
    /// Channels of the path src → dst at `pathChannels[(src * D + dst) * 4 ..< … + pathLength[src * D + dst]]`.
    let pathChannels: ContiguousArray<Int32>
    let pathLength: ContiguousArray<Int32>
    /// Σ latency and min bandwidth of each path (0 and +∞ on the diagonal).
    let pathLatency: ContiguousArray<Double>
    let pathInverseBandwidth: ContiguousArray<Double>

    public var channelCount: Int { channelNames.count }

    public init(_ cluster: Cluster) {
        let d = cluster.devices.count
        var names: [String] = []
        var bandwidth = ContiguousArray<Double>()
        var latency = ContiguousArray<Double>()
        for dev in cluster.devices {
            names += ["\(dev.name):out", "\(dev.name):in"]
            bandwidth += [dev.link.bandwidth, dev.link.bandwidth]
            latency += [dev.link.latency, dev.link.latency]
        }
        var hostChannel = [Int](repeating: -1, count: cluster.hosts.count)
        for (h, host) in cluster.hosts.enumerated() {
            guard let n = host.network else { continue }
            hostChannel[h] = names.count
            names += ["\(host.name):net-out", "\(host.name):net-in"]
            bandwidth += [n.bandwidth, n.bandwidth]
            latency += [n.latency, n.latency]
        }
        var channels = ContiguousArray<Int32>(repeating: -1, count: d * d * 4)
        var length = ContiguousArray<Int32>(repeating: 0, count: d * d)
        var pathLatency = ContiguousArray<Double>(repeating: 0, count: d * d)
        var inverse = ContiguousArray<Double>(repeating: 0, count: d * d)
        for s in 0..<d {
            for t in 0..<d where s != t {
                var path = [2 * s]
                let hs = cluster.devices[s].host, ht = cluster.devices[t].host
                if hs != ht, hostChannel[hs] >= 0, hostChannel[ht] >= 0 {
                    path += [hostChannel[hs], hostChannel[ht] + 1]
                }
                path.append(2 * t + 1)
                let p = s * d + t
                length[p] = Int32(path.count)
                var minBandwidth = Double.infinity
                for (k, c) in path.enumerated() {
                    channels[p * 4 + k] = Int32(c)
                    pathLatency[p] += latency[c]
                    minBandwidth = min(minBandwidth, bandwidth[c])
                }
                inverse[p] = 1 / minBandwidth
            }
        }
        self.deviceCount = d
        self.channelNames = names
        self.channelBandwidth = bandwidth
        self.channelLatency = latency
        self.pathChannels = channels
        self.pathLength = length
        self.pathLatency = pathLatency
        self.pathInverseBandwidth = inverse
    }

    /// The channels a transfer from `src` to `dst` holds (empty when src == dst).
    public func path(from src: Int, to dst: Int) -> [Int] {
        let p = src * deviceCount + dst
        return (0..<Int(pathLength[p])).map { Int(pathChannels[p * 4 + $0]) }
    }

    /// Uncontended time to move `bytes` from `src` to `dst`; 0 on the same device.
    @inline(__always)
    public func transferTime(bytes: Double, from src: Int, to dst: Int) -> Double {
        if src == dst { return 0 }
        let p = src * deviceCount + dst
        return pathLatency[p] + bytes * pathInverseBandwidth[p]
    }
}

/// The roofline cost of tasks on devices, with the cluster's topology for transfers.
///
///     time(task, device) = max(flops / peak, bytesAccessed / memoryBandwidth) + launchOverhead × launches
public struct CostModel: Sendable {
    public let cluster: Cluster
    public let topology: Topology
    let inversePeak: ContiguousArray<Double>
    let inverseBandwidth: ContiguousArray<Double>
    let launchOverhead: ContiguousArray<Double>
    /// Mean latency and mean inverse bandwidth over ordered pairs of distinct devices.
    let meanPathLatency: Double
    let meanPathInverseBandwidth: Double

    public init(_ cluster: Cluster) {
        self.cluster = cluster
        let topology = Topology(cluster)
        self.topology = topology
        let d = cluster.devices.count
        var latency = 0.0, inverse = 0.0
        for p in 0..<(d * d) where p / d != p % d {
            latency += topology.pathLatency[p]
            inverse += topology.pathInverseBandwidth[p]
        }
        let pairs = Double(max(1, d * (d - 1)))
        meanPathLatency = latency / pairs
        meanPathInverseBandwidth = inverse / pairs
        inversePeak = ContiguousArray(cluster.devices.indices.map { 1 / cluster.peakFlops($0) })
        inverseBandwidth = ContiguousArray(cluster.devices.indices.map { 1 / cluster.memoryBandwidth($0) })
        launchOverhead = ContiguousArray(cluster.devices.indices.map { cluster.launchOverhead($0) })
    }

    public var deviceCount: Int { inversePeak.count }

    /// Roofline time of work (flops, bytes, launches) on device `d`.
    @inline(__always)
    public func time(flops: Double, bytes: Double, launches: Int32, on d: Int) -> Double {
        max(flops * inversePeak[d], bytes * inverseBandwidth[d]) + launchOverhead[d] * Double(launches)
    }

    /// Roofline time of task `t` of `graph` on device `d`.
    @inline(__always)
    public func time(of t: Int, in graph: CostGraph, on d: Int) -> Double {
        time(flops: graph.flops[t], bytes: graph.bytesAccessed[t], launches: graph.launches[t], on: d)
    }

    /// The least time of task `t` over all devices.
    public func fastestTime(of t: Int, in graph: CostGraph) -> Double {
        var best = Double.infinity
        for d in 0..<deviceCount { best = min(best, time(of: t, in: graph, on: d)) }
        return best
    }

    /// The mean time of task `t` over all devices (HEFT's w̄).
    public func averageTime(of t: Int, in graph: CostGraph) -> Double {
        var sum = 0.0
        for d in 0..<deviceCount { sum += time(of: t, in: graph, on: d) }
        return sum / Double(deviceCount)
    }

    /// Uncontended transfer time of `bytes` from `src` to `dst` (0 when equal).
    @inline(__always)
    public func transferTime(bytes: Double, from src: Int, to dst: Int) -> Double {
        topology.transferTime(bytes: bytes, from: src, to: dst)
    }

    /// Mean uncontended transfer time of `bytes` over ordered pairs of distinct devices (HEFT's c̄);
    /// 0 with one device.
    @inline(__always)
    public func averageTransferTime(bytes: Double) -> Double {
        meanPathLatency + bytes * meanPathInverseBandwidth
    }
}
