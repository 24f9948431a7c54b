import Foundation
import Testing
import MoegcIR
import MoegcONNX
import MoegcRuntime

/// `moegc` on ONNX files end to end: each fixture (Tests/MoegcONNXTests/Fixtures) compiled to a plan
/// placed on the cpu2 preset and run on the runtime, and imported to .graph + .safetensors and run
/// on the reference interpreter; both within 1e-5 of the output's largest magnitude of the outputs
/// onnxruntime recorded for the same inputs.
struct ImportCLITests {
    static let fixtures = CLITests.root + "/Tests/MoegcONNXTests/Fixtures"
    static func temp(_ name: String) -> String { NSTemporaryDirectory() + "moegc-import-\(getpid())-\(name)" }

    /// The fixture's inputs as a `--inputs` JSON file, named as the imported graph names them.
    static func inputsJSON(_ fixture: String, _ set: String, graph: Graph) throws -> String {
        let named = try graph.inputs.enumerated().map { (i, v) in
            (graph[v].name, try ONNXImporter.loadTensor(path: "\(fixtures)/\(fixture)/\(set)/input_\(i).pb"))
        }
        // One file per call: tests running at once on the same fixture must not delete each other's.
        let path = temp("\(fixture)-\(set)-\(UUID().uuidString)-inputs.json")
        try TensorJSON.write(named).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func expectClose(_ outputsJSON: String, _ fixture: String, _ set: String, graph: Graph, _ what: String) throws {
        let types = Dictionary(uniqueKeysWithValues: graph.outputs.map { (graph[$0].name, graph.type(of: $0)) })
        let got = try TensorJSON.readNamed(Array(try Data(contentsOf: URL(fileURLWithPath: outputsJSON))), path: outputsJSON, types: types)
        for (i, v) in graph.outputs.enumerated() {
            let e = try ONNXImporter.loadTensor(path: "\(fixtures)/\(fixture)/\(set)/output_\(i).pb")
            let a = try #require(got[graph[v].name])
            let scale = e.floats.map { abs($0) }.max() ?? 1
            let worst = zip(a.floats, e.floats).map { abs($0 - $1) }.max() ?? 0
            #expect(a.shape == e.shape && worst <= 1e-5 * scale, "\(what) \(fixture) \(set): max |moegc − onnxruntime| \(worst), bound \(1e-5 * scale)")
        }
    }

    @Test(arguments: ["mixtral_moe", "qwen2_moe", "mixtral_lm", "gpt2_lm", "ms_moe"])
    func compilePlaceRunMatchesOnnxruntime(_ fixture: String) throws {
        let model = "\(ImportCLITests.fixtures)/\(fixture)/model.onnx"
        let graph = try ONNXImporter.load(path: model).graph
        let plan = ImportCLITests.temp("\(fixture).plan")
        defer { try? FileManager.default.removeItem(atPath: plan) }
        let c = try CLITests.moegc(["compile", model, "--cluster", "cpu2", "--placer", "heft", "--eval", "-o", plan])
        #expect(c.status == 0, "\(c.stderr)")
        for set in ["random", "skewed"] {
            let inputs = try ImportCLITests.inputsJSON(fixture, set, graph: graph), out = ImportCLITests.temp("\(fixture)-\(set)-out.json")
            defer { for p in [inputs, out] { try? FileManager.default.removeItem(atPath: p) } }
            let r = try CLITests.moegc(["run", plan, "--inputs", inputs, "--outputs", out])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("executor: runtime, 2 threads"))
            try ImportCLITests.expectClose(out, fixture, set, graph: graph, "runtime plan of")
        }
    }

    @Test func importWritesGraphAndWeightsThatRunAlone() throws {
        let fixture = "gpt2_lm", model = "\(ImportCLITests.fixtures)/\(fixture)/model.onnx"
        let graphPath = ImportCLITests.temp("gpt2.graph"), weights = ImportCLITests.temp("gpt2.safetensors")
        defer { for p in [graphPath, weights] { try? FileManager.default.removeItem(atPath: p) } }
        let i = try CLITests.moegc(["import", model, "-o", graphPath])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("weights") && FileManager.default.fileExists(atPath: weights))
        // The written graph is canonical text: formatting it changes nothing.
        let f = try CLITests.moegc(["format", graphPath])
        #expect(f.stdout == (try String(contentsOfFile: graphPath, encoding: .utf8)))
        let graph = try ONNXImporter.load(path: model).graph
        let inputs = try ImportCLITests.inputsJSON(fixture, "random", graph: graph), out = ImportCLITests.temp("gpt2-out.json")
        defer { for p in [inputs, out] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try CLITests.moegc(["run", graphPath, "--reference", "--eval", "--inputs", inputs, "--outputs", out])
        #expect(r.status == 0, "\(r.stderr)")
        try ImportCLITests.expectClose(out, fixture, "random", graph: graph, "imported .graph of")
    }

    @Test func badModelsAreClearErrors() throws {
        let bad = ImportCLITests.temp("bad.onnx")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try Data([0x08, 0x07, 0x12, 0xff, 0xff]).write(to: URL(fileURLWithPath: bad))
        let r = try CLITests.moegc(["compile", bad])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(bad): error: not a valid ONNX model: the protobuf is truncated or corrupted"), "\(r.stderr)")
        let g = try CLITests.moegc(["import", "graphs/tiny-moe.graph", "-o", ImportCLITests.temp("x.graph")])
        #expect(g.status == 1)
    }
}
