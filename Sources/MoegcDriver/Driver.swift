import ArgumentParser
import Foundation
import MoegcBench
import MoegcCompiler
import MoegcSim
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
        subcommands: [Compile.self, Place.self, Simulate.self, RunCommand.self, Inspect.self, ReportCommand.self, Import.self, Ops.self, Gen.self, Format.self, Bench.self]
    )

    public init() {}

    /// Prints a warning on standard error.
    public static func warn(_ message: String) { Output.err("warning: \(message)") }

    /// Writes `text` to `path` atomically; prints why it could not and exits 1.
    static func write(_ path: String, _ text: String) throws {
        try orExit { try FileIO.writeAtomically(path, text: text) }
    }

    /// Writes the placed step's simulated timeline to `path` as a Chrome trace.
    static func writeTrace(_ compilation: Compilation, to path: String) throws {
        do { try write(path, try compilation.simulatedTrace()) } catch let error as SimulationError {
            fail("error: \(error)")
        }
    }

    /// Prints an error on standard error and exits with status 1.
    public static func fail(_ message: String) -> Never {
        Output.err(message)
        Foundation.exit(1)
    }
}

/// Runs `body`; when it throws, prints `prefix` and the error on standard error and exits 1
/// (through ArgumentParser's `ExitCode`, so `defer`s run). An `ExitCode` passes through: whoever
/// threw it has said why.
func orExit<T, E: Error>(_ prefix: String = "", _ body: () throws(E) -> T) throws -> T {
    do { return try body() } catch {
        if let exit = error as? ExitCode { throw exit }
        Output.err(prefix + "\(error)")
        throw ExitCode(1)
    }
}
