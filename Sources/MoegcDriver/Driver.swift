import ArgumentParser
import Foundation
import MoegcBench
import MoegcSupport

/// The `moegc` command: a thin layer that wires the compiler's stages together.
public struct Moegc: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "moegc",
        abstract: "A graph compiler for Mixture-of-Experts models with learned placement.",
        discussion: """
        Pipeline: .graph text → parse, verify, infer shapes → lower layers (MoE, LSTM, attention) to \
        primitives → fuse → place and schedule on a simulated cluster → plan → run.

        Start with `moegc compile graphs/moe-4.graph` for a model summary.
        """,
        subcommands: [Compile.self, Place.self, RunCommand.self, Inspect.self, Import.self, Ops.self, Gen.self, Format.self, Bench.self]
    )

    public init() {}

    /// Prints a warning on standard error.
    public static func warn(_ message: String) { Output.err("warning: \(message)") }

    /// Prints an error on standard error and exits with status 1.
    public static func fail(_ message: String) -> Never {
        Output.err(message)
        Foundation.exit(1)
    }
}
