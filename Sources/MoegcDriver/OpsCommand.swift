import ArgumentParser
import MoegcIR
import MoegcSupport

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every op of the registry: its level, fusion class, arity, summary and attributes.",
        discussion: "The README's op list is this output (a test compares them)."
    )

    func run() throws {
        Output.out(OpCatalogue.markdown)
    }
}
