import ArgumentParser
import MoegcIR
import MoegcSupport

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every op of the registry: its level, fusion class, arity, summary and attributes.",
        discussion: "docs/ops.md is this output and the README's op list is --summary's (a test compares them)."
    )

    @Flag(help: "Print one line per kind of op instead (the README's op list).")
    var summary = false

    func run() throws {
        Output.out(summary ? OpCatalogue.summary : OpCatalogue.markdown)
    }
}
