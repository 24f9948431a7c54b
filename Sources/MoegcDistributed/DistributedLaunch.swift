import MoegcPlan
import MoegcRuntime

/// A compiled plan run by every rank of an MPI job, as `mpiexec -n R moegc run model.plan
/// --backend mpi` runs it. Every rank reads the plan and the inputs and checks the launch; a step
/// runs only once all of them succeeded, so a bad launch is an error on every rank, never a hang of
/// the ranks that got further. Rank 0 gets the run's summary (with the outputs and, when asked, one
/// trace of every rank's events); the other ranks get nil.
public enum DistributedLaunch {
    public struct Result: Sendable {
        public var plan: CompiledPlan
        public var summary: RunSummary
        public var report: DistributedRun.Report
    }

    /// Runs `steps` steps of the plan `prepare` reads (with its inputs) on `session`'s ranks of
    /// `devicesPerRank` devices each, on `threads` threads a rank, and finalises MPI. An error
    /// `prepare` throws is thrown again once every rank knows (ranks that succeeded throw an
    /// `ExecutionError` saying another rank failed); an error in a step ends every rank
    /// (`MPISession.abort`).
    public static func run(on session: MPISession, devicesPerRank: Int, threads: Int?, steps: Int, trace: Bool,
                           prepare: () throws -> (plan: CompiledPlan, inputs: [HostTensor])) throws -> Result? {
        var prepared: (plan: CompiledPlan, run: DistributedRun, inputs: [HostTensor])?
        var failure: (any Error)?
        do {
            let (plan, inputs) = try prepare()
            let run = try DistributedRun(session: session, plan: plan.execution, seed: plan.seed, devicesPerRank: devicesPerRank,
                                         threads: threads, weights: PlanRun.weights(of: plan))
            prepared = (plan, run, inputs)
        } catch {
            failure = error
        }
        let everyone: Bool
        do { everyone = try session.allSucceeded(prepared == nil) } catch {
            throw ExecutionError("rank \(session.rank): \(error.message)")
        }
        guard everyone, let (plan, run, inputs) = prepared else {
            session.finish()
            throw failure ?? ExecutionError("rank \(session.rank): another rank could not start the plan (its error says why); stopping")
        }
        let names = plan.deviceNames
        session.describeRanks { r in
            "rank \(r) (" + run.devices(ofRank: r).map { names[$0] }.joined(separator: ", ") + ")"
        }
        let report: DistributedRun.Report?
        do { report = try run.run(inputs, steps: steps, trace: trace) } catch {
            session.abort("error: rank \(session.rank): \(error.message)")
        }
        session.finish()
        guard let report else { return nil }
        let k = run.devicesPerRank, t = run.runtime.threads, n = session.size
        let executor = "MPI, \(n) rank\(n == 1 ? "" : "s") of \(k) device\(k == 1 ? "" : "s") on \(t) thread\(t == 1 ? "" : "s")"
        return Result(plan: plan, summary: RunSummary(plan: plan, executor: executor, stepSeconds: report.seconds,
                                                      peakBytes: report.peakBytes, outputs: report.outputs),
                      report: report)
    }
}
