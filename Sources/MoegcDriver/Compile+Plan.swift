import ArgumentParser
import MoegcIR
import MoegcPlacement
import MoegcPlan
import MoegcRuntime
import MoegcSupport

extension Compile {
    /// Writes the compiled plan: each fused task's nodes, in the task's device order.
    func writePlan(_ path: String, graph: Graph, problem: PlacementProblem, evaluation: Evaluation, placer: String) throws {
        let execution = try Compile.execution(graph, problem: problem, placement: evaluation.placement)
        let clean = execution.graph
        let r = evaluation.report
        var plan = CompiledPlan(execution: execution, clusterText: problem.cluster.printed(),
                                transfers: Compile.transfers(execution),
                                peakMemory: r.peakMemory.map { Int($0) }, simulatedStepSeconds: r.makespan,
                                seed: mode.seed, training: !mode.evaluation, placer: placer,
                                source: input.graph)
        for (name, w) in try ModelFiles.weights(for: input.graph, graph: clean, overrides: input.dimensions.overrides) {
            plan.weights[name] = .init(shape: w.shape, values: w.floats)
        }
        if let weights { plan.weights.merge(try readWeights(weights, graph: clean)) { _, given in given } }
        do {
            try PlanFile.write(plan, to: path)
        } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
    }

    /// What the runtime runs for a placement: each fused task's nodes (in graph order) where the
    /// task's device runs it, the tasks in the device's scheduled order; one fusion group per task.
    static func execution(_ graph: Graph, problem: PlacementProblem, placement: Placement) throws -> ExecutionPlan {
        let tasks = problem.tasks, schedule = placement.schedule
        let nodeTask = tasks.nodeTask.map(Int.init)
        let device = nodeTask.map { Int(placement.taskDevice[$0]) }
        var order = [[Int]](repeating: [], count: schedule.deviceCount)
        for d in 0..<schedule.deviceCount {
            for i in Int(schedule.orderStart[d])..<Int(schedule.orderStart[d + 1]) {
                order[d] += tasks.members(of: Int(schedule.order[i])).map(Int.init)
            }
        }
        var clean = graph
        for i in clean.nodes.indices { for a in ["device", "order", "group"] { clean.nodes[i].attributes[a] = nil } }
        let execution = ExecutionPlan(graph: clean, deviceCount: schedule.deviceCount, device: device, order: order, group: nodeTask)
        if let problem = execution.problems().first {
            Output.err("internal error: the placed schedule is not executable: \(problem)")
            throw ExitCode(1)
        }
        return execution
    }

    /// Every value a node reads from another device, once per destination.
    static func transfers(_ e: ExecutionPlan) -> [CompiledPlan.Transfer] {
        let g = e.graph
        var seen = Set<[Int]>(), out: [CompiledPlan.Transfer] = []
        for (i, node) in g.nodes.enumerated() {
            for v in node.operands {
                guard let p = g.values[v.index].producer, e.device[p.index] != e.device[i],
                      seen.insert([v.index, e.device[i]]).inserted else { continue }
                out.append(.init(value: v.index, source: e.device[p.index], destination: e.device[i],
                                 bytes: Int(g.type(of: v).expectedBytes.rounded())))
            }
        }
        return out
    }

    func readWeights(_ path: String, graph: Graph) throws -> [String: CompiledPlan.WeightData] {
        var types: [String: TensorType] = [:]
        for node in graph.nodes where node.op == .param { types[graph[node.results[0]].name] = graph.type(of: node.results[0]) }
        do {
            let named = try TensorJSON.readNamed(try FileIO.read(path), path: path, types: types)
            return named.mapValues { .init(shape: $0.shape, values: $0.floats) }
        } catch {
            Output.err("\(error)")   // a FileError or TensorJSON.Failure: "path: error: …"
            throw ExitCode(1)
        }
    }
}
