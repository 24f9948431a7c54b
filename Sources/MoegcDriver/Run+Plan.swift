import ArgumentParser
import MoegcIR
import MoegcPlan
import MoegcRuntime
import MoegcSim
import MoegcSupport

extension RunCommand {
    /// Runs a compiled plan on the runtime (or its graph on the reference interpreter).
    func runPlan() throws {
        if input.dimensions.batch != nil || input.dimensions.seq != nil || !input.dimensions.dims.isEmpty {
            Output.err("error: --batch, --seq and --dim re-size a model graph; a plan's sizes are fixed when it is compiled")
            throw ExitCode(1)
        }
        let plan: CompiledPlan
        do { plan = try PlanFile.read(input.graph) } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        let graph = plan.graph
        let weights = plan.weights.mapValues { HostTensor($0.shape, floats: $0.values) }
        // The memory check before any input is made (the runtime and the interpreter check again).
        do {
            if reference { try RunMemory.checkInterpreter(graph) } else { try RunMemory.checkRuntime(plan.execution) }
        } catch {
            Output.err("\(input.graph): \(error)")
            throw ExitCode(1)
        }
        let values = try readInputs(source: graph, graph: graph, seed: plan.seed)
        let deviceNames = plan.deviceNames
        let summary: RunSummary
        var outputs: [HostTensor]
        do {
            if checkInputs { try InputCheck.requireFinite(values, for: graph) }
            if reference {
                outputs = try ReferenceInterpreter(graph: graph, seed: plan.seed, weights: weights).run(values).outputs
                summary = RunCommand.summary(plan, executor: "reference interpreter", stepSeconds: [], peakBytes: [], outputs: outputs)
            } else {
                let runtime = try Runtime(plan: plan.execution, seed: plan.seed, threads: threads, weights: weights)
                var times: [Double] = [], last: Runtime.Step? = nil
                for s in 0..<steps {
                    let step = try runtime.run(values, trace: trace != nil && s == steps - 1)
                    times.append(step.seconds)
                    last = step
                }
                outputs = last!.outputs
                summary = RunCommand.summary(plan, executor: "runtime, \(runtime.threads) thread\(runtime.threads == 1 ? "" : "s")",
                                             stepSeconds: times, peakBytes: last!.peakBytes, outputs: outputs)
                if let trace {
                    do { try FileIO.writeAtomically(trace, text: RuntimeTrace.json(last!.trace, devices: deviceNames)) } catch {
                        Output.err(error.description)
                        throw ExitCode(1)
                    }
                }
            }
        } catch let e as ExecutionError {
            Output.err("\(input.graph): \(e)")
            throw ExitCode(1)
        }
        try report(summary, graph: graph, outputs)
    }

    /// The report of a plan's run.
    static func summary(_ plan: CompiledPlan, executor: String, stepSeconds: [Double], peakBytes: [Int], outputs: [HostTensor]) -> RunSummary {
        RunSummary(plan: plan, clusterName: plan.cluster?.name, deviceNames: plan.deviceNames,
                   executor: executor, stepSeconds: stepSeconds, peakBytes: peakBytes, outputs: outputs)
    }

    /// Prints the report (text, or with --json its JSON) and writes --outputs.
    func report(_ summary: RunSummary, graph: Graph, _ outputs: [HostTensor], extra: String = "") throws {
        Output.out(json ? JSON.encode(summary) : summary.text + extra)
        if let path = self.outputs {
            do { try FileIO.writeAtomically(path, text: TensorJSON.write(zip(graph.outputs, outputs).map { (graph[$0.0].name, $0.1) })) } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        }
    }
}
