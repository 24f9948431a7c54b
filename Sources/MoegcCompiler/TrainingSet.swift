import Foundation
import MoegcPlacement
import MoegcPolicy
import MoegcSim
import MoegcSupport

/// The graphs of a folder as policy problems on one or more clusters: each (graph, cluster) is
/// compiled to its placement problem and given its heuristic references once, before training or
/// evaluation starts (the heuristics are the expensive part; nothing is recomputed per iteration).
public enum TrainingSet {
    /// Progress: done of total, and what is being prepared.
    public typealias Progress = (_ done: Int, _ total: Int, _ status: String) -> Void

    /// The `.graph` files of `directory`, sorted by name.
    public static func graphFiles(_ directory: String) throws(PolicyError) -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw PolicyError(.io, "cannot list the folder: \(error.localizedDescription)", path: directory)
        }
        let files = names.filter { $0.hasSuffix(".graph") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
        guard !files.isEmpty else { throw PolicyError(.invalidConfiguration, "no .graph files in \(directory)") }
        return files
    }

    /// The placement problem of a graph file, its failure as a policy error.
    public static func placementProblem(_ file: String, cluster: Cluster, seed: UInt64) throws(PolicyError) -> PlacementProblem {
        do { return try Compilation.placementProblem(path: file, cluster: cluster, seed: seed) } catch {
            throw PolicyError(.invalidConfiguration, error.description)
        }
    }

    /// Every graph of `files` on every cluster (clusters outer), with the references of `set`.
    /// A graph no heuristic can fit on a cluster is skipped and reported in `skipped`.
    public static func problems(_ files: [String], clusters: [Cluster], seed: UInt64, budget: Int?, set: HeuristicSet,
                                progress: Progress) throws(PolicyError) -> (problems: [PolicyProblem], skipped: [String], seconds: Double) {
        let start = Date()
        var problems: [PolicyProblem] = [], skipped: [String] = []
        for cluster in clusters {
            for file in files {
                let placement = try placementProblem(file, cluster: cluster, seed: seed)
                do {
                    problems.append(try PolicyProblem.withHeuristics(placement, seed: seed, budget: budget, set: set))
                } catch {
                    skipped.append("\(file) on \(cluster.name): \(error.description)")
                }
                progress(problems.count, files.count * clusters.count, "preparing \((file as NSString).lastPathComponent) on \(cluster.name)")
            }
        }
        guard !problems.isEmpty else { throw PolicyError(.invalidConfiguration, "no graph fits any of the clusters") }
        return (problems, skipped, Date().timeIntervalSince(start))
    }

    /// The clusters named, or the first error.
    public static func clusters(_ names: [String]) throws(PolicyError) -> [Cluster] {
        var out: [Cluster] = []
        for name in names {
            do { out.append(try Cluster.load(name)) } catch {
                throw PolicyError(.invalidConfiguration, "\(error.description)")
            }
        }
        guard !out.isEmpty else { throw PolicyError(.invalidConfiguration, "--clusters names no cluster") }
        return out
    }

    /// A trained policy on every graph of `files` on `cluster` (`moegc place --evaluate`).
    public static func evaluate(_ files: [String], cluster: Cluster, checkpoint: PolicyCheckpoint, seed: UInt64, budget: Int?,
                                fineTune: Int, progress: Progress) throws(PolicyError) -> [EvaluationRow] {
        var rows: [EvaluationRow] = []
        for (i, file) in files.enumerated() {
            progress(i, files.count, "evaluating \((file as NSString).lastPathComponent)")
            let problem = try placementProblem(file, cluster: cluster, seed: seed)
            rows.append(try PolicyEvaluation.evaluate(problem, checkpoint: checkpoint, seed: seed, budget: budget,
                                                      fineTuneIterations: fineTune))
        }
        progress(files.count, files.count, "done")
        return rows
    }
}
