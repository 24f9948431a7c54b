import Foundation
@testable import MoegcSim
import MoegcSupport
import Testing

@Suite struct ClusterFileTests {
    /// Parses `text` expecting failure; returns "line:col: message" for each diagnostic.
    func errors(_ text: String) -> [String] {
        do {
            let c = try Cluster.parse(text, path: "bad.cluster")
            return ["parsed: \(c.name)"]
        } catch {
            return error.diagnostics.map { "\($0.location.map { "\($0)" } ?? "-"): \($0.message)" }
        }
    }

    static let kind = "kind g flops=1TFLOP/s membw=100GB/s memory=8GiB launch=5us\n"

    @Test func readsTheDocumentedExample() throws {
        let c = try Cluster.parse("""
            # Two hosts of four K40s on PCIe 3.0, joined by 10 Gbit Ethernet.
            cluster k40x8
            kind k40 flops=4.29TFLOP/s membw=288GB/s memory=12GB launch=5us
            host h0 net=10Gbit/s latency=25us
            device h0.gpu count=4 kind=k40 link=12GB/s latency=5us   # h0.gpu0 … h0.gpu3
            host h1 net=10Gbit/s latency=25us
            device h1.gpu count=4 kind=k40 link=12 GB/s latency=5 us
            """)
        #expect(c.name == "k40x8")
        #expect(c.deviceCount == 8)
        #expect(c.devices.map(\.name).prefix(5) == ["h0.gpu0", "h0.gpu1", "h0.gpu2", "h0.gpu3", "h1.gpu0"])
        #expect(c.devices.map(\.host) == [0, 0, 0, 0, 1, 1, 1, 1])
        #expect(c.peakFlops(7) == 4.29e12)
        #expect(c.memoryCapacity(0) == 12_000_000_000)
        #expect(c.launchOverhead(0) == 5 * 1e-6)
        #expect(c.hosts[1].network == Link(bandwidth: 10 * 1.25e8, latency: 25 * 1e-6))
        #expect(c.devices[7].link.bandwidth == 12e9)
    }

    @Test func devicesWithoutAHostLineGetOne() throws {
        let c = try Cluster.parse(Self.kind + "device a kind=g link=1GiB/s\ndevice b kind=g link=1GiB/s\n")
        #expect(c.hosts == [Host(name: "host0")])
        #expect(c.devices.map(\.name) == ["a", "b"])
        #expect(c.devices[0].link == Link(bandwidth: 1_073_741_824, latency: 0))
    }

    // Ten and more malformed files, each error at its line and column.
    @Test func unknownStatement() {
        #expect(errors(Self.kind + "  devcie a kind=g link=1GB/s\n") == ["2:3: unknown statement 'devcie'; expected cluster, kind, host or device"])
    }

