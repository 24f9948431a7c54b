import ArgumentParser
import MoegcCompiler
import MoegcPlacement
import MoegcReport
import MoegcSupport

extension Moegc {
    /// Writes the placed step's HTML report to `path` (`compile --report`).
    static func writeReport(_ compilation: Compilation, placer: String, to path: String) throws {
        guard let placed = compilation.placed else { preconditionFailure("writeReport: the model is not placed") }
        let o = compilation.options
        let model = try orExit {
            try ReportModel(problem: placed.problem, placement: placed.evaluation.placement,
                            origin: .init(source: o.file, placer: placer, training: o.training, seed: o.seed))
        }
        try write(path, Report.html(model))
    }

    /// Writes `place --compare --report`: every placer side by side.
    static func writeComparison(_ problem: PlacementProblem, rows: [HeuristicSweep.Row], path: String,
                                options: Compilation.Options, to file: String) throws {
        let page = try orExit {
            try PlacerComparison.html(problem: problem, rows: rows.map { .init(label: $0.label, outcome: $0.outcome) },
                                      source: path, training: options.training, seed: options.seed)
        }
        try write(file, page)
    }
}
