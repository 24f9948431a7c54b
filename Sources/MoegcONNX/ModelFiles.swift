import MoegcIR
import MoegcPlan
import MoegcRuntime
import MoegcSupport
import Synchronization

/// The model files a command reads besides `.graph` text: ONNX models (imported once per process,
/// their weights kept for the run or the plan), and the safetensors file `moegc import` writes
/// beside an imported `.graph`.
public enum ModelFiles {
    /// Why a model's weights could not be read; the description is the whole message.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func isONNX(_ path: String) -> Bool { path.hasSuffix(".onnx") }

    /// `model.safetensors` for `model.graph` (or `model.onnx`).
    public static func weightsPath(beside path: String) -> String {
        for suffix in [".graph", ".onnx"] where path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) + ".safetensors" }
        return path + ".safetensors"
    }

    /// Imports already made in this process, by path and dimension sizes (a command reads its
    /// model once for the graph and again for its weights).
    private static let imported = Mutex<[String: ImportedModel]>([:])

    /// The ONNX model at `path`, imported with the symbolic dimensions `overrides` gives.
    public static func importONNX(_ path: String, overrides: [String: Int]) throws(ONNXError) -> ImportedModel {
        let key = path + "|" + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ",")
        if let m = imported.withLock({ $0[key] }) { return m }
        let m = try ONNXImporter.load(path: path, dims: overrides)
        imported.withLock { $0[key] = m }
        return m
    }

    /// The model's own weights for `graph` (loaded from `path`): an ONNX model's initializers, or
    /// for a `.graph` with `init = data` parameters the safetensors file beside it. Empty when
    /// the graph has no such parameter.
    public static func weights(for path: String, graph: Graph, overrides: [String: Int]) throws(Failure) -> [String: HostTensor] {
        if isONNX(path) {
            do { return try importONNX(path, overrides: overrides).weights } catch { throw Failure(description: "\(error)") }
        }
        let wanted = graph.nodes.filter { $0.op.schema.isWeight && $0.attributes["init"] == .symbol("data") }
        guard !wanted.isEmpty else { return [:] }
        let file = weightsPath(beside: path)
        let all: [String: HostTensor]
        do { all = try SafeTensors.read(path: file) } catch {
            throw Failure(description: "\(error.description)\n\(path): error: the graph's \(wanted.count) weights with init = data are read from \(file)")
        }
        var out: [String: HostTensor] = [:]
        for node in wanted {
            let name = graph[node.results[0]].name
            if let w = all[name] { out[name] = w }
        }
        return out
    }

    /// The weights a plan of `graph` stores: the model's own (`weights(for:graph:overrides:)`),
    /// then those of the JSON file `json` (named tensors, checked against the graph's
    /// parameters) over them. The errors say "path: error: …".
    public static func planWeights(for path: String, graph: Graph, overrides: [String: Int], json: String?) throws -> [String: CompiledPlan.WeightData] {
        var data = try weights(for: path, graph: graph, overrides: overrides).mapValues { CompiledPlan.WeightData(shape: $0.shape, values: $0.floats) }
        guard let json else { return data }
        var types: [String: TensorType] = [:]
        for node in graph.nodes where node.op.schema.isWeight { types[graph[node.results[0]].name] = graph.type(of: node.results[0]) }
        let given = try TensorJSON.readNamed(try FileIO.read(json), path: json, types: types)
        data.merge(given.mapValues { .init(shape: $0.shape, values: $0.floats) }) { _, given in given }
        return data
    }
}
