import Foundation
import Testing

/// `--placement FILE` on compile, place and simulate; `--emit placement`.
struct PlacementFileCLITests {
    static func temporaryDirectory(_ tag: String) throws -> String {
        let dir = NSTemporaryDirectory() + "moegc-\(tag)-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func stepSeconds(_ json: String) throws -> Double {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(object["stepSeconds"] as? Double)
    }

    /// The shipped policy's placement (which merges tasks) and a heuristic's, written out and
    /// simulated back: the same step time, to the last bit of the JSON's double.
    @Test(arguments: [["--placer", "heft"], [String]()])
    func emittedPlacementSimulatesToTheSameStep(_ placer: [String]) throws {
        let dir = try Self.temporaryDirectory("placement-rt\(placer.count)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = ["graphs/tiny-switch.graph", "--cluster", "k40x4"]
        let compiled = try CLITests.moegc(["compile"] + base + placer + ["--json"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let emitted = try CLITests.moegc(["compile"] + base + placer + ["--emit", "placement"])
        #expect(emitted.status == 0, "\(emitted.stderr)")
        #expect(emitted.stdout.hasPrefix("# moegc placement: "))
        try emitted.stdout.write(toFile: dir + "/p.txt", atomically: true, encoding: .utf8)
        let simulated = try CLITests.moegc(["simulate"] + base + ["--placement", dir + "/p.txt", "--json"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        #expect(try Self.stepSeconds(simulated.stdout) == Self.stepSeconds(compiled.stdout))
        // compile with the complete file and no placer keeps it as it is.
        let again = try CLITests.moegc(["compile"] + base + ["--placement", dir + "/p.txt", "--json"])
        #expect(try Self.stepSeconds(again.stdout) == Self.stepSeconds(compiled.stdout))
        // A placer has nothing left to decide once the file fixes devices and orders.
        let both = try CLITests.moegc(["compile"] + base + ["--placement", dir + "/p.txt", "--placer", "m-etf"])
        #expect(both.status == 1 && both.stderr.contains("fixes every device and every order: --placer m-etf has nothing left to decide"), "\(both.stderr)")
    }

    /// A partial file pins its nodes for compile, place and place --compare; simulate refuses it.
    @Test func aPartialFilePinsAndSimulateNeedsAllNodes() throws {
        let dir = try Self.temporaryDirectory("placement-partial")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# the first LSTM on the last device\n%lstm1 -> h0.gpu3\n".write(toFile: dir + "/p.txt", atomically: true, encoding: .utf8)
        let base = ["graphs/tiny-moe.graph", "--cluster", "k40x4", "--placement", dir + "/p.txt"]
        for args in [["compile", "--placer", "m-etf", "--emit", "placement"], ["compile", "--emit", "placement"]] {
            let r = try CLITests.moegc([args[0]] + base + args.dropFirst())
            #expect(r.status == 0, "\(r.stderr)")
            let lstm = r.stdout.split(separator: "\n").filter { $0.hasPrefix("%lstm1.") }
            #expect(lstm.count > 20 && lstm.allSatisfy { $0.contains("-> h0.gpu3 @") }, "\(args)")
        }
        let compare = try CLITests.moegc(["place"] + base + ["--compare", "--json"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let simulate = try CLITests.moegc(["simulate"] + base)
        #expect(simulate.status == 1)
        #expect(simulate.stderr.contains("p.txt: error: it places ") && simulate.stderr.contains("simulate needs every node placed"), "\(simulate.stderr)")
        #expect(simulate.stdout.isEmpty)
    }

    @Test func badFilesAreLocatedErrors() throws {
        let dir = try Self.temporaryDirectory("placement-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "%lstm1 -> gpu7\n%nosuch -> 0\n".write(toFile: dir + "/p.txt", atomically: true, encoding: .utf8)
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--placement", dir + "/p.txt"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("p.txt:1:1: error: cluster 'k40x4' has no device 'gpu7'"), "\(r.stderr)")
        #expect(r.stderr.contains("p.txt:2:1: error: no node of 'tiny_moe' is named %nosuch"), "\(r.stderr)")
        let missing = try CLITests.moegc(["simulate", "graphs/tiny-moe.graph", "--placement", dir + "/none.txt"])
        #expect(missing.status == 1 && missing.stderr.contains("none.txt: error: no such file"), "\(missing.stderr)")
        let none = try CLITests.moegc(["simulate", "graphs/tiny-moe.graph"])
        #expect(none.status != 0 && none.stderr.contains("simulate needs --placement FILE"))
    }
}
