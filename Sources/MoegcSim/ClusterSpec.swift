/// A simulated cluster: device kinds, hosts, and devices.
///
/// The topology is two-level. Every device has one full-duplex *link* (PCIe lane, NVLink port, …)
/// into its host's interconnect, which is modelled as a non-blocking switch; every host has one
/// full-duplex *network* link into a non-blocking fabric joining the hosts. `Topology` turns this
/// into channels and paths (see Topology.swift for the path and contention model).
///
/// All quantities are in base units: FLOP/s, bytes/s, bytes, seconds.
public struct Cluster: Hashable, Sendable {
    /// A name for reports and traces (the preset name, or the file's `cluster` line).
    public var name: String
    public var kinds: [DeviceKind]
    public var hosts: [Host]
    public var devices: [Device]

    public init(name: String, kinds: [DeviceKind], hosts: [Host], devices: [Device]) {
        self.name = name
        self.kinds = kinds
        self.hosts = hosts
        self.devices = devices
    }

    public var deviceCount: Int { devices.count }

    /// The kind of device `d`.
    public func kind(of d: Int) -> DeviceKind { kinds[devices[d].kind] }
    public func peakFlops(_ d: Int) -> Double { kinds[devices[d].kind].peakFlops }
    public func memoryBandwidth(_ d: Int) -> Double { kinds[devices[d].kind].memoryBandwidth }
    public func memoryCapacity(_ d: Int) -> Int { kinds[devices[d].kind].memoryCapacity }
    public func launchOverhead(_ d: Int) -> Double { kinds[devices[d].kind].launchOverhead }

    /// The index of the device called `name`, if any.
    public func deviceIndex(named name: String) -> Int? { devices.firstIndex { $0.name == name } }

    /// The memory device `d` keeps free of weights, if the cluster says (its own `reserve=`, else its kind's).
    public func memoryReserve(_ d: Int) -> MemoryReserve? { devices[d].memoryReserve ?? kinds[devices[d].kind].memoryReserve }
}

/// Memory the memory-aware placers keep free of weights on a device, for the values live during
/// the step: a share of its capacity (`reserve=10%`) or a size (`reserve=2GiB`).
public enum MemoryReserve: Hashable, Sendable, CustomStringConvertible {
    /// Percent of the capacity, in [0, 100).
    case percent(Double)
    case bytes(Int)

    /// The reserve in bytes on a device of `capacity` bytes.
    public func bytes(ofCapacity capacity: Int) -> Int {
        switch self {
        case .percent(let p): Int((Double(capacity) * p / 100).rounded(.up))
        case .bytes(let b): b
        }
    }

    /// As the cluster file writes it: `10%`, `2GiB`.
    public var description: String {
        switch self {
        case .percent(let p): (p == p.rounded() && p.magnitude < 1e15 ? String(Int(p)) : "\(p)") + "%"
        case .bytes(let b): PhysicalQuantity.bytes.format(b)
        }
    }
}

/// The computing characteristics shared by a class of devices (e.g. every K40 in the cluster).
public struct DeviceKind: Hashable, Sendable {
    public var name: String
    /// Peak arithmetic rate, FLOP/s (a multiply-add counts 2).
    public var peakFlops: Double
    /// Sustained memory bandwidth, bytes/s (the roofline's slope).
    public var memoryBandwidth: Double
    /// Memory capacity, bytes.
    public var memoryCapacity: Int
    /// Fixed cost of launching one op (kernel launch, dispatch), seconds.
    public var launchOverhead: Double
    /// Memory the placers keep free of weights on devices of this kind (nil: the placement
    /// problem's default, `PlacementProblem.reserve`).
    public var memoryReserve: MemoryReserve?

    public init(name: String, peakFlops: Double, memoryBandwidth: Double, memoryCapacity: Int, launchOverhead: Double,
                memoryReserve: MemoryReserve? = nil) {
        self.name = name
        self.peakFlops = peakFlops
        self.memoryBandwidth = memoryBandwidth
        self.memoryCapacity = memoryCapacity
        self.launchOverhead = launchOverhead
        self.memoryReserve = memoryReserve
    }
}

/// A machine holding devices. `network` is its link into the inter-host fabric; a cluster with
/// more than one host needs one on every host.
public struct Host: Hashable, Sendable {
    public var name: String
    public var network: Link?

    public init(name: String, network: Link? = nil) {
        self.name = name
        self.network = network
    }
}

/// A full-duplex link: each direction carries `bandwidth` bytes/s after `latency` seconds.
public struct Link: Hashable, Sendable {
    public var bandwidth: Double
    public var latency: Double

    public init(bandwidth: Double, latency: Double) {
        self.bandwidth = bandwidth
        self.latency = latency
    }
}

/// One device: a kind, the host it sits in, and its link into that host's interconnect.
public struct Device: Hashable, Sendable {
    public var name: String
    /// Index into `Cluster.kinds`.
    public var kind: Int
    /// Index into `Cluster.hosts`.
    public var host: Int
    public var link: Link
    /// This device's own reserve, over its kind's.
    public var memoryReserve: MemoryReserve?

    public init(name: String, kind: Int, host: Int, link: Link, memoryReserve: MemoryReserve? = nil) {
        self.name = name
        self.kind = kind
        self.host = host
        self.link = link
        self.memoryReserve = memoryReserve
    }
}

