import Foundation
import MoegcPlan
import MoegcPolicy
import Testing

/// The malformed-input corpus of Tests/Malformed (issue 19): every reader and every flag fed a
/// bad input through the `moegc` binary. Each case must exit with status 1 — not a signal, not a
/// usage code — print every expected fragment on standard error (the file, the place, what would be
/// valid), and leave no file behind.
struct MalformedCorpusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var environment: [String: String]
        var fragments: [String]
        var testDescription: String { name }
    }

    static let directory = CLITests.root + "/Tests/Malformed"
    static let inputs = directory + "/inputs"

    static let cases: [Case] = {
        guard let text = try? String(contentsOfFile: directory + "/cases.txt", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Case? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            let parts = trimmed.components(separatedBy: " | ")
            guard parts.count == 3 else { return Case(name: "malformed line: \(trimmed)", arguments: [], environment: [:], fragments: []) }
            var environment: [String: String] = [:], arguments: [String] = []
            for word in parts[1].split(separator: " ").map(String.init) {
                if word.hasPrefix("env:"), let eq = word.firstIndex(of: "=") {
                    environment[String(word[word.index(word.startIndex, offsetBy: 4)..<eq])] = String(word[word.index(after: eq)...])
                } else {
                    arguments.append(word)
                }
            }
            return Case(name: parts[0].trimmingCharacters(in: .whitespaces), arguments: arguments, environment: environment,
                        fragments: parts[2].components(separatedBy: ";;"))
        }
    }()

    /// A plan of tiny-moe, compiled once for the recipes that damage one.
    static let tinyPlan: [UInt8] = {
        let path = NSTemporaryDirectory() + "moegc-malformed-\(getpid())-tiny.plan"
        _ = try? CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--placer", "single", "-o", path])
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }()

    static let deepGraph = "graph g (%x: f32[2]) -> (%y) {\n  %y = relu(%x) {a = " + String(repeating: "[", count: 40_000)
        + String(repeating: "]", count: 40_000) + "}\n}\n"

    /// Writes the input a `{gen:RECIPE}` names into `dir`; returns its path.
    static func generate(_ recipe: String, in dir: String) throws -> String {
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
            return dir + "/" + name
        }
        let policy = Array(try Data(contentsOf: URL(fileURLWithPath: CLITests.root + "/policies/moegc-default.policy")))
        switch recipe {
        case "deep-graph": return try write("deep.graph", Array(deepGraph.utf8))
        case "deep-json": return try write("deep.json", Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8))
        case "empty": return try write("empty", [])
        case "tiny-plan": return try write("tiny.plan", tinyPlan)
        case "plan-magic-only": return try write("magic.plan", PlanFile.magic)
        case "plan-truncated-magic": return try write("short.plan", Array(PlanFile.magic.prefix(5)))
        case "plan-bit-flip":
            var bytes = tinyPlan
            bytes[bytes.count - 40] ^= 0x55
            return try write("flipped.plan", bytes)
        case "plan-truncated": return try write("half.plan", Array(tinyPlan.prefix(tinyPlan.count / 2)))
        case "plan-deep-graph":
            let payload = try #require(PlanFile.payload(of: tinyPlan))
            var message = try #require(ProtoMessage(decoding: payload))
            message.set(1, Array(deepGraph.utf8))
            return try write("deep.plan", PlanFile.frame(payload: message.encoded))
        case "policy-tensor-shape":
            let payload = try #require(CheckpointFile.payload(of: policy))
            var message = try #require(ProtoMessage(decoding: payload))
            let first = try #require(message.bytes(4))
            var tensor = try #require(ProtoMessage(decoding: first))
            tensor.set(2, ProtoMessage.varint(2_147_483_647) + ProtoMessage.varint(2_147_483_647))
            tensor.set(3, [])
            message.setFirst(4, tensor.encoded)
            return try write("tensor.policy", CheckpointFile.frame(payload: message.encoded))
        case "policy-truncated": return try write("truncated.policy", Array(policy.prefix(1000)))
        case "policy-bad-crc":
            var bytes = policy
            bytes[bytes.count / 2] ^= 0x55
            return try write("crc.policy", bytes)
        default:
            // policy-KEY-VALUE: the shipped policy with one configuration number replaced.
            let parts = recipe.split(separator: "-", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == "policy" else { throw CocoaError(.featureUnsupported) }
            let payload = try #require(CheckpointFile.payload(of: policy))
            var message = try #require(ProtoMessage(decoding: payload))
            let json = String(decoding: try #require(message.bytes(1)), as: UTF8.self)
            let edited = json.replacingOccurrences(of: "\"\(parts[1])\":[0-9.e+-]+", with: "\"\(parts[1])\":\(parts[2])", options: .regularExpression)
            #expect(edited != json, "no \(parts[1]) in the stored configuration")
            message.set(1, Array(edited.utf8))
            return try write("\(parts[1]).policy", CheckpointFile.frame(payload: message.encoded))
        }
    }

    static func files(_ dir: String) -> Set<String> {
        Set(FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
    }

    @Test func theCorpusHoldsEveryKind() {
        #expect(Self.cases.count >= 80, "\(Self.cases.count) cases")
        #expect(Set(Self.cases.map(\.name)).count == Self.cases.count, "case names are unique")
        #expect(!Self.cases.contains { $0.arguments.isEmpty }, "every line parses")
    }

    @Test(arguments: MalformedCorpusTests.cases)
    func eachCaseIsAClearErrorAndLeavesNoFile(_ c: Case) throws {
        let dir = NSTemporaryDirectory() + "moegc-malformed-\(getpid())-\(c.name)"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func substitute(_ s: String) throws -> String {
            var s = s.replacingOccurrences(of: "{in}", with: "Tests/Malformed/inputs").replacingOccurrences(of: "{dir}", with: dir)
            while let r = s.range(of: #"\{gen:[^}]+\}"#, options: .regularExpression) {
                let recipe = String(s[r].dropFirst(5).dropLast())
                s.replaceSubrange(r, with: try Self.generate(recipe, in: dir))
            }
            return s
        }
        let arguments = try c.arguments.map(substitute)
        let fragments = c.fragments.map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "{in}", with: "Tests/Malformed/inputs")
                .replacingOccurrences(of: "{dir}", with: dir)
        }
        let before = (Self.files(dir), Self.files(Self.inputs), Self.files(CLITests.root + "/policies"))
        let r = try CLITests.moegc(arguments, environment: c.environment)
        #expect(r.status == 1, "\(c.name): status \(r.status)\n\(r.stderr)")
        for f in fragments where !f.isEmpty {
            #expect(r.stderr.contains(f), "\(c.name): '\(f)' not in\n\(r.stderr)")
        }
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"), "\(c.name) crashed:\n\(r.stderr)")
        let after = (Self.files(dir), Self.files(Self.inputs), Self.files(CLITests.root + "/policies"))
        #expect(after.0 == before.0, "\(c.name) left \(after.0.subtracting(before.0).sorted()) in its directory")
        #expect(after.1 == before.1 && after.2 == before.2, "\(c.name) left a file among the inputs or policies")
    }
}
