import ArgumentParser
import MoegcPlan
import MoegcReport
import MoegcSupport

/// `moegc report`: a compiled plan (and a measured trace) as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a compiled plan's placement report: one self-contained HTML file (inline SVG, no script, no network).",
        discussion: """
        Simulates the plan's step again and draws: the summary (model, cluster, placer, step time, \
        bounds and ratio, parameters, memory, each device's busy time and peak), the placement \
        picture (layers × devices, experts apart, cross-device edges by bytes; hover for ops, \
        shapes, device and cost), each device's timeline (with --trace, the measured one beside it), \
        memory over the step against capacity, and the device × device bytes moved. Also \
        `compile … --report FILE` and `place --compare --report FILE`. A section alone: open \
        FILE.html#placement (or #summary, #timeline, #memory, #transfers).
        """
    )

    @Argument(help: "The plan file (`moegc compile … -o FILE.plan`).")
    var plan: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write (atomically).", valueName: "report.html"))
    var output: String

    @Option(help: ArgumentHelp("A measured step (`moegc run PLAN --trace FILE`) to show beside the simulated one.", valueName: "run.json"))
    var trace: String?

    func run() throws {
        let p = try orExit { try PlanFile.read(plan) }
        let model = try orExit {
            try ReportModel(plan: p, file: plan, measured: try trace.map { path throws(ReportError) in try MeasuredTrace.read(path) })
        }
        try Moegc.write(output, Report.html(model))
    }
}
