import ArgumentParser
import MoegcIR
import MoegcONNX
import MoegcRuntime
import MoegcSupport

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
        let model = try input.dimensions.importONNX(input.graph)
        var graph = model.graph
        let weightsPath = ModelFiles.weightsPath(beside: output)
        graph.headerComments = ["# Imported by `moegc import` from \(input.graph) (opset \(model.opset)\(model.producer.isEmpty ? "" : ", made by \(model.producer)")).",
                                "# Weights (every param with init = data): \(weightsPath.split(separator: "/").last.map(String.init) ?? weightsPath)"]
        try orExit { try FileIO.writeAtomically(weightsPath, SafeTensors.encode(model.weights, metadata: ["format": "moegc", "source": input.graph])) }
        try Moegc.write(output, GraphText.print(graph))
        let bytes = model.weights.values.reduce(0) { $0 + $1.count * 4 }
        Output.out("\(output): \(graph.nodes.count) nodes from \(model.onnxNodes) ONNX nodes; \(graph.inputs.count) inputs, \(graph.outputs.count) outputs\n"
                   + "\(weightsPath): \(model.weights.count) weights, \(Quantity.bytes(Double(bytes)))")
    }
}
