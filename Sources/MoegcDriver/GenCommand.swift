import ArgumentParser
import MoegcIR
import MoegcModels
import MoegcPasses
import MoegcSupport

extension ModelFamily: ExpressibleByArgument {}

struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write model graphs of a family (training and evaluation sets for placement policies).",
        discussion: "Families:\n" + ModelFamily.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n")
            + "\n\nOptions left out are drawn from the family's range with --seed. Every graph written is checked (parsed, shapes inferred) and canonical."
    )

    @Argument(help: "The family: \(ModelFamily.allCases.map(\.rawValue).joined(separator: ", ")).")
    var family: ModelFamily

    @Option(parsing: .unconditional, help: "Seed of the options drawn at random.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Batch size.") var batch: Int?
    @Option(parsing: .unconditional, help: "Sequence length.") var seq: Int?
    @Option(parsing: .unconditional, help: "Layers (blocks).") var layers: Int?
    @Option(parsing: .unconditional, help: "Model width (d_model / LSTM units); for opaque: ops per layer.") var width: Int?
    @Option(parsing: .unconditional, help: "Experts in all (moe-lm, switch, gnmt; 0 turns gnmt's MoE off).") var experts: Int?
    @Option(parsing: .unconditional, help: "Groups of a hierarchical MoE (moe-lm, gnmt; 1: flat).") var groups: Int?
    @Option(parsing: .unconditional, help: "Experts per token (flat MoE).") var k: Int?
    @Option(parsing: .unconditional, help: "Ops (opaque).") var nodes: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("Write the graph to this file (atomically) instead of standard output.", valueName: "file"))
    var output: String?
    @Option(parsing: .unconditional, help: "Write this many graphs (seeds seed, seed+1, …) into --out-dir.") var count: Int?
    @Option(help: ArgumentHelp("Folder for --count graphs, named FAMILY-SEED.graph.", valueName: "dir")) var outDir: String?

    /// The sizes a generated graph may take: the paper's largest model (131072 experts, width
    /// 512, 2560 tokens) fits well inside them, and every graph they allow can be lowered.
    static let ranges: [(String, ClosedRange<Int>)] = [
        ("batch", 1...65536), ("seq", 1...65536), ("layers", 1...1024), ("width", 1...65536),
        ("experts", 0...(1 << 20)), ("groups", 1...(1 << 16)), ("k", 1...1024), ("nodes", 1...1_000_000), ("count", 1...100_000),
    ]

    func validate() throws {
        let given = ["batch": batch, "seq": seq, "layers": layers, "width": width, "experts": experts, "groups": groups,
                     "k": k, "nodes": nodes, "count": count]
        for (name, range) in Gen.ranges {
            if let v = given[name] ?? nil, !range.contains(v) {
                throw ValidationError("--\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
            }
        }
        if (count == nil) != (outDir == nil) { throw ValidationError("--count and --out-dir go together") }
        if count != nil && output != nil { throw ValidationError("use either --output or --count/--out-dir") }
    }

    func run() throws {
        var o = ModelOptions()
        (o.batch, o.seq, o.layers, o.width, o.experts, o.groups, o.k, o.nodes) = (batch, seq, layers, width, experts, groups, k, nodes)
        if let count, let outDir {
            guard FileIO.isDirectory(outDir) else { Moegc.fail("\(outDir): error: not a directory") }
            for i in 0..<UInt64(count) {
                let name = "\(family.rawValue)-\(seed + i)"
                try Moegc.write(outDir + "/" + name + ".graph", try make(o, seed: seed + i, name: name))
            }
            return
        }
        let text = try make(o, seed: seed, name: "\(family.rawValue)-\(seed)")
        if let output { try Moegc.write(output, text) } else { Output.out(text) }
    }

    /// The family's text, checked by the front end and printed canonically.
    func make(_ o: ModelOptions, seed: UInt64, name: String) throws -> String {
        let graphName = name.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let text = family.text(o, seed: seed, name: String(graphName))
        do {
            // A graph is only written if it can also be lowered here (its layers expanded within the memory limits).
            let graph = try Frontend.load(bytes: Array(text.utf8), path: name + ".graph")
            try Lowering.checkSize(graph, PassOptions(file: name + ".graph"))
            return GraphText.print(graph)
        } catch { Moegc.fail("these options make an invalid \(family.rawValue) graph:\n\(error)") }
    }
}
