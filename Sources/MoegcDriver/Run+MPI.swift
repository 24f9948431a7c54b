import ArgumentParser
import MoegcDistributed
import MoegcPlan
import MoegcRuntime
import MoegcSupport

extension RunCommand {
    /// `--backend mpi`: this process is one rank of `mpiexec -n R moegc run plan --backend mpi`.
    /// Every rank reads the plan and the inputs and checks the launch; a step runs only once all
    /// of them succeeded, so a bad launch is an error on every rank, never a hang of the ranks that
    /// got further. Rank 0 prints the report and writes --outputs.
    func runPlanOnRanks() throws {
        if input.dimensions.batch != nil || input.dimensions.seq != nil || !input.dimensions.dims.isEmpty {
            Output.err("error: --batch, --seq and --dim re-size a model graph; a plan's sizes are fixed when it is compiled")
            throw ExitCode(1)
        }
        let session: MPISession
        do { session = try MPISession.start(rankTimeout: rankTimeout ?? 5) } catch {
            Output.err("error: --backend mpi: \(error.message)")
            throw ExitCode(1)
        }
        var prepared: (plan: CompiledPlan, run: DistributedRun, inputs: [HostTensor])?
        do {
            let plan = try PlanFile.read(input.graph)
            let weights = plan.weights.mapValues { HostTensor($0.shape, floats: $0.values) }
            let values = try readInputs(source: plan.graph, graph: plan.graph, seed: plan.seed)
            if checkInputs { try InputCheck.requireFinite(values, for: plan.graph) }
            let run = try DistributedRun(session: session, plan: plan.execution, seed: plan.seed,
                                         devicesPerRank: devicesPerRank ?? 1, threads: threads, weights: weights)
            prepared = (plan, run, values)
        } catch is ExitCode {
            // readInputs printed why.
        } catch let e as PlanError {
            Output.err(e.description)
        } catch let e as ExecutionError {
            Output.err("\(input.graph): \(e)")
        } catch {
            Output.err("\(error)")
        }
        let everyone: Bool
        do { everyone = try session.allSucceeded(prepared == nil) } catch {
            Output.err("error: rank \(session.rank): \(error.message)")
            throw ExitCode(1)
        }
        guard everyone, let (plan, run, values) = prepared else {
            if prepared != nil { Output.err("error: rank \(session.rank): another rank could not start the plan (its error says why); stopping") }
            session.finish()
            throw ExitCode(1)
        }
        let names = plan.deviceNames
        session.describeRanks { r in
            "rank \(r) (" + run.devices(ofRank: r).map { names[$0] }.joined(separator: ", ") + ")"
        }
        let report: DistributedRun.Report?
        do { report = try run.run(values, steps: steps, trace: trace != nil) } catch {
            session.abort("error: rank \(session.rank): \(error.message)")
        }
        session.finish()
        guard let report else { return }
        let k = run.devicesPerRank, t = run.runtime.threads
        let summary = RunCommand.summary(plan, executor: "MPI, \(session.size) rank\(session.size == 1 ? "" : "s") of \(k) device\(k == 1 ? "" : "s") on \(t) thread\(t == 1 ? "" : "s")",
                                         stepSeconds: report.seconds, peakBytes: report.peakBytes, outputs: report.outputs)
        if let trace {
            do { try FileIO.writeAtomically(trace, text: RuntimeTrace.json(report.trace, devices: names)) } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        }
        try self.report(summary, graph: plan.graph, report.outputs)
    }
}
