import Foundation
import MoegcPlan
import MoegcPolicy
import Testing

/// The nine crashes of issue 19, each through the `moegc` binary as a hostile user met it: every
/// one must now exit 1 with a message naming the value, its size and the limit, and leave no file.
struct CrashRegressionTests {
    /// A fresh directory for one test's files; removed by the caller.
    static func scratch(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "moegc-crash-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ path: String, _ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

    /// Runs moegc and checks it failed cleanly: status 1 (not a signal), every fragment in stderr,
    /// nothing on stdout but what `stdout` allows, no new file in `dir`.
    static func expectError(_ args: [String], in dir: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        let r = try CLITests.moegc(args)
        #expect(r.status == 1, "\(args): status \(r.status)\n\(r.stderr)", sourceLocation: sourceLocation)
        for f in fragments { #expect(r.stderr.contains(f), "\(args): missing '\(f)' in\n\(r.stderr)", sourceLocation: sourceLocation) }
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        #expect(after == before, "\(args) left \(after.subtracting(before).sorted())", sourceLocation: sourceLocation)
    }

    // 1. A `.graph` attribute nested 40,000 `[` deep: SIGSEGV in the parser's recursion; the same
    //    text inside a plan with a valid CRC crashed `moegc inspect`.
    static let deepGraph = "graph g (%x: f32[2]) -> (%y) {\n  %y = relu(%x) {a = " + String(repeating: "[", count: 40_000)
        + String(repeating: "]", count: 40_000) + "}\n}\n"

    @Test func deeplyNestedAttributes() throws {
        let dir = try Self.scratch("deep")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/deep.graph", Self.deepGraph)
        try Self.expectError(["compile", dir + "/deep.graph"], in: dir,
                             [dir + "/deep.graph:2:278: error: attribute 'a' nests lists more than 256 deep"])
        // The same text as the graph of a well-framed plan (true CRC-32).
        let plan = dir + "/tiny.plan"
        #expect(try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--placer", "single", "-o", plan]).status == 0)
        let planPayload = try #require(PlanFile.payload(of: Array(try Data(contentsOf: URL(fileURLWithPath: plan)))))
        var payload = try #require(ProtoMessage(decoding: planPayload))
        payload.set(1, Array(Self.deepGraph.utf8))
        try Data(PlanFile.frame(payload: payload.encoded)).write(to: URL(fileURLWithPath: dir + "/deep.plan"))
        try Self.expectError(["inspect", dir + "/deep.plan"], in: dir,
                             [dir + "/deep.plan: error: the plan's graph does not parse: plan graph:2:278: error: attribute 'a' nests lists more than 256 deep"])
        try Self.expectError(["run", dir + "/deep.plan"], in: dir, ["nests lists more than 256 deep"])
    }

    // 2. `hmoe {groups = 2^62, …}`: an arithmetic-overflow trap counting parameters.
    @Test func overflowingParameterCount() throws {
        let dir = try Self.scratch("hmoe")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/h.graph", "graph g (%x: f32[2, 16]) -> (%y) {\n  %y, %a, %b = hmoe(%x) {groups = 4611686018427387904, experts_per_group = 4, hidden = 8}\n}\n")
        try Self.expectError(["compile", dir + "/h.graph"], in: dir,
                             [dir + "/h.graph:2:3: error: parameter 'w_gate' of 'hmoe' (f32[16, 4611686018427387904]) holds more than 2^63 bytes"])
        try Self.write(dir + "/e.graph", "graph g (%x: f32[2, 16]) -> (%y) {\n  %y, %a, %b = hmoe(%x) {groups = 4, experts_per_group = 4611686018427387904, hidden = 8}\n}\n")
        try Self.expectError(["compile", dir + "/e.graph"], in: dir, ["holds more than 2^63 bytes"])
        try Self.write(dir + "/l.graph", "graph g (%x: f32[2, 3, 16]) -> (%y) {\n  %y = lstm(%x) {hidden = 288230376151711744, projection = 4}\n}\n")
        try Self.expectError(["compile", dir + "/l.graph"], in: dir, ["parameter 'kernel' of 'lstm'", "holds more than 2^63 bytes"])
    }

    // 3. `run --reference` on an input of 2^40 floats, a dimension of 10^18, a 10^12-element param:
    //    `Fatal error: failed to allocate 4398046511136 bytes`.
    @Test func hugeTensorsAtRunTime() throws {
        let dir = try Self.scratch("huge")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, String)] = [
            ("graph g (%x: f32[1099511627776]) -> (%y) {\n  %y = relu(%x)\n}\n",
             "error: input %x (f32[1099511627776]) needs 4.00 TiB (4398046511104 bytes), more than one allocation may take: 1.00 GiB (MOEGC_MAX_ALLOCATION=1GiB)"),
            ("graph g (%x: f32[1000000000000000000]) -> (%y) {\n  %y = relu(%x)\n}\n",
             "error: input %x (f32[1000000000000000000]) needs 3.47 EiB (4000000000000000000 bytes)"),
            ("graph g (%x: f32[2]) -> (%y) {\n  %w = param() {init = zeros} : f32[1000000000000]\n  %y = relu(%w)\n}\n",
             "error: weight %w (f32[1000000000000]) needs 3.64 TiB (4000000000000 bytes), more than one allocation may take"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir + "/g\(i).graph"
            try Self.write(path, text)
            try Self.expectError(["run", path, "--reference", "--outputs", dir + "/out.json"], in: dir, [expected],
                                 environment: ["MOEGC_MAX_ALLOCATION": "1GiB"])
        }
        // Within one allocation but not within the run: 3 × 40 MiB of live values against 100 MiB.
        let path = dir + "/run.graph"
        try Self.write(path, "graph g (%x: f32[10485760]) -> (%y, %z) {\n  %y = relu(%x)\n  %z = neg(%x)\n}\n")
        try Self.expectError(["run", path, "--reference"], in: dir,
                             ["error: running graph 'g'", "more than a run may hold: 100.00 MiB (MOEGC_MAX_MEMORY=100MiB)"],
                             environment: ["MOEGC_MAX_MEMORY": "100MiB"])
        let bad = try CLITests.moegc(["compile", "graphs/tiny-moe.graph"], environment: ["MOEGC_MAX_MEMORY": "lots"])
        #expect(bad.status == 1 && bad.stderr.contains("MOEGC_MAX_MEMORY=lots is not a size"), "\(bad.stderr)")
    }

    // 4. `moe {experts = 10^12}` with `--emit lowered`: a fatal error allocating 283 TB.
    @Test func loweringTooManyExperts() throws {
        let dir = try Self.scratch("experts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/m.graph", "graph g (%x: f32[2, 16]) -> (%y) {\n  %y, %a, %b = moe(%x) {experts = 1000000000000, k = 2, hidden = 8}\n}\n")
        // The summary holds parameters as shapes: it still works.
        #expect(try CLITests.moegc(["compile", dir + "/m.graph"]).status == 0)
        try Self.expectError(["compile", dir + "/m.graph", "--emit", "lowered"], in: dir,
                             [dir + "/m.graph:2:3: error: lowering %y (moe, about 8.00 T nodes at ~1024 bytes each) needs 7.28 PiB (8192000000065536 bytes), more than a run may hold"])
        try Self.expectError(["compile", dir + "/m.graph", "--cluster", "cpu2", "-o", dir + "/m.plan"], in: dir, ["lowering %y (moe, about 8.00 T nodes"])
    }

    /// The shipped policy with its payload edited by `edit`, framed again with a true CRC-32.
    static func editedPolicy(_ path: String, _ edit: (inout ProtoMessage) throws -> Void) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: CLITests.root + "/policies/moegc-default.policy")))
        let raw = try #require(CheckpointFile.payload(of: bytes))
        var payload = try #require(ProtoMessage(decoding: raw))
        try edit(&payload)
        try Data(CheckpointFile.frame(payload: payload.encoded)).write(to: URL(fileURLWithPath: path))
    }

    /// The payload's configuration JSON with `key`'s number replaced by `value`.
    static func setConfig(_ payload: inout ProtoMessage, _ key: String, _ value: String) throws {
        let json = String(decoding: try #require(payload.bytes(1)), as: UTF8.self)
        let edited = json.replacingOccurrences(of: "\"\(key)\":[0-9.e+-]+", with: "\"\(key)\":\(value)", options: .regularExpression)
        #expect(edited != json, "no \(key) in the configuration")
        payload.set(1, Array(edited.utf8))
    }

    // 5. A policy (valid CRC) with a tensor of shape [2147483647, 2147483647]: a trap on `4 * count`.
    @Test func policyTensorOfAbsurdShape() throws {
        let dir = try Self.scratch("tensor")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.policy"
        try Self.editedPolicy(path) { payload in
            let first = try #require(payload.bytes(4))
            var tensor = try #require(ProtoMessage(decoding: first))
            let packed = ProtoMessage.varint(2_147_483_647) + ProtoMessage.varint(2_147_483_647)
            tensor.set(2, packed)
            tensor.set(3, [])
            payload.setFirst(4, tensor.encoded)
        }
        try Self.expectError(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", path], in: dir,
                             [path, "of shape [2147483647, 2147483647] needs more than 2^63 bytes"])
    }

    // 6, 7. Policy configurations asking for a 4 TB network, 10^8 layers, or segments of 2^62 tasks.
    @Test func policyConfigurationsBeyondTheirRanges() throws {
        let dir = try Self.scratch("config")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(String, String, String)] = [
            ("hiddenSize", "1048576", "hiddenSize must be in 4...1024, got 1048576"),
            ("gatLayers", "100000000", "gatLayers must be in 0...16, got 100000000"),
            ("segmentSize", "4611686018427387904", "segmentSize must be in 1...4096, got 4611686018427387904"),
            ("samplesPerIteration", "1000000000000", "samplesPerIteration must be in 2...1024, got 1000000000000"),
        ]
        for (key, value, expected) in cases {
            let path = dir + "/\(key).policy"
            try Self.editedPolicy(path) { try Self.setConfig(&$0, key, value) }
            try Self.expectError(["place", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", path], in: dir, [path, expected])
            try Self.expectError(["compile", "graphs/tiny-moe.graph", "--cluster", "k40x4", "--policy", path, "-o", dir + "/x.plan"], in: dir, [expected])
        }
    }

    // 8. NaN, ±Inf or 1e30 reaching an output, and a cluster of 1e-16 FLOP/s: `Double value
    //    cannot be converted to Int` in Quantity.fixed, and the outputs were lost.
    @Test func nonFiniteAndHugeNumbersPrint() throws {
        let dir = try Self.scratch("numbers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.write(dir + "/n.graph", "graph g (%x: f32[4]) -> (%y, %z, %w) {\n  %a = log(%x)\n  %y = div(%a, %a)\n  %z = exp(%x)\n  %w = scale(%x) {factor = 1e30}\n}\n")
        try Self.write(dir + "/in.json", #"{"x": [-1, 0, 1000, 1e30]}"#)
        let r = try CLITests.moegc(["run", dir + "/n.graph", "--reference", "--inputs", dir + "/in.json", "--outputs", dir + "/out.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("%y  f32[4]              mean nan"))
        #expect(r.stdout.contains("%z  f32[4]              mean inf  min 0.3679  max inf"))
        #expect(r.stdout.contains("min -1.0000e30"))
        let out = try String(contentsOfFile: dir + "/out.json", encoding: .utf8)
        #expect(out.contains(#""data": [-1e+30, 0.0, 1e+33, "Infinity"]"#), "\(out)")
        try Self.write(dir + "/slow.cluster", "cluster slow\nkind k flops=1e-16FLOP/s membw=1e-16GB/s memory=12GB launch=5us\nhost h0 net=10Gbit/s latency=25us\ndevice h0.gpu count=2 kind=k link=12GB/s latency=5us\n")
        let slow = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", dir + "/slow.cluster", "--placer", "heft"])
        #expect(slow.status == 0, "\(slow.stderr)")
        #expect(slow.stdout.contains("step time    1.146e21 s"), "\(slow.stdout)")
    }
}

extension CrashRegressionTests {
    static func expectError(_ args: [String], in dir: String, _ fragments: [String], environment: [String: String],
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        let r = try CLITests.moegc(args, environment: environment)
        #expect(r.status == 1, "\(args): status \(r.status)\n\(r.stderr)", sourceLocation: sourceLocation)
        for f in fragments { #expect(r.stderr.contains(f), "\(args): missing '\(f)' in\n\(r.stderr)", sourceLocation: sourceLocation) }
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        #expect(after == before, "\(args) left \(after.subtracting(before).sorted())", sourceLocation: sourceLocation)
    }
}
