import MoegcIR
import MoegcPasses
@testable import MoegcPlan
import MoegcSupport
import Testing

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// Plans survive write → read unchanged, and every damaged or foreign file is a clear error.
struct PlanFileTests {
    static func lowered(_ file: String, training: Bool = true) throws -> Graph {
        var g = try Frontend.load(path: repoRoot + "/graphs/" + file)
        try Lowering.run(&g, PassOptions(training: training))
        return g
    }

    static func plan(_ g: Graph, devices: Int, seed: UInt64) -> CompiledPlan {
        var rng = SeededGenerator(seed: seed)
        let e = ExecutionPlan.random(g, devices: devices, fusion: 0.4, generator: &rng)
        return CompiledPlan(execution: e, clusterText: "cluster test\nkind k flops=1TFLOP/s membw=100GB/s memory=1GiB\ndevice d count=\(devices) kind=k link=10GB/s\n",
                            transfers: [.init(value: 3, source: 0, destination: devices - 1, bytes: 4096)],
                            peakMemory: Array(repeating: 1 << 20, count: devices), simulatedStepSeconds: 0.0125,
                            seed: seed, training: true, placer: "random", source: "graphs/x.graph")
    }

    /// The graphs in graphs/ whose lowered form has at most a few thousand nodes (a debug-build unit
    /// test); `moegc bench plan` round-trips every graph, the 137B model included, in a release build.
    static let files: [String] = ((try? FileIO.list(repoRoot + "/graphs")) ?? []).filter {
        $0.hasSuffix(".graph") && ($0.hasPrefix("tiny-") || ["lstm-4x512.graph", "moe-4.graph", "moe-32.graph", "moe-256.graph",
                                                               "moe-256-h.graph", "switch-base-32.graph"].contains($0))
    }

