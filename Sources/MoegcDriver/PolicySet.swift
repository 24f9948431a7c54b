import Foundation
import MoegcPlacement
import MoegcPolicy
import MoegcSim
import MoegcSupport

/// The graphs of a folder as policy problems on one or more clusters: each (graph, cluster) is
/// lowered, fused, adapted and given its heuristic references once, before training or
/// evaluation starts (the heuristics are the expensive part; nothing is recomputed per iteration).
enum PolicySet {
    /// The `.graph` files of `directory`, sorted by name.
    static func graphFiles(_ directory: String) throws(PolicyError) -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw PolicyError(.io, "cannot list the folder: \(error.localizedDescription)", path: directory)
        }
        let files = names.filter { $0.hasSuffix(".graph") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else { throw PolicyError(.invalidConfiguration, "no .graph files in \(directory)") }
        return files
    }

    /// Every graph of `files` on every cluster (clusters outer), with the references of `set`.
    /// A graph no heuristic can fit on a cluster is skipped with a note on standard error.
    static func problems(_ files: [String], clusters: [Cluster], seed: UInt64, budget: Int?,
                         set: HeuristicSet) throws(PolicyError) -> (problems: [PolicyProblem], seconds: Double) {
        let start = Date()
        var bar = ProgressBar(total: files.count * clusters.count)
        var problems: [PolicyProblem] = []
        for cluster in clusters {
            for file in files {
                let placement = try PolicyProblem.placementProblem(path: file, cluster: cluster, seed: seed)
                do {
                    problems.append(try PolicyProblem.withHeuristics(placement, seed: seed, budget: budget, set: set))
                } catch {
                    Output.err("note: skipping \(file) on \(cluster.name): \(error.description)")
                }
                bar.update(done: problems.count, status: "preparing \((file as NSString).lastPathComponent) on \(cluster.name)")
            }
        }
        bar.finish()
        guard !problems.isEmpty else { throw PolicyError(.invalidConfiguration, "no graph fits any of the clusters") }
        return (problems, Date().timeIntervalSince(start))
    }

    /// The clusters named, or the first error.
    static func clusters(_ names: [String]) throws(PolicyError) -> [Cluster] {
        var out: [Cluster] = []
        for name in names {
            do { out.append(try Cluster.load(name)) } catch {
                throw PolicyError(.invalidConfiguration, "\(error.description)")
            }
        }
        guard !out.isEmpty else { throw PolicyError(.invalidConfiguration, "--clusters names no cluster") }
        return out
    }
}

/// What `moegc place --train-policy --graphs DIR` prints: every problem's best placement found in
/// training against its reference, and the geometric means per cluster.
enum TrainingSetReport {
    static func render(trainer: PolicyTrainer, seconds: Double, samples: Int) -> String {
        let problems = trainer.problems
        var iterations = [Int](repeating: 0, count: problems.count)
        var lastMean = [Double](repeating: 0, count: problems.count)
        for r in trainer.history where r.problem < problems.count {
            iterations[r.problem] += 1
            if r.meanRatio > 0 { lastMean[r.problem] = r.meanRatio }
        }
        var out = "| graph | cluster | tasks | units | reference | ref step (ms) | iterations | best found × ref | last mean sampled × ref |\n"
            + "|---|---|---:|---:|---|---:|---:|---:|---:|\n"
        var byCluster: [String: [Double]] = [:]
        for (p, problem) in problems.enumerated() {
            let best = trainer.bests[p].map { $0.stepTime / problem.reference.stepTime }
            if let best { byCluster[problem.cluster.name, default: []].append(best) }
            out += "| \(problem.name) | \(problem.cluster.name) | \(problem.taskCount) | \(problem.unitCount) | \(problem.reference.name) | "
                + "\(Quantity.fixed(problem.reference.stepTime * 1e3, 3)) | \(iterations[p]) | \(best.map { Quantity.fixed($0, 3) } ?? "—") | "
                + "\(lastMean[p] > 0 ? Quantity.fixed(lastMean[p], 3) : "—") |\n"
        }
        for (cluster, ratios) in byCluster.sorted(by: { $0.key < $1.key }) {
            out += "\(cluster): geometric mean of the best found over the reference \(Quantity.fixed(geometricMean(ratios), 3)) "
                + "over \(ratios.count) graphs\n"
        }
        return out + PolicyTraining.timingLine(trainer, seconds: seconds, samples: samples)
    }

    static func geometricMean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : exp(values.map { log($0) }.reduce(0, +) / Double(values.count))
    }
}
