import ArgumentParser
import MoegcIR
import MoegcPasses

/// Options re-sizing a graph's named dimensions.
struct DimensionOptions: ParsableArguments {
    @Option(help: "Override the graph's `batch` dimension.")
    var batch: Int?

    @Option(help: "Override the graph's `seq` dimension.")
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

    /// Loads the graph at `path`, or prints the diagnostics and exits with status 1.
    func load(_ path: String) throws -> Graph {
        if ModelFiles.isONNX(path) { return try ModelFiles.importONNX(path, overrides: overrides).graph }
        do {
            return try Frontend.load(path: path, overrides: overrides)
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }
}

/// Options naming the input graph and re-sizing its named dimensions.
struct GraphOptions: ParsableArguments {
    @Argument(help: "The model graph (.graph text).")
    var graph: String

    @OptionGroup var dimensions: DimensionOptions

    /// Loads the graph, or prints the diagnostics and exits with status 1.
    func load() throws -> Graph { try dimensions.load(graph) }
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

    func load() throws -> Graph { try dimensions.load(try path()) }
}
