import ArgumentParser
import MoegcIR
import MoegcPlan
import MoegcRuntime
import MoegcSupport

extension RunCommand {
    /// Runs a compiled plan on the runtime (or its graph on the reference interpreter).
    func runPlan() throws {
        try requireFixedSizes()
        let plan = try orExit { try PlanFile.read(input.graph) }
        let run = try orExit("\(input.graph): ") {
            try PlanRun(plan, executor: reference ? .reference : .runtime(threads: threads))
        }
        let values = try readInputs(source: plan.graph, graph: plan.graph, seed: plan.seed)
        let result = try orExit("\(input.graph): ") {
            if checkInputs { try InputCheck.requireFinite(values, for: plan.graph) }
            return try run.run(values, steps: steps, trace: trace != nil)
        }
        if let trace { try Moegc.write(trace, RuntimeTrace.json(result.trace, devices: plan.deviceNames)) }
        try report(result.summary, graph: plan.graph, result.outputs)
    }

    /// A plan's sizes are fixed when it is compiled.
    func requireFixedSizes() throws {
        if input.dimensions.batch != nil || input.dimensions.seq != nil || !input.dimensions.dims.isEmpty { Moegc.fail("error: --batch, --seq and --dim re-size a model graph; a plan's sizes are fixed when it is compiled") }
    }

    /// Prints the report (text, or with --json its JSON) and writes --outputs.
    func report(_ summary: RunSummary, graph: Graph, _ outputs: [HostTensor], extra: String = "") throws {
        Output.out(json ? JSON.encode(summary) : summary.text + extra)
        if let path = self.outputs {
            try Moegc.write(path, TensorJSON.write(zip(graph.outputs, outputs).map { (graph[$0.0].name, $0.1) }))
        }
    }
}
