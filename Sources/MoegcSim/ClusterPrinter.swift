extension Cluster {
    /// The cluster in the file format (see ClusterParser.swift), canonical: `cluster`, the kinds, then
    /// each host followed by its devices, runs of identical devices named P0 … P{N-1} folded into one
    /// `count=N` line. `Cluster.parse(c.printed())` gives back `c` exactly, for any valid cluster.
    public func printed() -> String {
        var out = "cluster \(name)\n"
        for k in kinds {
            out += "kind \(k.name) flops=\(PhysicalQuantity.flopRate.format(k.peakFlops))"
            out += " membw=\(PhysicalQuantity.byteRate.format(k.memoryBandwidth))"
            out += " memory=\(PhysicalQuantity.bytes.format(k.memoryCapacity))"
            out += " launch=\(PhysicalQuantity.time.format(k.launchOverhead))"
            if let r = k.memoryReserve { out += " reserve=\(r)" }
            out += "\n"
        }
        // Devices listed host after host can follow their `host` line; otherwise name hosts explicitly.
        let grouped = zip(devices, devices.dropFirst()).allSatisfy { $0.host <= $1.host }
        var hostPrinted = [Bool](repeating: false, count: hosts.count)
        func hostLine(_ h: Int) -> String {
            var line = "host \(hosts[h].name)"
            if let n = hosts[h].network {
                line += " net=\(PhysicalQuantity.byteRate.format(n.bandwidth)) latency=\(PhysicalQuantity.time.format(n.latency))"
            }
            return line + "\n"
        }
        if !grouped {
            for h in hosts.indices { out += hostLine(h) }
            hostPrinted = hostPrinted.map { _ in true }
        }
        var i = 0
        while i < devices.count {
            let d = devices[i]
            let run = identicalRun(from: i)
            // Hosts with no devices (invalid, but printable) come before the next device's host.
            if grouped {
                for h in 0...d.host where !hostPrinted[h] {
                    out += hostLine(h)
                    hostPrinted[h] = true
                }
            }
            var line = "device "
            if run.count > 1 {
                line += "\(run.prefix) count=\(run.count)"
            } else {
                line += d.name
            }
            if !grouped { line += " host=\(hosts[d.host].name)" }
            line += " kind=\(kinds[d.kind].name) link=\(PhysicalQuantity.byteRate.format(d.link.bandwidth))"
            line += " latency=\(PhysicalQuantity.time.format(d.link.latency))"
            if let r = d.memoryReserve { line += " reserve=\(r)" }
            out += line + "\n"
            i += run.count
        }
        if grouped {
            for h in hosts.indices where !hostPrinted[h] { out += hostLine(h) }
        }
        return out
    }

    /// The longest run of devices from `start` that a `count=` line reproduces: names P0, P1, …,
    /// with the same kind, host and link.
    private func identicalRun(from start: Int) -> (prefix: String, count: Int) {
        let first = devices[start]
        guard first.name.count > 1, first.name.hasSuffix("0") else { return ("", 1) }
        let prefix = String(first.name.dropLast())
        var n = 1
        while start + n < devices.count {
            let d = devices[start + n]
            guard d.name == prefix + String(n), d.kind == first.kind, d.host == first.host, d.link == first.link,
                  d.memoryReserve == first.memoryReserve else { break }
            n += 1
        }
        return (prefix, n)
    }
}
