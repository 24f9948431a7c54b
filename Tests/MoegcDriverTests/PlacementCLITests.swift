import Foundation
import Testing

/// `moegc compile --cluster/--placer`, `moegc place --compare`, `moegc bench sim`: output and errors.
struct PlacementCLITests {
    @Test func compilePlacesAndReports() throws {
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--placer", "expert-parallel"])
        #expect(r.status == 0, "\(r.stderr)")
        for field in ["step time", "lower bound", "ratio", "critical-path", "h0.gpu3", "peak memory", "util"] {
            #expect(r.stdout.contains(field), "missing \(field)")
        }
        #expect(r.stderr.isEmpty)
    }

    @Test func emitPlacedReparsesToTheSameText() throws {
        let r = try CLITests.moegc(["compile", "graphs/tiny-hmoe.graph", "--cluster", "k40x4", "--placer", "heft", "--emit", "placed"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("device = ") && r.stdout.contains("order = ") && r.stdout.contains("group = "))
        let path = NSTemporaryDirectory() + "moegc-placed-\(getpid()).graph"
        try r.stdout.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let again = try CLITests.moegc(["format", path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == r.stdout)
    }

    /// Weights of 95% of a device fit by default (the reserve is what the op's activations need),
    /// not with --memory-reserve 10 or a cluster's reserve=10%; a device's own reserve= overrides
    /// its kind's; the error names where the reserve came from.
    @Test func memoryReserveSetsTheWeightBudget() throws {
        let dir = NSTemporaryDirectory() + "moegc-reserve-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func cluster(_ name: String, kindReserve: String = "", deviceReserve: String = "") throws -> String {
            try """
                cluster one
                kind acc flops=1TFLOP/s membw=100GB/s memory=1GB launch=1us\(kindReserve)
                host h0
                device acc count=2 kind=acc link=10GB/s latency=5us\(deviceReserve)

                """.write(toFile: dir + "/\(name).cluster", atomically: true, encoding: .utf8)
            return dir + "/\(name).cluster"
        }
        try """
            graph big (%x: f32[256]) -> (%y) {
              %y = opaque(%x) {flops = 1e9, weights = 950000000} : f32[256]
            }

            """.write(toFile: dir + "/big.graph", atomically: true, encoding: .utf8)
        let args = ["compile", dir + "/big.graph", "--placer", "m-etf"]
        let roomy = try CLITests.moegc(args + ["--cluster", try cluster("plain")])
        #expect(roomy.status == 0, "\(roomy.stderr)")
        #expect(roomy.stdout.contains("step time"))
        let tight = try CLITests.moegc(args + ["--cluster", try cluster("plain"), "--memory-reserve", "10"])
        #expect(tight.status == 1)
        #expect(tight.stderr.contains("weight budget (its 953.67 MiB less a reserve of 95.37 MiB for the step's live values: --memory-reserve 10%)"),
                "\(tight.stderr)")
        let kind = try CLITests.moegc(args + ["--cluster", try cluster("kind", kindReserve: " reserve=10%")])
        #expect(kind.status == 1 && kind.stderr.contains("reserve=10% in cluster 'one'"), "\(kind.stderr)")
        let device = try CLITests.moegc(args + ["--cluster", try cluster("device", kindReserve: " reserve=10%", deviceReserve: " reserve=1MiB")])
        #expect(device.status == 0, "\(device.stderr)")
        let bad = try CLITests.moegc(args + ["--cluster", try cluster("plain"), "--memory-reserve", "95"])
        #expect(bad.status == 1 && bad.stderr.contains("--memory-reserve must be a percent in 0...90"), "\(bad.stderr)")
        let full = try CLITests.moegc(args + ["--cluster", try cluster("full", kindReserve: " reserve=2GB")])
        #expect(full.status == 1 && full.stderr.contains("kind 'acc': reserve=2GB leaves no memory for weights"), "\(full.stderr)")
    }

