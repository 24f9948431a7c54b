import ArgumentParser
import MoegcCompiler
import MoegcRuntime
import MoegcIR
import MoegcONNX
import MoegcSupport

/// Options re-sizing a graph's named dimensions.
struct DimensionOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Override the graph's `batch` dimension.")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Override the graph's `seq` dimension.")
    var seq: Int?

    @Option(name: .customLong("dim"), help: ArgumentHelp("Override any named dimension, as NAME=SIZE (repeatable).",
                                                         valueName: "name=size"))
    var dims: [String] = []

    func validate() throws {
        for d in dims where parseDim(d) == nil {
            throw ValidationError("--dim expects NAME=SIZE with a positive size, got '\(d)'")
        }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let seq, seq < 1 { throw ValidationError("--seq must be at least 1, got \(seq)") }
    }

    private func parseDim(_ s: String) -> (String, Int)? {
        let parts = s.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let v = Int(parts[1]), v >= 1, !parts[0].isEmpty else { return nil }
        return (String(parts[0]), v)
    }

    var overrides: [String: Int] {
        var o: [String: Int] = [:]
        for d in dims { if let (k, v) = parseDim(d) { o[k] = v } }
        if let batch { o["batch"] = batch }
        if let seq { o["seq"] = seq }
        return o
    }

    /// The ONNX model at `path` (`ModelFiles`), or the error printed and exit status 1.
    func importONNX(_ path: String) throws -> ImportedModel {
        do { return try ModelFiles.importONNX(path, overrides: overrides) } catch { Moegc.fail("\(error)") }
    }

    /// The model's own weights for `graph` read from `path` (`ModelFiles.weights`), or the error
    /// printed and exit status 1.
    func weights(for path: String, graph: Graph) -> [String: HostTensor] {
        do { return try ModelFiles.weights(for: path, graph: graph, overrides: overrides) } catch { Moegc.fail("\(error)") }
    }

    /// The model at `path` through its front end (`.onnx`: the ONNX importer; else `.graph` text),
    /// or the diagnostics printed and exit status 1.
    func load(_ path: String, options: Compilation.Options = Compilation.Options()) throws -> Compilation {
        if ModelFiles.isONNX(path) {
            var options = options
            options.file = path
            return Compilation(source: try importONNX(path).graph, options: options)
        }
        return try orExit { try Compilation.load(path: path, overrides: overrides, options: options) }
    }
}

/// Options naming the input graph and re-sizing its named dimensions.
struct GraphOptions: ParsableArguments {
    @Argument(help: "The model graph (.graph text).")
    var graph: String

    @OptionGroup var dimensions: DimensionOptions

    /// The model through the front end, or the diagnostics printed and exit status 1.
    func load(_ options: Compilation.Options = Compilation.Options()) throws -> Compilation {
        try dimensions.load(graph, options: options)
    }
}

/// The input of `moegc place`: a graph, except when a policy trains or is evaluated over a
/// folder of graphs (`--graphs`).
struct OptionalGraphOptions: ParsableArguments {
    @Argument(help: "The model graph (.graph text); not with --graphs.")
    var graph: String?

    @OptionGroup var dimensions: DimensionOptions

    /// The graph's path (a usage error when none was given).
    func path() throws -> String {
        guard let graph else { throw ValidationError("give a model graph (or --graphs DIR with --train-policy or --evaluate)") }
        return graph
    }

    func load(_ options: Compilation.Options = Compilation.Options()) throws -> Compilation {
        try dimensions.load(try path(), options: options)
    }
}
