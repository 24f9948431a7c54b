import ArgumentParser
import MoegcPlacement
import MoegcPolicy

extension Place {
    /// `--train-policy` and `--policy`: the learned placer on the fused problem, measured against
    /// every heuristic placer (the best of them is the reward's reference and the cloning target).
    func runPolicy(_ problem: PlacementProblem) throws {
        let policyProblem: PolicyProblem
        do {
            policyProblem = try PolicyProblem.withHeuristics(problem, seed: mode.seed, budget: placement.budget)
        } catch {
            Output.err("error: \(error.description)")
            throw ExitCode(1)
        }
        do {
            if learned.train {
                Output.out(try PolicyTraining.train(policyProblem, options: learned, seed: mode.seed))
                return
            }
            let (decision, outcome) = try PolicyTraining.place(policyProblem, options: learned, seed: mode.seed)
            Output.out(PolicyTraining.placementReport(policyProblem, decision: decision, outcome: outcome,
                                                      samples: learned.samples))
            if outcome.outOfMemory { throw ExitCode(1) }
        } catch let error as PolicyError {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }
}
