import Foundation
import Testing

/// The `moegc` executable end to end: exit codes, what goes to stdout and stderr.
struct CLITests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The moegc binary next to this test bundle (`swift test` builds it in the same folder).
    static let binary: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent(), URL(fileURLWithPath: root + "/.build/debug")] {
            let candidate = dir.appendingPathComponent("moegc").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return root + "/.build/debug/moegc"
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary from the repository root; `environment` is added to the test's own, and the
    /// variables named in `removing` are taken out of it.
    static func moegc(_ args: [String], environment: [String: String] = [:], removing: [String] = []) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !environment.isEmpty || !removing.isEmpty {
            var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            for name in removing { merged[name] = nil }
            p.environment = merged
        }
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func compilePrintsTheSummary() throws {
        let r = try CLITests.moegc(["compile", "graphs/moe-4096-h.graph"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("params (paper)          4303.4M"))
        #expect(r.stdout.contains("ops/timestep (paper)    8.93M"))
        #expect(r.stderr.isEmpty)
    }

    @Test func compileJSONIsMachineReadable() throws {
        let r = try CLITests.moegc(["compile", "graphs/moe-32.graph", "--json", "--batch", "4"])
        #expect(r.status == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(obj?["tokens"] as? Int == 80)
        #expect(obj?["schema"] as? String == "moegc.summary/1")
        #expect(!r.stdout.contains("\\/"), "slashes are written as they are")
        // 2 LSTMs of 4·1024·512 weights + 2048 biases, 32 experts of 2·512·1024, gate and noise 2·512·32.
        #expect(obj?["paperParameters"] as? Int == 2 * (4 * 1024 * 512 + 2048) + 32 * 2 * 512 * 1024 + 2 * 512 * 32)
    }

    @Test func emitGraphIsCanonicalText() throws {
        let r = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--emit", "graph"])
        let file = try String(contentsOfFile: CLITests.root + "/graphs/tiny-moe.graph", encoding: .utf8)
        #expect(r.status == 0)
        #expect(r.stdout == file)
    }

    @Test func badGraphExitsOneWithLocatedError() throws {
        let path = NSTemporaryDirectory() + "moegc-cli-bad-\(getpid()).graph"
        try "graph g (%x: f32[2]) -> (%y) {\n  %y = rleu(%x)\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLITests.moegc(["compile", path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "\(path):2:8: error: unknown op 'rleu'; did you mean 'relu'?\n  %y = rleu(%x)\n       ^\n")
    }

    @Test func missingFileAndBadFlags() throws {
        let missing = try CLITests.moegc(["compile", "graphs/nope.graph"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "graphs/nope.graph: error: no such file or directory\n")
        let badDim = try CLITests.moegc(["compile", "graphs/moe-4.graph", "--dim", "oops"])
        #expect(badDim.status != 0)
        #expect(badDim.stderr.contains("--dim expects NAME=SIZE"))
        let unknownDim = try CLITests.moegc(["compile", "graphs/moe-4.graph", "--dim", "width=3"])
        #expect(unknownDim.status == 1)
        #expect(unknownDim.stderr.contains("graph 'moe_4' has no dimension named 'width' (it names: batch, seq)"))
        let badEmit = try CLITests.moegc(["compile", "graphs/moe-4.graph", "--emit", "nonsense"])
        #expect(badEmit.status != 0)
    }

    @Test func helpExplainsItself() throws {
        let r = try CLITests.moegc(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("compile"))
        let c = try CLITests.moegc(["compile", "--help"])
        #expect(c.stdout.contains("--emit"))
        #expect(c.stdout.contains("excluding embedding and softmax"))
    }

    @Test func formatInPlaceIsAtomicAndIdempotent() throws {
        let path = NSTemporaryDirectory() + "moegc-cli-fmt-\(getpid()).graph"
        try "graph g [n = 2] (%x: f32[n]) -> (%y) {\n  %y = relu(%x)\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try CLITests.moegc(["format", "-i", path]).status == 0)
        let once = try String(contentsOfFile: path, encoding: .utf8)
        #expect(once == "graph g [n = 2] (%x: f32[n]) -> (%y) {\n  %y = relu(%x) : f32[n]\n}\n")
        #expect(try CLITests.moegc(["format", "-i", path]).status == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == once)
        // A broken file is left untouched.
        try "graph g (%x: f32[2]) -> (%y) {\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CLITests.moegc(["format", "-i", path]).status == 1)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "graph g (%x: f32[2]) -> (%y) {\n")
    }
}

/// `moegc run --reference`: outputs, the MoE report, and bad inputs.
struct RunCLITests {
    func temp(_ name: String, _ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "moegc-run-\(getpid())-\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func runPrintsOutputsAndTheMoEReport() throws {
        let r = try CLITests.moegc(["run", "graphs/tiny-moe.graph", "--reference", "--seed", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("tiny_moe: reference interpreter, training mode, seed 3"))
        #expect(r.stdout.contains("%l_importance"))
        #expect(r.stdout.contains("MoE layer %moe (8 experts, k = 2, 8 tokens)"))
        #expect(r.stdout.contains("rows routed       16 of 16 assignments (0 dropped by capacity)"))
        let again = try CLITests.moegc(["run", "graphs/tiny-moe.graph", "--reference", "--seed", "3"])
        #expect(again.stdout == r.stdout, "same seed, same run")
    }

    @Test func inputsAndOutputsFiles() throws {
        let inputs = try temp("in.json", #"{"tokens": [[1, 2, 3, 4], [5, 6, 7, 8]], "targets": {"shape": [2, 4], "data": [0, 1, 2, 3, 4, 5, 6, 7]}}"#)
        let out = NSTemporaryDirectory() + "moegc-run-\(getpid())-out.json"
        defer { try? FileManager.default.removeItem(atPath: inputs); try? FileManager.default.removeItem(atPath: out) }
        let r = try CLITests.moegc(["run", "graphs/tiny-moe.graph", "--reference", "--eval", "--inputs", inputs, "--outputs", out])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        let loss = obj?["loss"] as? [String: Any]
        #expect(loss?["shape"] as? [Int] == [2, 4])
        #expect((loss?["data"] as? [Double])?.count == 8)
    }

    @Test func badInputsGiveClearErrors() throws {
        let cases: [(String, String)] = [
            (#"{"tokens": [[1, 2, 3, 4], [5, 6, 7, 8]]}"#, "error: input 'targets' (i32[batch, seq]) is missing"),
            (#"{"tokens": [[1, 2, 3], [5, 6, 7]], "targets": [[0,0,0,0],[0,0,0,0]]}"#, "error: input 'tokens' must have shape i32[batch, seq], got [2, 3]"),
            (#"{"tokens": [[1.5, 2, 3, 4], [5, 6, 7, 8]], "targets": [[0,0,0,0],[0,0,0,0]]}"#, "error: input 'tokens': value 0 (1.5) is not a 32-bit integer"),
            (#"{"tokens": [[1, 2, 3, 4], [5, 6, 7]], "targets": [[0,0,0,0],[0,0,0,0]]}"#, "error: input 'tokens' is ragged"),
            (#"{"tokens": [[1, 2, 3, 4], [5, 6, 7, 99]], "targets": [[0,0,0,0],[0,0,0,0]]}"#, ": error: input 'tokens' holds 99 at [1, 3] (flat index 7): its values index the rows of %emb.table and must be in 0..<50"),
            (#"{"tokens": [[1, 2, 3, 4], [5, 6, 7, 8]], "targets": [[0,0,0,0],[0,0,0,0]], "extra": 1}"#, "error: 'extra' is not an input of graph 'tiny_moe'"),
            ("{\"tokens\": [[1, 2,\n oops]]}", ":2:2: error: not valid JSON"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = try temp("bad\(i).json", text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = try CLITests.moegc(["run", "graphs/tiny-moe.graph", "--reference", "--inputs", path])
            #expect(r.status == 1, "case \(i)")
            #expect(r.stderr.contains(expected), "case \(i): \(r.stderr)")
        }
    }

    @Test func nanCheckingOnRequest() throws {
        let path = try temp("nan.json", #"{"x": [[1, "NaN"]]}"#)
        let graph = try temp("g.graph", "graph g (%x: f32[1, 2]) -> (%y) {\n  %y = relu(%x)\n}\n")
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: graph) }
        let unchecked = try CLITests.moegc(["run", graph, "--reference", "--inputs", path])
        #expect(unchecked.status == 0)
        let checked = try CLITests.moegc(["run", graph, "--reference", "--inputs", path, "--check-inputs"])
        #expect(checked.status == 1)
        #expect(checked.stderr.contains("input %x holds nan at flat index 1"))
    }

    @Test func runNeedsAnExecutor() throws {
        let r = try CLITests.moegc(["run", "graphs/tiny-moe.graph"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--reference"))
    }
}