    /// `compile --json` with a cluster prints the placement, not the summary, and agrees with the
    /// text report's step time.
    @Test func compileJSONWithAClusterIsThePlacementReport() throws {
        let args = ["compile", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--placer", "heft"]
        let r = try CLITests.moegc(args + ["--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["schema"] as? String == "moegc.placement/1")
        #expect(obj["cluster"] as? String == "k40x4" && obj["placer"] as? String == "heft")
        let devices = try #require(obj["devices"] as? [[String: Any]])
        #expect(devices.count == 4)
        #expect(devices.allSatisfy { ($0["peakMemoryBytes"] as? Int ?? -1) <= ($0["capacityBytes"] as? Int ?? 0) })
        let step = try #require(obj["stepSeconds"] as? Double), bound = try #require((obj["bound"] as? [String: Any])?["seconds"] as? Double)
        let ratio = try #require(obj["ratio"] as? Double)
        #expect(step >= bound && abs(ratio - step / bound) < 1e-9)
        // The text report's step time, to its printed precision.
        let text = try CLITests.moegc(args)
        let line = try #require(text.stdout.split(separator: "\n").first { $0.contains("step time") })
        let printed = try #require(Double(line.split(separator: " ").dropFirst(2).first ?? ""))
        let unit = line.hasSuffix(" ms") ? 1e-3 : line.hasSuffix(" µs") ? 1e-6 : 1
        #expect(abs(printed * unit - step) <= 0.01 * step, "\(line) against \(step) s")
    }

    /// `place --compare --json`: one row per placer of the sweep, in its order, each feasible one
    /// with its step time no lower than the bound; `place --placer P --json` is the placement report.
    @Test func placeCompareJSONHasEveryPlacer() throws {
        let r = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--compare", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["schema"] as? String == "moegc.compare/1")
        let bound = try #require((obj["bound"] as? [String: Any])?["seconds"] as? Double)
        let rows = try #require(obj["rows"] as? [[String: Any]])
        let placers = rows.compactMap { $0["placer"] as? String }
        for name in ["single", "round-robin", "expert-parallel", "m-etf", "heft", "linear", "local-search"] {
            #expect(placers.contains(name), "\(name) missing from \(placers)")
        }
        for row in rows where row["feasible"] as? Bool == true {
            let step = try #require(row["stepSeconds"] as? Double)
            #expect(step >= bound * (1 - 1e-12))
        }
        let one = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--placer", "heft", "--json"])
        #expect(one.status == 0, "\(one.stderr)")
        let oneObject = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        #expect(oneObject["schema"] as? String == "moegc.placement/1" && oneObject["placer"] as? String == "heft")
        let training = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--train-policy", "--json"])
        #expect(training.status == 1 && training.stderr.contains("--json goes with a placement, --compare or --evaluate"), "\(training.stderr)")
    }

    @Test func emitFusedAnnotatesGroups() throws {
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--emit", "fused", "--eval"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("group = 0"))
        #expect(!r.stdout.contains("device = "))
    }

    @Test func traceIsChromeJSON() throws {
        let path = NSTemporaryDirectory() + "moegc-trace-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--placer", "m-etf", "--cluster", "k40x4", "--trace", path])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let events = try #require(obj?["traceEvents"] as? [[String: Any]])
        #expect(events.contains { ($0["name"] as? String)?.contains("matmul") == true })
    }

    /// METIS prints some conditions of its recursive bisection on standard output (this graph on
    /// 16 devices: "Cannot bisect a graph with 0 vertices!"); moegc's output stays its own.
    @Test func metisDoesNotWriteIntoTheReport() throws {
        let r = try CLITests.moegc(["place", "graphs/train/switch-1.graph", "--cluster", "k40x16", "--placer", "metis"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("metis"))
        #expect(!r.stdout.contains("***") && !r.stderr.contains("***"), "\(r.stdout)")
    }

    @Test func compareTableListsEveryPlacer() throws {
        let r = try CLITests.moegc(["place", "graphs/tiny-hmoe.graph", "--cluster", "k40x4", "--compare", "--budget", "10"])
        #expect(r.status == 0, "\(r.stderr)")
        for placer in ["single", "round-robin", "expert-parallel", "m-topo", "m-etf", "heft", "metis", "local-search ← "] {
            #expect(r.stdout.contains("| \(placer)"), "missing \(placer)")
        }
        #expect(r.stdout.contains("| placer | step time | ÷ bound | peak memory | moved | time to place |"))
    }

    @Test func clusterAndMemoryErrorsAreClear() throws {
        let unknown = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "k80x99"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown cluster preset 'k80x99'"))
        #expect(!unknown.stderr.contains("Fatal"))

        let dir = NSTemporaryDirectory()
        let empty = dir + "moegc-empty-\(getpid()).cluster"
        try "cluster empty\nkind k flops=1TFLOP/s membw=1GB/s memory=1GB\n".write(toFile: empty, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let zero = try CLITests.moegc(["place", "graphs/tiny-moe.graph", "--cluster", empty, "--compare"])
        #expect(zero.status == 1)
        #expect(zero.stderr.contains("declares no devices"))

        let bad = dir + "moegc-bad-\(getpid()).cluster"
        try "cluster bad\nkind k flops=fast membw=1GB/s memory=1GB\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let badFile = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", bad])
        #expect(badFile.status == 1)
        #expect(badFile.stderr.contains(bad + ":2:"))

        let small = dir + "moegc-small-\(getpid()).cluster"
        try "cluster small\nkind k flops=1TFLOP/s membw=1GB/s memory=1KiB\ndevice d count=2 kind=k link=1GB/s\n"
            .write(toFile: small, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: small) }
        let oom = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", small, "--placer", "single"])
        #expect(oom.status == 1)
        #expect(oom.stderr.contains("no feasible placement: the weights need"))
        #expect(!oom.stderr.contains("Fatal"))
    }

    @Test func unknownPlacerAndHelp() throws {
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--placer", "magic"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown placer 'magic'"))
        let help = try CLITests.moegc(["compile", "--help"])
        for option in ["--cluster", "--placer", "--trace", "--emit", "--train", "--eval", "--budget", "--start", "--no-fusion"] {
            #expect(help.stdout.contains(option), "help lacks \(option)")
        }
        let place = try CLITests.moegc(["place", "--help"])
        #expect(place.stdout.contains("--compare"))
        let bench = try CLITests.moegc(["bench", "sim", "--help"])
        #expect(bench.stdout.contains("--sizes"))
    }

    @Test func benchSimRunsSmallSizes() throws {
        let r = try CLITests.moegc(["bench", "sim", "--sizes", "200,400", "--seconds", "0.01", "--graph", "graphs/tiny-moe.graph",
                                    "--compile-cluster", "k40x4", "--placers", "expert-parallel,heft"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| 200 |") && r.stdout.contains("| 400 |"))
        #expect(r.stdout.contains("| expert-parallel |") && r.stdout.contains("| heft |"))
    }
}
