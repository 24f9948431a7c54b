import ArgumentParser
import MoegcDistributed
import MoegcPlan
import MoegcRuntime
import MoegcSupport

extension RunCommand {
    /// `--backend mpi`: this process is one rank of `mpiexec -n R moegc run plan --backend mpi`
    /// (`DistributedLaunch`). Rank 0 prints the report and writes --outputs and --trace.
    func runPlanOnRanks() throws {
        try requireFixedSizes()
        let session = try orExit("error: --backend mpi: ") { try MPISession.start(rankTimeout: rankTimeout ?? 5) }
        let launched = try orExit("\(input.graph): ") {
            try DistributedLaunch.run(on: session, devicesPerRank: devicesPerRank ?? 1, threads: threads, steps: steps, trace: trace != nil) {
                let plan = try orExit { try PlanFile.read(input.graph) }
                let values = try readInputs(source: plan.graph, graph: plan.graph, seed: plan.seed)
                if checkInputs { try orExit("\(input.graph): ") { try InputCheck.requireFinite(values, for: plan.graph) } }
                return (plan, values)
            }
        }
        guard let launched else { return }
        if let trace { try Moegc.write(trace, RuntimeTrace.json(launched.report.trace, devices: launched.plan.deviceNames)) }
        try report(launched.summary, graph: launched.plan.graph, launched.report.outputs)
    }
}
