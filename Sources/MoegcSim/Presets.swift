import Foundation
import MoegcSupport

/// Built-in clusters, written in the cluster file format so each is also an example of it.
/// `moegc … --cluster NAME` takes one of these names; `Cluster.load` also takes a file path.
///
/// Sources of the numbers:
/// - K40: NVIDIA Tesla K40 board spec sheet — 4.29 TFLOP/s fp32 peak (with GPU Boost), 288 GB/s GDDR5,
///   12 GB. PCIe 3.0 ×16 is 15.75 GB/s per direction in theory, ~12 GB/s in practice; 5 µs a hop.
///   Hosts of four joined by 10 Gbit/s Ethernet (25 µs a hop).
/// - V100 SXM2 16 GB: 15.7 TFLOP/s fp32, 900 GB/s HBM2. DGX-1's NVLink hybrid cube-mesh is modelled as
///   a switch with a 50 GB/s port per GPU per direction (two NVLink2 bricks), 2 µs a hop.
/// - A100 SXM4 40 GB: 19.5 TFLOP/s fp32 (no tensor cores), 1555 GB/s HBM2, NVSwitch 300 GB/s per GPU per
///   direction; DGX A100 hosts have 8 × 200 Gbit/s HDR InfiniBand = 200 GB/s, 5 µs a hop.
/// - V100 PCIe (in `hetero4`): 14 TFLOP/s fp32, 900 GB/s, 16 GB.
/// - cpu2: this machine's two cores, measured (see `CPUCalibration`).
/// Launch overheads are typical kernel-launch costs (5 µs GPUs, 4 µs A100, 2 µs a CPU worker dispatch).
extension Cluster {
    /// The preset names, in the order `--help` and error messages list them.
    public static let presetNames: [String] = [
        "k40x16", "k40x8", "k40x4", "v100x8-nvlink", "a100x2x8", "hetero4", "cpu2",
    ]

    /// The file text of preset `name`, or nil if there is no such preset.
    public static func presetText(_ name: String) -> String? {
        switch name {
        case "k40x16": return k40Text(name: name, hosts: 4, perHost: 4)
        case "k40x8": return k40Text(name: name, hosts: 2, perHost: 4)
        case "k40x4": return k40Text(name: name, hosts: 1, perHost: 4)
        case "v100x8-nvlink":
            return """
                # One DGX-1: 8 V100 SXM2 on NVLink, modelled as a 50 GB/s-per-port switch.
                cluster v100x8-nvlink
                kind v100 flops=15.7TFLOP/s membw=900GB/s memory=16GB launch=5us
                host dgx0
                device gpu count=8 kind=v100 link=50GB/s latency=2us

                """
        case "a100x2x8":
            return """
                # Two DGX A100 (8 × A100 40 GB on NVSwitch each), joined by 8 × 200 Gbit/s InfiniBand.
                cluster a100x2x8
                kind a100 flops=19.5TFLOP/s membw=1555GB/s memory=40GB launch=4us
                host h0 net=200GB/s latency=5us
                device h0.gpu count=8 kind=a100 link=300GB/s latency=2us
                host h1 net=200GB/s latency=5us
                device h1.gpu count=8 kind=a100 link=300GB/s latency=2us

                """
        case "hetero4":
            return """
                # A mixed host: two V100 PCIe and two K40 on PCIe 3.0 (for heterogeneity tests and training).
                cluster hetero4
                kind v100 flops=14TFLOP/s membw=900GB/s memory=16GB launch=5us
                kind k40 flops=4.29TFLOP/s membw=288GB/s memory=12GB launch=5us
                host h0
                device v100- count=2 kind=v100 link=12GB/s latency=5us
                device k40- count=2 kind=k40 link=12GB/s latency=5us

                """
        case "cpu2": return CPUCalibration.measured.clusterText(name: "cpu2")
        default: return nil
        }
    }

    /// The preset called `name`, or nil. Presets are checked by the test suite, so this never fails for a listed name.
    public static func preset(_ name: String) -> Cluster? {
        guard let text = presetText(name) else { return nil }
        return try? parse(text, path: "<preset \(name)>")
    }

