import ArgumentParser
import MoegcIR
import MoegcONNX
import MoegcRuntime
import MoegcSupport
import Synchronization

/// `moegc import model.onnx -o model.graph`: the imported graph as canonical `.graph` text, and the
/// model's weights beside it as `model.safetensors` (every `param {init = data}` of the graph).
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an ONNX model: write its graph as .graph text and its weights beside it.",
        discussion: """
        Reads an ONNX model (opsets 13 to 28; initializers and external data), folds its constant \
        subgraphs (shape arithmetic) with moegc's own kernels, and writes the graph of primitives as \
        canonical .graph text; its weights (the model's own, `param {init = data}`) go beside it as \
        a safetensors file of the same base name, which `compile`, `place` and `run --reference` \
        read when given the .graph. Symbolic input dimensions need sizes: --dim NAME=SIZE (or \
        --batch, --seq). `compile`, `place` and `run` also accept the .onnx file itself.
        """
    )

    @OptionGroup var input: GraphOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The .graph file to write (its weights go beside it, as .safetensors).", valueName: "file.graph"))
    var output: String

    func validate() throws {
        guard output.hasSuffix(".graph") else { throw ValidationError("-o names the .graph file to write, got '\(output)'") }
    }

    func run() throws {
        let model = try ModelFiles.importONNX(input.graph, overrides: input.dimensions.overrides)
        var graph = model.graph
        let weightsPath = ModelFiles.weightsPath(beside: output)
        graph.headerComments = ["# Imported by `moegc import` from \(input.graph) (opset \(model.opset)\(model.producer.isEmpty ? "" : ", made by \(model.producer)")).",
                                "# Weights (every param with init = data): \(weightsPath.split(separator: "/").last.map(String.init) ?? weightsPath)"]
        do {
            try FileIO.writeAtomically(weightsPath, SafeTensors.encode(model.weights, metadata: ["format": "moegc", "source": input.graph]))
            try FileIO.writeAtomically(output, text: GraphText.print(graph))
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        let bytes = model.weights.values.reduce(0) { $0 + $1.count * 4 }
        Output.out("\(output): \(graph.nodes.count) nodes from \(model.onnxNodes) ONNX nodes; \(graph.inputs.count) inputs, \(graph.outputs.count) outputs\n"
                   + "\(weightsPath): \(model.weights.count) weights, \(Quantity.bytes(Double(bytes)))")
    }
}

/// The model files the driver reads besides `.graph` text: ONNX models (imported, their weights
/// kept for the run or plan), and the weights file beside an imported `.graph`.
enum ModelFiles {
    static func isONNX(_ path: String) -> Bool { path.hasSuffix(".onnx") }

    /// `model.safetensors` for `model.graph` (or `model.onnx`).
    static func weightsPath(beside path: String) -> String {
        for suffix in [".graph", ".onnx"] where path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) + ".safetensors" }
        return path + ".safetensors"
    }

    /// Imports already made in this process, by path and dimension sizes (a command reads its
    /// model once for the graph and again for its weights).
    static let imported = Mutex<[String: ImportedModel]>([:])

    /// The imported ONNX model at `path`, or the error printed and exit status 1.
    static func importONNX(_ path: String, overrides: [String: Int]) throws -> ImportedModel {
        let key = path + "|" + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ",")
        if let m = imported.withLock({ $0[key] }) { return m }
        do {
            let m = try ONNXImporter.load(path: path, dims: overrides)
            imported.withLock { $0[key] = m }
            return m
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    /// The model's own weights for `graph` (loaded from `path`): an ONNX model's initializers, or
    /// for a `.graph` with `init = data` parameters the safetensors file beside it. Empty when
    /// the graph has no such parameter.
    static func weights(for path: String, graph: Graph, overrides: [String: Int]) throws -> [String: HostTensor] {
        if isONNX(path) { return try importONNX(path, overrides: overrides).weights }
        let wanted = graph.nodes.filter { $0.op == .param && $0.attributes["init"] == .symbol("data") }
        guard !wanted.isEmpty else { return [:] }
        let file = weightsPath(beside: path)
        let all: [String: HostTensor]
        do { all = try SafeTensors.read(path: file) } catch {
            Output.err("\(error.description)\n\(path): error: the graph's \(wanted.count) weights with init = data are read from \(file)")
            throw ExitCode(1)
        }
        var out: [String: HostTensor] = [:]
        for node in wanted {
            let name = graph[node.results[0]].name
            if let w = all[name] { out[name] = w }
        }
        return out
    }
}