// MARK: - Validation

/// What a validation problem is about, so a parser can point at the line that declared it.
public enum ClusterEntity: Hashable, Sendable {
    case cluster
    case kind(Int)
    case host(Int)
    case device(Int)
}

/// One problem found by `Cluster.problems()`.
public struct ClusterProblem: Hashable, Sendable, CustomStringConvertible {
    public var entity: ClusterEntity
    public var message: String
    public var description: String { message }
}

/// A cluster that failed validation: every problem found, in declaration order.
public struct ClusterError: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [ClusterProblem]
    public var description: String { problems.map { "error: \($0.message)" }.joined(separator: "\n") }
}

extension Cluster {
    /// Every reason this cluster cannot be simulated: no devices, non-positive or non-finite speeds,
    /// bandwidths and capacities, negative latencies or overheads, duplicate names, dangling indices,
    /// hosts without devices, and hosts that cannot reach the others (no network link).
    public func problems() -> [ClusterProblem] {
        var out: [ClusterProblem] = []
        func bad(_ e: ClusterEntity, _ m: String) { out.append(ClusterProblem(entity: e, message: m)) }
        func positive(_ x: Double) -> Bool { x.isFinite && x > 0 }
        func nonNegative(_ x: Double) -> Bool { x.isFinite && x >= 0 }

        if devices.isEmpty { bad(.cluster, "cluster '\(name)' declares no devices") }
        var seen = Set<String>()
        for (i, k) in kinds.enumerated() {
            if !seen.insert(k.name).inserted { bad(.kind(i), "duplicate kind name '\(k.name)'") }
            if !positive(k.peakFlops) { bad(.kind(i), "kind '\(k.name)': flops must be positive, got \(k.peakFlops)") }
            if !positive(k.memoryBandwidth) {
                bad(.kind(i), "kind '\(k.name)': membw must be positive, got \(k.memoryBandwidth)")
            }
            if k.memoryCapacity <= 0 { bad(.kind(i), "kind '\(k.name)': memory must be positive, got \(k.memoryCapacity)") }
            if !nonNegative(k.launchOverhead) {
                bad(.kind(i), "kind '\(k.name)': launch overhead must be non-negative, got \(k.launchOverhead)")
            }
            if let r = k.memoryReserve, let m = reserveProblem(r, capacity: k.memoryCapacity) { bad(.kind(i), "kind '\(k.name)': \(m)") }
        }
        seen.removeAll()
        var devicesOnHost = [Int](repeating: 0, count: hosts.count)
        for (i, d) in devices.enumerated() {
            if !seen.insert(d.name).inserted { bad(.device(i), "duplicate device name '\(d.name)'") }
            if !kinds.indices.contains(d.kind) { bad(.device(i), "device '\(d.name)' has no kind (index \(d.kind))") }
            if hosts.indices.contains(d.host) {
                devicesOnHost[d.host] += 1
            } else {
                bad(.device(i), "device '\(d.name)' is on no host (index \(d.host))")
            }
            if !positive(d.link.bandwidth) {
                bad(.device(i), "device '\(d.name)': link bandwidth must be positive, got \(d.link.bandwidth)")
            }
            if !nonNegative(d.link.latency) {
                bad(.device(i), "device '\(d.name)': link latency must be non-negative, got \(d.link.latency)")
            }
            if let r = d.memoryReserve, kinds.indices.contains(d.kind), let m = reserveProblem(r, capacity: kinds[d.kind].memoryCapacity) {
                bad(.device(i), "device '\(d.name)': \(m)")
            }
        }
        seen.removeAll()
        let occupiedHosts = devicesOnHost.filter { $0 > 0 }.count
        for (i, h) in hosts.enumerated() {
            if !seen.insert(h.name).inserted { bad(.host(i), "duplicate host name '\(h.name)'") }
            if devicesOnHost[i] == 0 { bad(.host(i), "host '\(h.name)' has no devices") }
            if let n = h.network {
                if !positive(n.bandwidth) { bad(.host(i), "host '\(h.name)': net bandwidth must be positive, got \(n.bandwidth)") }
                if !nonNegative(n.latency) { bad(.host(i), "host '\(h.name)': net latency must be non-negative, got \(n.latency)") }
            } else if occupiedHosts > 1 && devicesOnHost[i] > 0 {
                bad(.host(i), "host '\(h.name)' has no network link (net=…), so its devices are disconnected from the other \(occupiedHosts - 1) host(s)")
            }
        }
        return out
    }

    /// Why a reserve cannot be kept on a device of `capacity` bytes, or nil.
    private func reserveProblem(_ r: MemoryReserve, capacity: Int) -> String? {
        switch r {
        case .percent(let p) where !(p.isFinite && p >= 0 && p < 100):
            return "reserve must be a percent in [0, 100), got \(p)%"
        case .bytes(let b) where b < 0 || b >= max(1, capacity):
            return "reserve=\(r) leaves no memory for weights: the memory is \(PhysicalQuantity.bytes.format(capacity))"
        default:
            return nil
        }
    }

    /// Throws every problem `problems()` finds; returns normally for a cluster that can be simulated.
    public func validate() throws(ClusterError) {
        let p = problems()
        if !p.isEmpty { throw ClusterError(problems: p) }
    }
}
