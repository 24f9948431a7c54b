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

    static func moegc(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
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
