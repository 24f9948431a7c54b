import Foundation
import MoegcIR
@testable import MoegcPolicy
import MoegcSim
import Testing

/// Long training runs on the paper's graphs for ablations the CLI does not expose (units, hint):
/// measurements, not unit tests. Enabled only when
/// `MOEGC_POLICY_TRAIN` names graph files (comma-separated, relative to graphs/); other settings:
/// `MOEGC_POLICY_CLUSTERS` (default `k40x4,k40x16`), `MOEGC_POLICY_ITERATIONS` (default 200),
/// `MOEGC_POLICY_OUT` (directory for learning-curve CSVs, default /tmp), `MOEGC_POLICY_PRIORITY`
/// (`0` turns the priority head off), `MOEGC_POLICY_UNITS` (`0`: one decision per task), `MOEGC_POLICY_HINT` (`0`: no heuristic hint), and overrides `MOEGC_POLICY_LR`, `_ENTROPY`, `_CLONING`,
/// `_SAMPLES`, `_EPOCHS`, `_KL` of the training defaults. Prints the comparison table and the time breakdown.
@Suite struct PaperGraphTraining {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["MOEGC_POLICY_TRAIN"] != nil))
    func trainOnPaperGraphs() throws {
        let env = Self.environment
        let graphs = env["MOEGC_POLICY_TRAIN"]!.split(separator: ",").map(String.init)
        let clusters = (env["MOEGC_POLICY_CLUSTERS"] ?? "k40x4,k40x16").split(separator: ",").map(String.init)
        let iterations = Int(env["MOEGC_POLICY_ITERATIONS"] ?? "") ?? 200
        let out = env["MOEGC_POLICY_OUT"] ?? "/tmp"
        for file in graphs {
            for clusterName in clusters {
                let cluster = try #require(Cluster.preset(clusterName))
                let p = try paperProblem(path: graphsDirectory() + "/" + file, cluster: cluster, useUnits: env["MOEGC_POLICY_UNITS"] != "0")
                var policyConfig = PolicyConfig()
                policyConfig.priorityHead = env["MOEGC_POLICY_PRIORITY"] != "0"
                policyConfig.referenceHint = env["MOEGC_POLICY_HINT"] != "0"
                var config = TrainingConfig()
                config.iterations = iterations
                func number(_ key: String) -> Double? { env[key].flatMap(Double.init) }
                if let x = number("MOEGC_POLICY_LR") { config.learningRate = Float(x) }
                if let x = number("MOEGC_POLICY_ENTROPY") { config.entropyStart = Float(x); config.entropyEnd = Float(x) / 10 }
                if let x = number("MOEGC_POLICY_CLONING") { config.cloningSteps = Int(x) }
                if let x = number("MOEGC_POLICY_SAMPLES") { config.samplesPerIteration = Int(x) }
                if let x = number("MOEGC_POLICY_EPOCHS") { config.epochs = Int(x) }
                if let x = number("MOEGC_POLICY_KL") { config.targetKL = Float(x) }
                var trainer = try PolicyTrainer(problem: p, policyConfig: policyConfig, config: config)
                print("== \(file) on \(clusterName): \(p.taskCount) tasks, \(p.unitCount) units, \(p.graph.edgeCount) edges, bound \(p.lowerBound)")
                for r in p.references { print("   \(r.name): \(r.stepTime) (\(r.stepTime / p.lowerBound)× bound)") }
                let start = Date()
                var cloning = (0.0, 0.0)
                while !trainer.isCloningFinished { cloning = trainer.cloneStep() }
                print("   cloning: \(trainer.cloningSteps) steps, loss \(cloning.0), accuracy \(cloning.1)")
                while !trainer.isFinished {
                    let r = trainer.iterate()
                    if r.iteration % 10 == 0 || r.iteration == 1 {
                        print(String(format: "   it %4d reward %.4f best %.4g (%.3f× ref) entropy %.3f kl %.4f clip %.2f oom %.2f  %.1fs",
                                     r.iteration, r.meanReward, r.bestStep, r.bestStep / p.reference.stepTime, r.entropy,
                                     r.approxKL, r.clipFraction, r.outOfMemoryFraction, Date().timeIntervalSince(start)))
                    }
                }
                let elapsed = Date().timeIntervalSince(start)
                let t = trainer.timing
                let placer = try PolicyPlacer(trainer.checkpoint)
                let greedy = try placer.place(p)
                let bestOf16 = try placer.place(p, samples: 16)
                let best = trainer.best?.stepTime ?? .infinity
                print("   RESULT \(file) \(clusterName): tasks \(p.taskCount) | reference \(p.reference.name) \(p.reference.stepTime) | "
                      + "policy best \(best) (\(best / p.reference.stepTime)× ref, \(best / p.lowerBound)× bound) | greedy \(greedy.outcome.stepTime) "
                      + "(\(greedy.outcome.stepTime / p.reference.stepTime)×) | best-of-16 \(bestOf16.outcome.stepTime) "
                      + "(\(bestOf16.outcome.stepTime / p.reference.stepTime)×)")
                print(String(format: "   TIME %.1fs, %d samples, %.1f samples/s; forward %.1fs backward %.1fs simulation %.1fs sampling %.1fs optimizer %.1fs",
                             elapsed, trainer.samples, Double(trainer.samples) / elapsed, t.forward, t.backward, t.simulation, t.sampling, t.optimizer))
                let stem = "\(out)/\(file.replacingOccurrences(of: ".graph", with: ""))-\(clusterName)"
                try LearningCurve.csv(trainer.history, reference: p.reference.stepTime)
                    .write(toFile: stem + ".csv", atomically: true, encoding: .utf8)
                let levels = p.references.filter { $0.stepTime < 3 * p.reference.stepTime }.map { ($0.name, $0.stepTime) }
                    + [("lower bound", p.lowerBound)]
                try LearningCurve.svg(trainer.history, reference: p.reference.stepTime, levels: levels,
                                      title: "\(p.name) on \(clusterName): \(p.unitCount) units, step / \(p.reference.name)")
                    .write(toFile: stem + ".svg", atomically: true, encoding: .utf8)
            }
        }
    }
}