    /// A preset by name, or a cluster file by path. An unknown name lists the presets.
    public static func load(_ nameOrPath: String) throws(DiagnosticList) -> Cluster {
        if let text = presetText(nameOrPath) { return try parse(text, path: "<preset \(nameOrPath)>") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard let data = FileManager.default.contents(atPath: nameOrPath) else {
                throw DiagnosticList([Diagnostic(.error, "cannot read cluster file", file: nameOrPath)])
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw DiagnosticList([Diagnostic(.error, "cluster file is not UTF-8 text", file: nameOrPath)])
            }
            return try parse(text, path: nameOrPath)
        }
        let looksLikePath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".cluster")
        let presets = presetNames.joined(separator: ", ")
        let message = looksLikePath
            ? "no such cluster file '\(nameOrPath)' (presets: \(presets))"
            : "unknown cluster preset '\(nameOrPath)'; presets: \(presets); or give a cluster file path"
        throw DiagnosticList([Diagnostic(.error, message)])
    }

    private static func k40Text(name: String, hosts: Int, perHost: Int) -> String {
        var text = """
            # \(hosts * perHost) Tesla K40 (4.29 TFLOP/s fp32, 288 GB/s, 12 GB), \(perHost) a host on PCIe 3.0 ×16
            cluster \(name)
            kind k40 flops=4.29TFLOP/s membw=288GB/s memory=12GB launch=5us

            """
        for h in 0..<hosts {
            let network = hosts > 1 ? " net=10Gbit/s latency=25us" : ""
            text += "host h\(h)\(network)\n"
            text += "device h\(h).gpu count=\(perHost) kind=k40 link=12GB/s latency=5us\n"
        }
        return text
    }
}

/// The measured speeds of this machine's cores, from which the `cpu2` preset is written.
/// Re-measure and change these numbers (or write a cluster file) to recalibrate.
public struct CPUCalibration: Hashable, Sendable {
    /// Worker devices, one per core.
    public var cores: Int
    /// sgemm rate of one core with OpenBLAS (`OPENBLAS_CORETYPE=SkylakeX`), FLOP/s.
    public var flopsPerCore: Double
    /// Streaming (memcpy) bandwidth, bytes/s: the roofline slope and the worker-to-worker copy rate.
    /// Random row gathers run nearer 12 GB/s; the cost model has one bandwidth per device, so a
    /// gather's byte count should be scaled by memcpy/gather (≈2.2) by whoever builds the cost graph.
    public var memcpyBandwidth: Double
    /// Memory per worker, bytes (the machine's 24 GiB split evenly).
    public var memoryPerCore: Int
    /// Dispatch cost of one op on a worker, seconds.
    public var launchOverhead: Double
    /// Hand-off latency of one copy between workers, seconds (each side of the path).
    public var copyLatency: Double

    public init(cores: Int, flopsPerCore: Double, memcpyBandwidth: Double, memoryPerCore: Int,
                launchOverhead: Double, copyLatency: Double) {
        self.cores = cores
        self.flopsPerCore = flopsPerCore
        self.memcpyBandwidth = memcpyBandwidth
        self.memoryPerCore = memoryPerCore
        self.launchOverhead = launchOverhead
        self.copyLatency = copyLatency
    }

    /// Measured on the development machine with `moegc bench calibrate` (an AMD EPYC Zen 4 guest
    /// whose OpenBLAS runs its AVX-512 core: ~95 GFLOP/s sgemm per core, not the 150 MISSION.md
    /// reports for another host; ~22 GB/s memcpy; ~1 µs of runtime per op; a cross-core hand-off —
    /// copy posted, worker woken — of ~10–25 µs).
    public static let measured = CPUCalibration(
        cores: 2, flopsPerCore: 95e9, memcpyBandwidth: 22e9, memoryPerCore: 12 << 30,
        launchOverhead: 1e-6, copyLatency: 10e-6)

    /// The calibration as a one-host cluster file.
    public func clusterText(name: String) -> String {
        """
        # This machine: \(cores) cores as devices; OpenBLAS sgemm per core, memcpy bandwidth, RAM split evenly.
        cluster \(name)
        kind core flops=\(PhysicalQuantity.flopRate.format(flopsPerCore)) membw=\(PhysicalQuantity.byteRate.format(memcpyBandwidth)) \
        memory=\(PhysicalQuantity.bytes.format(memoryPerCore)) launch=\(PhysicalQuantity.time.format(launchOverhead))
        host localhost
        device cpu count=\(cores) kind=core link=\(PhysicalQuantity.byteRate.format(memcpyBandwidth)) \
        latency=\(PhysicalQuantity.time.format(copyLatency))

        """
    }
}
