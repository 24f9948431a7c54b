import ArgumentParser
import MoegcIR
import MoegcPlan
import MoegcSupport

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a compiled plan readably.",
        discussion: """
        Prints where the plan came from (model, placer, cluster, mode, seed), each device's nodes and \
        expected peak memory, the transfers, the simulated step time and the weights it carries. \
        --graph prints the placed graph instead: the lowered, fused graph with `group`, `device` and \
        `order` on every node, the same text `moegc compile --emit placed` prints, which re-parses.
        """
    )

    @Argument(help: "The plan file.")
    var plan: String

    @Flag(help: "Print the placed graph (.graph text).")
    var graph = false

    @Flag(help: "Print the summary as JSON (schema \"moegc.plan/1\": the text's figures in SI units, exact).")
    var json = false

    func validate() throws {
        if graph && json { throw ValidationError("--graph prints the placed graph as text; --json the summary: give one") }
    }

    func run() throws {
        let p = try orExit { try PlanFile.read(plan) }
        if graph {
            Output.out(GraphText.print(PlanFile.annotatedGraph(p.execution)))
            return
        }
        let summary = PlanSummary(p, file: plan)
        Output.out(json ? JSON.encode(summary) : summary.text)
    }
}
