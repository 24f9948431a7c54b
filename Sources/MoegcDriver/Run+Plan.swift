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
        let deviceNames = RunCommand.deviceNames(plan)
        var text = RunCommand.planHeader(plan)
        var outputs: [HostTensor]
        do {
            if checkInputs { try InputCheck.requireFinite(values, for: graph) }
            if reference {
                outputs = try ReferenceInterpreter(graph: graph, seed: plan.seed, weights: weights).run(values).outputs
                text += "executor: reference interpreter\n"
            } else {
                let runtime = try Runtime(plan: plan.execution, seed: plan.seed, threads: threads, weights: weights)
                var times: [Double] = [], last: Runtime.Step? = nil
                for s in 0..<steps {
                    let step = try runtime.run(values, trace: trace != nil && s == steps - 1)
                    times.append(step.seconds)
                    last = step
                }
                outputs = last!.outputs
                text += "executor: runtime, \(runtime.threads) thread\(runtime.threads == 1 ? "" : "s")\n"
                text += RunCommand.measurements(plan, seconds: times, peakBytes: last!.peakBytes)
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
        try printOutputs(text, graph: graph, outputs)
    }

    /// The first line of a plan run's report: the plan, its placer and cluster, mode and seed.
    static func planHeader(_ plan: CompiledPlan) -> String {
        let cluster = try? Cluster.parse(plan.clusterText, path: "plan cluster")
        return "\(plan.graph.name): plan of \(plan.source) placed by \(plan.placer) on \(cluster?.name ?? "?") (\(plan.execution.deviceCount) devices), "
            + "\(plan.training ? "training" : "evaluation") mode, seed \(plan.seed)\n"
    }

    /// The plan's device names (its cluster's, or device0, device1, …).
    static func deviceNames(_ plan: CompiledPlan) -> [String] {
        let cluster = try? Cluster.parse(plan.clusterText, path: "plan cluster")
        return (0..<plan.execution.deviceCount).map { cluster?.devices[$0].name ?? "device\($0)" }
    }

    /// The measured step time beside the simulated one, and each device's peak beside the planned.
    static func measurements(_ plan: CompiledPlan, seconds times: [Double], peakBytes: [Int]) -> String {
        let deviceNames = deviceNames(plan)
        let measured = Statistics.median(times)
        var text = "step time: measured \(Quantity.seconds(measured)) (median of \(times.count)), simulated \(Quantity.seconds(plan.simulatedStepSeconds))"
            + (plan.simulatedStepSeconds > 0 ? " (measured / simulated \(Quantity.fixed(measured / plan.simulatedStepSeconds, 2)))" : "") + "\n"
        text += "peak memory:" + (0..<plan.execution.deviceCount).map { d in
            " \(deviceNames[d]) \(Quantity.bytes(Double(peakBytes[d])))"
                + (d < plan.peakMemory.count ? " (planned \(Quantity.bytes(Double(plan.peakMemory[d]))))" : "")
        }.joined(separator: ",") + "\n"
        return text
    }

    /// Prints the report with every output's summary, and writes --outputs.
    func printOutputs(_ report: String, graph: Graph, _ outputs: [HostTensor]) throws {
        var text = report
        let width = graph.outputs.map { graph[$0].name.count }.max().map { $0 + 3 } ?? 8
        text += "outputs\n"
        for (v, t) in zip(graph.outputs, outputs) {
            text += "  " + Quantity.pad("%" + graph[v].name, width) + Quantity.pad(t.type.description, 20) + t.summary + "\n"
        }
        Output.out(text)
        if let path = self.outputs {
            do { try FileIO.writeAtomically(path, text: TensorJSON.write(zip(graph.outputs, outputs).map { (graph[$0.0].name, $0.1) })) } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
        }
    }
}