    @Test(.serialized, arguments: files)
    func writeThenReadGivesTheSamePlan(_ file: String) throws {
        let g = try PlanFileTests.lowered(file)
        var plan = PlanFileTests.plan(g, devices: 3, seed: 7)
        // The smallest weight gets data (an embedding table of the paper's models is 1.6 GB).
        let params = g.nodes.filter { $0.op == .param }.map { $0.results[0] }
        if let v = params.min(by: { g.type(of: $0).elementCount! < g.type(of: $1).elementCount! }) {
            let n = g.type(of: v).elementCount!
            plan.weights[g[v].name] = .init(shape: g.type(of: v).shape, values: (0..<n).map { Float($0) * 0.5 - 1 })
        }
        let bytes = PlanFile.encode(plan)
        let back = try PlanFile.decode(bytes)
        // Identical plan: the same graph text (the graph as the IR prints it; source locations of
        // the original file are not part of a plan), placement, costs and weights.
        #expect(GraphText.print(back.graph) == GraphText.print(plan.graph))
        #expect(back.execution.device == plan.execution.device && back.execution.order == plan.execution.order
                && back.execution.group == plan.execution.group && back.execution.deviceCount == plan.execution.deviceCount)
        #expect(back.clusterText == plan.clusterText && back.transfers == plan.transfers && back.peakMemory == plan.peakMemory
                && back.simulatedStepSeconds == plan.simulatedStepSeconds && back.seed == plan.seed && back.training == plan.training
                && back.placer == plan.placer && back.source == plan.source)
        #expect(back.weights == plan.weights)
        #expect(PlanFile.encode(back) == bytes, "encoding is deterministic and reading loses nothing")
    }

    struct Damage: Sendable, CustomTestStringConvertible {
        var name: String
        var code: PlanError.Code
        var message: String
        var testDescription: String { name }
    }

    static let tiny: CompiledPlan = {
        let g = try! lowered("tiny-moe.graph")
        return plan(g, devices: 2, seed: 1)
    }()

    /// A payload re-encoded with `change` applied to a valid plan, with a valid checksum.
    static func tampered(_ change: (inout CompiledPlan) -> Void) -> [UInt8] {
        var p = tiny
        change(&p)
        let payload = PlanFile.encodePayload(p)
        return PlanFile.envelope(payload, version: 1, crc: CRC32.checksum(payload))
    }

    static func cases() -> [(Damage, [UInt8])] {
        let good = PlanFile.encode(tiny)
        let payload = PlanFile.encodePayload(tiny)
        var flipped = good
        flipped[good.count - 40] ^= 0x55
        let g = tiny.execution.graph
        let nodes = g.nodes.count
        return [
            (Damage(name: "empty file", code: .notAPlan, message: "the file is empty; a plan starts with MOEGCPLN"), []),
            (Damage(name: "three bytes", code: .corrupted, message: "the plan is truncated: 3 bytes, less than its 8-byte magic MOEGCPLN"), [0x4D, 0x4F, 0x45]),
            (Damage(name: "three other bytes", code: .notAPlan, message: "not a moegc plan"), [0x4D, 0x4F, 0x46]),
            (Damage(name: "wrong magic", code: .notAPlan, message: "not a moegc plan"), Array("MOEGCPLX".utf8) + Array(good.dropFirst(8))),
            (Damage(name: "a policy checkpoint", code: .notAPlan, message: "this is a policy checkpoint, not a compiled plan"), Array("MOEGCPOL".utf8) + [1, 2, 3]),
            (Damage(name: "a .graph text", code: .notAPlan, message: "this looks like a .graph text"), Array("graph g () -> () {}\n".utf8)),
            (Damage(name: "magic only", code: .corrupted, message: "the plan is truncated: nothing follows its 8-byte magic MOEGCPLN"), PlanFile.magic),
            (Damage(name: "empty envelope", code: .corrupted, message: "the plan is truncated or corrupted: its envelope (2 bytes after the magic) holds no format version"),
             PlanFile.magic + [0x1A, 0x00]),
            (Damage(name: "truncated to half", code: .corrupted, message: "truncated or corrupted"), Array(good.prefix(good.count / 2))),
            (Damage(name: "last byte cut", code: .corrupted, message: "truncated or corrupted"), Array(good.dropLast())),
            (Damage(name: "newer version", code: .unsupportedVersion, message: "plan format version 2 is not supported (this moegc reads version 1); recompile the model"),
             PlanFile.envelope(payload, version: 2, crc: CRC32.checksum(payload))),
            (Damage(name: "version zero", code: .unsupportedVersion, message: "plan format version 0"), PlanFile.envelope(payload, version: 0, crc: CRC32.checksum(payload))),
            (Damage(name: "flipped payload byte", code: .corrupted, message: "the plan is corrupted (its checksum does not match)"), flipped),
            (Damage(name: "wrong checksum", code: .corrupted, message: "its checksum does not match"), PlanFile.envelope(payload, version: 1, crc: 12345)),
            (Damage(name: "garbage payload", code: .corrupted, message: "its payload does not decode"), PlanFile.envelope([0xFF, 0xFF, 0xFF], version: 1, crc: CRC32.checksum([0xFF, 0xFF, 0xFF]))),
            (Damage(name: "graph with an unknown op", code: .invalidGraph, message: "the plan's graph does not parse"),
             tampered { $0.execution.graph.nodes[5].op = .opaque; $0.execution.graph.nodes[5].attributes = Attributes() }),
            (Damage(name: "graph with a wrong type", code: .invalidGraph, message: "the plan's graph fails verification"),
             tampered { p in
                 let i = p.execution.graph.nodes.firstIndex { $0.op == .relu }!
                 p.execution.graph.values[p.execution.graph.nodes[i].results[0].index].type = TensorType(.f32, shape: [1])
             }),
            (Damage(name: "too few node devices", code: .invalidPlan, message: "the plan places \(nodes - 1) nodes, the graph has \(nodes)"),
             tampered { $0.execution.device.removeLast() }),
            (Damage(name: "device out of range", code: .invalidPlan, message: "is placed on device 7, outside 0..<2"),
             tampered { p in p.execution.device[p.execution.order[0][0]] = 7 }),
            (Damage(name: "node missing from the orders", code: .invalidPlan, message: "is in no device's order"),
             tampered { $0.execution.order[0].removeLast() }),
            (Damage(name: "deadlocking order", code: .invalidPlan, message: "cannot run"),
             tampered { p in p.execution.order[0].reverse() }),
            (Damage(name: "group across devices", code: .invalidPlan, message: "spans devices"),
             tampered { p in p.execution.group = Array(repeating: 1, count: nodes) }),
            (Damage(name: "transfer of a missing value", code: .invalidPlan, message: "transfer 0 names a value or device that does not exist"),
             tampered { $0.transfers = [.init(value: 1 << 30, source: 0, destination: 1, bytes: 4)] }),
            (Damage(name: "weight of the wrong shape", code: .invalidPlan, message: "holds 8 bytes of shape [2]"),
             tampered { $0.weights = ["moe.w_gate": .init(shape: [2], values: [1, 2])] }),
            (Damage(name: "weight of a non-parameter", code: .invalidPlan, message: "weight %loss is not a parameter"),
             tampered { $0.weights = ["loss": .init(shape: [2, 4], values: Array(repeating: 0, count: 8))] }),
        ]
    }

    @Test func damagedAndForeignFilesGiveClearErrors() {
        let all = PlanFileTests.cases()
        #expect(all.count >= 20)
        for (damage, bytes) in all {
            do {
                _ = try PlanFile.decode(bytes, path: "m.plan")
                Issue.record("\(damage.name): decoded")
            } catch {
                #expect(error.code == damage.code, "\(damage.name): \(error.code) \(error.message)")
                #expect(error.message.hasPrefix("m.plan: error: ") && error.message.contains(damage.message),
                        "\(damage.name): \(error.message)")
            }
        }
    }

    @Test func placementAnnotationsMustAgree() throws {
        let p = PlanFileTests.tiny
        var g = PlanFile.annotatedGraph(p.execution)
        g.nodes[0].attributes["device"] = .int(1 - p.execution.device[0])
        let payload = PlanFile.encodePayload(p, graphText: GraphText.print(g))
        do {
            _ = try PlanFile.decode(PlanFile.envelope(payload, version: 1, crc: CRC32.checksum(payload)), path: "m.plan")
            Issue.record("a disagreeing annotation was accepted")
        } catch {
            #expect(error.code == .invalidPlan)
            #expect(error.message.contains("is annotated with device \(1 - p.execution.device[0]) but placed on \(p.execution.device[0])"))
        }
    }
}