    @Test func missingUnitAndWrongUnit() {
        #expect(errors("kind g flops=4.29 membw=100GB/s memory=8GiB\n")
                == ["1:18: 'flops' needs a unit (TFLOP/s, GFLOP/s)"])
        #expect(errors("kind g flops=4TFLOP/s membw=100GB memory=8GiB\n")
                == ["1:32: 'GB' is not a unit of a bandwidth for 'membw'; expected GB/s, GiB/s, Gbit/s"])
        // A value that is there but invalid is reported once, for its value (not also as missing).
        #expect(errors("kind g flops=1TFLOPS membw=1GB/s memory=1GB\n")
                == ["1:15: 'TFLOPS' is not a unit of a compute rate for 'flops'; expected TFLOP/s, GFLOP/s"])
        #expect(errors("kind g flops=nan membw=1GB/s memory=1GB\n")
                == ["1:14: expected a number with a unit for 'flops' (TFLOP/s, GFLOP/s), found 'nan'"])
        #expect(errors("kind g flops=1e999TFLOP/s membw=1GB/s memory=1GB\n")
                == ["1:14: 'flops' must be a finite, positive compute rate (TFLOP/s, GFLOP/s), found '1e999TFLOP/s'"])
        #expect(errors("kind g membw=1GB/s memory=1GB\n") == ["1:1: kind 'g' needs flops=…"])
    }

    @Test func badNumber() {
        #expect(errors("kind g flops=fastTFLOP/s membw=1GB/s memory=1GB\n")
                == ["1:14: expected a number with a unit for 'flops' (TFLOP/s, GFLOP/s), found 'fastTFLOP/s'"])
    }

    @Test func unknownAndRepeatedAttributes() {
        #expect(errors("kind g flops=1TFLOP/s flops=2TFLOP/s membw=1GB/s memory=1GB speed=3\n")
                == ["1:23: attribute 'flops' given twice",
                    "1:61: unknown attribute 'speed' for 'kind'; expected flops, membw, memory, launch, reserve"])
    }

    @Test func notKeyValue() {
        #expect(errors(Self.kind + "device a kind=g link=1GB/s fast\n") == ["2:28: expected key=value, found 'fast'"])
    }

    @Test func unknownKindAndHost() {
        #expect(errors(Self.kind + "host h0\ndevice a kind=k80 link=1GB/s\ndevice b host=h9 kind=g link=1GB/s\n")
                == ["3:15: unknown kind 'k80' (kinds: g)", "4:15: unknown host 'h9'"])
    }

    @Test func nonPositiveSpeedsAndNegativeLatency() {
        #expect(errors("kind g flops=0TFLOP/s membw=-1GB/s memory=1GB\ndevice a kind=g link=1GB/s latency=-2us\n")
                == ["1:14: 'flops' must be a finite, positive compute rate (TFLOP/s, GFLOP/s), found '0TFLOP/s'",
                    "1:29: 'membw' must be a finite, positive bandwidth (GB/s, GiB/s, Gbit/s), found '-1GB/s'",
                    "2:36: 'latency' must be a finite, non-negative time (s, ms, us, ns), found '-2us'"])
    }

    @Test func duplicateNames() {
        #expect(errors(Self.kind + "host h net=1GB/s\ndevice a kind=g link=1GB/s\ndevice a kind=g link=1GB/s\nhost h net=1GB/s\ndevice x kind=g link=1GB/s\n")
                == ["4:1: duplicate device name 'a'", "5:1: duplicate host name 'h'"])
    }

    @Test func zeroDevices() {
        #expect(errors("cluster empty\n" + Self.kind) == ["1:1: cluster 'empty' declares no devices"])
        #expect(errors("# nothing\n") == ["-: cluster 'bad' declares no devices"])
    }

    @Test func disconnectedHost() {
        #expect(errors(Self.kind + "host h0 net=1GB/s latency=1us\ndevice a kind=g link=1GB/s\nhost h1\ndevice b kind=g link=1GB/s\n")
                == ["4:1: host 'h1' has no network link (net=…), so its devices are disconnected from the other 1 host(s)"])
    }

    @Test func badCountAndName() {
        #expect(errors(Self.kind + "device a count=0 kind=g link=1GB/s\ndevice b@1 kind=g link=1GB/s\n")
                == ["2:16: 'count' must be a whole number ≥ 1, found '0'",
                    "3:8: invalid name 'b@1': names use letters, digits and _ . - /"])
    }

    @Test func absurdSizesAreErrorsNotTraps() {
        #expect(errors("kind g flops=1TFLOP/s membw=1GB/s memory=1e30GB\n") == ["1:42: memory=… is too large (at most 4 EiB)"])
        #expect(errors(Self.kind + "device a count=99999999 kind=g link=1GB/s\n")
                == ["2:16: count=99999999 is more devices than a cluster file may declare (65536)"])
        #expect(errors(Self.kind + "device a count=99999999999999999999999 kind=g link=1GB/s\n")
                == ["2:16: 'count' must be a whole number ≥ 1, found '99999999999999999999999'"])
    }

    @Test(arguments: 0..<4)
    func mangledPresetsNeverCrashTheParser(seed: UInt64) {
        // Random deletions, duplications and junk in preset text: a cluster or located diagnostics.
        var rng = SeededGenerator(seed: seed)
        for name in Cluster.presetNames {
            for _ in 0..<40 {
                var chars = Array(Cluster.presetText(name)!.unicodeScalars)
                for _ in 0..<(1 + rng.nextInt(below: 4)) {
                    let i = rng.nextInt(below: chars.count)
                    switch rng.nextInt(below: 3) {
                    case 0: chars.remove(at: i)
                    case 1: chars.insert(chars[rng.nextInt(below: chars.count)], at: i)
                    default: chars.insert(Array("=#x0 -.\n\té".unicodeScalars)[rng.nextInt(below: 10)], at: i)
                    }
                }
                var text = ""
                text.unicodeScalars.append(contentsOf: chars)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
                do {
                    try Cluster.parse(text).validate()
                } catch let list as DiagnosticList {
                    #expect(!list.diagnostics.isEmpty)
                    #expect(list.diagnostics.allSatisfy { d in d.location.map { $0.line >= 1 && $0.line <= lines } ?? true })
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
        }
    }

    @Test func missingNameAndSecondClusterLine() {
        #expect(errors("cluster a\ncluster b\nkind\n") == [
            "2:1: second 'cluster' line; the cluster is already named 'a'", "3:5: 'kind' needs a name",
        ])
    }

    @Test func severalErrorsInOneRunWithCaret() {
        do {
            _ = try Cluster.parse("kind g flops=1TFLOP/s membw=1GB/s memory=1GB\ndevice a kind=g link=1GB/s latency=5 parsecs\nhost h0 latency=1us\n",
                                  path: "x.cluster")
            Issue.record("expected errors")
        } catch {
            #expect(error.diagnostics.map { $0.location?.description ?? "" } == ["2:37", "2:38", "3:1"])
            #expect(error.diagnostics[1].message == "expected key=value, found 'parsecs'")
            let text = error.description
            #expect(text.contains("x.cluster:2:37: error: 'latency' needs a unit (s, ms, us, ns)\ndevice a kind=g link=1GB/s latency=5 parsecs\n                                    ^"))
            #expect(text.contains("x.cluster:3:1: error: host 'h0' has a network latency but no net=… bandwidth"))
        }
    }

    @Test(arguments: Cluster.presetNames)
    func presetRoundTripsThroughPrinterAndParser(name: String) throws {
        let cluster = try #require(Cluster.preset(name))
        try cluster.validate()
        let printed = cluster.printed()
        let again = try Cluster.parse(printed, path: "\(name).cluster")
        #expect(again == cluster)
        #expect(again.printed() == printed)
        #expect(try Cluster.load(name) == cluster)
    }

    @Test func printerRoundTripsOddClusters() throws {
        // Devices not grouped by host, names that look like runs, awkward numbers.
        let kinds = [DeviceKind(name: "x", peakFlops: 1.234567e12 / 3, memoryBandwidth: 0.1, memoryCapacity: 12345,
                                launchOverhead: 1.0 / 3)]
        let c = Cluster(name: "odd", kinds: kinds,
                        hosts: [Host(name: "a", network: Link(bandwidth: 3e9, latency: 1e-7)),
                                Host(name: "b", network: Link(bandwidth: 7, latency: 0))],
                        devices: [Device(name: "d10", kind: 0, host: 1, link: Link(bandwidth: 1, latency: 0)),
                                  Device(name: "d11", kind: 0, host: 1, link: Link(bandwidth: 1, latency: 0)),
                                  Device(name: "z", kind: 0, host: 0, link: Link(bandwidth: 2.5e10, latency: 3e-6))])
        try c.validate()
        let again = try Cluster.parse(c.printed())
        #expect(again == c)
    }

    /// `reserve=` on kinds and devices: a percent or a size, the device's over its kind's, printed
    /// back exactly; one that leaves no memory, or a malformed one, is an error at its column.
    @Test func memoryReservesParsePrintAndValidate() throws {
        let text = """
            cluster r
            kind a flops=1TFLOP/s membw=1GB/s memory=1GB reserve=12.5%
            host h0
            device g count=2 kind=a link=1GB/s
            device s kind=a link=1GB/s reserve=256MiB

            """
        let c = try Cluster.parse(text)
        #expect(c.memoryReserve(0) == .percent(12.5) && c.memoryReserve(1) == .percent(12.5) && c.memoryReserve(2) == .bytes(256 << 20))
        #expect(MemoryReserve.percent(12.5).bytes(ofCapacity: 1_000_000_000) == 125_000_000)
        #expect(try Cluster.parse(c.printed()) == c)
        #expect(c.printed().contains("reserve=12.5%") && c.printed().contains("reserve=256MiB"))
        #expect(errors("kind a flops=1TFLOP/s membw=1GB/s memory=1GB reserve=100%\n") ==
                ["1:54: 'reserve' must be a percent in [0, 100) of the memory or a size (10%, 512MiB), found '100%'"])
        #expect(errors("kind a flops=1TFLOP/s membw=1GB/s memory=1GB reserve=lots\n") ==
                ["1:54: 'reserve' must be a percent in [0, 100) of the memory or a size (10%, 512MiB), found 'lots'"])
        #expect(errors("kind a flops=1TFLOP/s membw=1GB/s memory=1GB\ndevice d kind=a link=1GB/s reserve=1GB\n") ==
                ["2:1: device 'd': reserve=1GB leaves no memory for weights: the memory is 1GB"])
    }

    @Test func presetNumbersMatchTheSpecSheets() throws {
        let k40 = try #require(Cluster.preset("k40x16"))
        #expect(k40.deviceCount == 16 && k40.hosts.count == 4)
        #expect(k40.peakFlops(0) == 4.29e12 && k40.memoryBandwidth(0) == 288e9 && k40.memoryCapacity(0) == 12_000_000_000)
        #expect(try #require(Cluster.preset("a100x2x8")).hosts.count == 2)
        let cpu = try #require(Cluster.preset("cpu2"))
        // Calibrated on this machine by `moegc bench calibrate` (Presets.swift, `CPUCalibration.measured`).
        #expect(cpu.deviceCount == 2 && cpu.peakFlops(1) == 95e9 && cpu.memoryBandwidth(0) == 22e9)
        let recalibrated = CPUCalibration(cores: 4, flopsPerCore: 32e9, memcpyBandwidth: 20e9, memoryPerCore: 4 << 30,
                                          launchOverhead: 1e-6, copyLatency: 1e-6)
        let c4 = try Cluster.parse(recalibrated.clusterText(name: "cpu4"))
        #expect(c4.deviceCount == 4 && c4.peakFlops(3) == 32e9)
    }

    @Test func loadReportsUnknownPresetsAndReadsFiles() throws {
        do {
            _ = try Cluster.load("k80x16")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("unknown cluster preset 'k80x16'; presets: k40x16, k40x8, k40x4"))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("moegc-sim-test-\(getpid()).cluster").path
        try Cluster.preset("hetero4")!.printed().write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Cluster.load(path) == Cluster.preset("hetero4"))
        do {
            _ = try Cluster.load("/nonexistent/x.cluster")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("no such cluster file '/nonexistent/x.cluster'"))
        }
    }
}
