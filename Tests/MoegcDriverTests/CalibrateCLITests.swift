import Foundation
import MoegcSim
import Testing

/// `moegc bench calibrate --write-cluster`: this machine measured and written as a cluster file
/// that `compile --cluster` reads.
struct CalibrateCLITests {
    @Test func theWrittenClusterIsThisMachine() throws {
        let dir = NSTemporaryDirectory() + "moegc-calibrate-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/here.cluster"
        let r = try CLITests.moegc(["bench", "calibrate", "--write-cluster", file, "--placements", "2", "--steps", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(file)"))
        #expect(r.stdout.contains("Spearman rank correlation"))
        // One device per core, the machine's memory split evenly (1% for the file's 4 significant figures).
        let cluster = try Cluster.load(file)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(cluster.devices.count == cores)
        let share = Double(ProcessInfo.processInfo.physicalMemory) / Double(cores)
        #expect(abs(Double(cluster.kinds[0].memoryCapacity) - share) / share < 0.01)
        // Measured rates are positive and finite, and the file targets compile.
        #expect(cluster.peakFlops(0) > 1e8 && cluster.peakFlops(0).isFinite)
        #expect(cluster.memoryBandwidth(0) > 1e8 && cluster.memoryBandwidth(0).isFinite)
        let c = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", file, "--placer", "heft"])
        #expect(c.status == 0 && c.stdout.contains("this-machine"), "\(c.stderr)")
        // A file that cannot be written is an error naming it; nothing is left behind.
        let bad = try CLITests.moegc(["bench", "calibrate", "--write-cluster", dir + "/missing/x.cluster", "--placements", "1", "--steps", "1"])
        #expect(bad.status == 1 && bad.stderr.contains(dir + "/missing/x.cluster"), "\(bad.stderr)")
        let both = try CLITests.moegc(["bench", "calibrate", "--write-cluster", file, "--cluster", "cpu2"])
        #expect(both.status != 0 && both.stderr.contains("--write-cluster simulates on the cluster it writes"))
    }
}
