import MoegcPlan
import MoegcSupport

/// A compiled plan run in this process, as `moegc run model.plan` runs it: `steps` steps on the
/// runtime (the last one traced when asked; the report gives each step's time), or with
/// `.reference` its graph once on the reference interpreter.
///
///     let run = try PlanRun(plan, executor: .runtime(threads: nil))   // checks the run's memory
///     let result = try run.run(inputs, steps: 5, trace: true)         // result.summary.text
public struct PlanRun: Sendable {
    public enum Executor: Sendable, Equatable {
        /// The multithreaded runtime, one worker per device on at most `threads` OS threads.
        case runtime(threads: Int?)
        case reference
    }

    public struct Result: Sendable {
        public var summary: RunSummary
        public var outputs: [HostTensor]
        /// The last step's timeline (empty unless asked, and on the reference interpreter).
        public var trace: [TraceEvent]
    }

    public let plan: CompiledPlan
    public let executor: Executor

    /// The plan's weights as host tensors, by name (created only where a runtime needs them).
    public static func weights(of plan: CompiledPlan) -> [String: HostTensor] {
        plan.weights.mapValues { HostTensor($0.shape, floats: $0.values) }
    }

    /// Checks that the run fits this machine's memory before any input is made (the runtime and
    /// the interpreter check again when they allocate).
    public init(_ plan: CompiledPlan, executor: Executor) throws(ExecutionError) {
        switch executor {
        case .reference: try RunMemory.checkInterpreter(plan.graph)
        case .runtime: try RunMemory.checkRuntime(plan.execution)
        }
        self.plan = plan
        self.executor = executor
    }

    public func run(_ inputs: [HostTensor], steps: Int = 1, trace: Bool = false) throws(ExecutionError) -> Result {
        let weights = PlanRun.weights(of: plan)
        switch executor {
        case .reference:
            let outputs = try ReferenceInterpreter(graph: plan.graph, seed: plan.seed, weights: weights).run(inputs).outputs
            return Result(summary: RunSummary(plan: plan, executor: "reference interpreter", stepSeconds: [], peakBytes: [], outputs: outputs),
                          outputs: outputs, trace: [])
        case .runtime(let threads):
            let runtime = try Runtime(plan: plan.execution, seed: plan.seed, threads: threads, weights: weights)
            var times: [Double] = []
            var last = try runtime.run(inputs, trace: trace && steps == 1)
            times.append(last.seconds)
            for s in 1..<max(steps, 1) {
                last = try runtime.run(inputs, trace: trace && s == steps - 1)
                times.append(last.seconds)
            }
            let executor = "runtime, \(runtime.threads) thread\(runtime.threads == 1 ? "" : "s")"
            return Result(summary: RunSummary(plan: plan, executor: executor, stepSeconds: times, peakBytes: last.peakBytes,
                                              outputs: last.outputs),
                          outputs: last.outputs, trace: last.trace)
        }
    }
}
