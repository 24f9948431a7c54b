import Foundation
import MoegcPlacement
import MoegcSim
import MoegcSupport

/// `moegc place --evaluate`'s table: a trained policy on every graph of a folder, as Markdown (or
/// JSON) of ratios to each graph's best heuristic, with geometric means.
public enum EvaluationTable {
    public static func markdown(_ rows: [EvaluationRow], policy: String, fineTune: Int) -> String {
        let names = Placers.names
        let cluster = rows.first?.cluster ?? ""
        let simulations = rows.first?.fineTuned.simulations ?? 0
        var out = "\(policy) on \(cluster): step time over each graph's best heuristic (lower is better); "
            + "zero-shot greedy and best of 16 (greedy + \(PolicyEvaluation.zeroShotSamples) samples), fine-tuned "
            + "\(fineTune) iterations (\(simulations) simulated placements); † = out of memory\n\n"
        out += "| graph | tasks | " + names.joined(separator: " | ") + " | best heuristic | **greedy** | **best of 16** | **fine-tuned** | bound |\n"
        out += "|---|---:|" + String(repeating: "---:|", count: names.count) + "---|---:|---:|---:|---:|\n"
        func cell(_ p: EvaluationRow.Policy, _ row: EvaluationRow) -> String {
            Quantity.fixed(row.ratio(p.step), 3) + (p.outOfMemory ? "†" : "")
        }
        for row in rows {
            let heuristics = row.heuristics.map { h in h.step.map { Quantity.fixed(row.ratio($0), 3) } ?? "—" }
            out += "| \(row.graph) | \(row.tasks) | " + heuristics.joined(separator: " | ")
                + " | \(row.bestHeuristic) \(Quantity.seconds(row.bestHeuristicStep)) | \(cell(row.greedy, row)) | "
                + "\(cell(row.bestOf16, row)) | \(cell(row.fineTuned, row)) | \(Quantity.fixed(row.ratio(row.lowerBound), 3)) |\n"
        }
        let s = EvaluationSummary(rows)
        let heuristics = s.heuristics.map { h in
            h.graphs == 0 ? "—" : Quantity.fixed(h.geometricMean, 3) + (h.graphs < s.graphs ? " (\(h.graphs))" : "")
        }
        out += "| **geometric mean** | | " + heuristics.joined(separator: " | ") + " | 1 | **\(Quantity.fixed(s.greedy, 3))** | "
            + "**\(Quantity.fixed(s.bestOf16, 3))** | **\(Quantity.fixed(s.fineTuned, 3))** | \(Quantity.fixed(s.lowerBound, 3)) |\n"
        let zeroShot = rows.map(\.zeroShotSeconds).reduce(0, +), tuning = rows.map(\.fineTuneSeconds).reduce(0, +)
        out += "\n(n): the heuristic fits only n of the \(s.graphs) graphs, and its mean is over those. "
        out += "\(s.outOfMemory) policy placements ran out of memory. Wall time: zero-shot \(Quantity.fixed(zeroShot, 1)) s, "
            + "fine-tuning \(Quantity.fixed(tuning, 1)) s over \(s.graphs) graphs.\n"
        return out
    }

    /// The rows and the summary as JSON (sorted keys, so equal evaluations print equal text).
    public static func json(_ rows: [EvaluationRow], policy: String, seed: UInt64, fineTune: Int) -> String {
        struct Document: Encodable {
            var policy: String
            var seed: UInt64
            var fineTuneIterations: Int
            var rows: [EvaluationRow]
            var summary: EvaluationSummary
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let document = Document(policy: policy, seed: seed, fineTuneIterations: fineTune, rows: rows, summary: EvaluationSummary(rows))
        return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
    }
}
