import MoegcIR
import MoegcKernels

/// Executes a lowered graph single-threaded, node by node in the graph's order, with the CPU
/// kernels: the oracle every other executor of moegc is checked against.
///
/// Weights come from their `param` init rules, seeded by the run's seed and the weight's name
/// (so the same seed gives the same weights however the graph is placed), unless the caller
/// supplies them by name (a weight whose rule is `data`, an imported model's own, must be given); they are materialised once, when the interpreter is made, and every run
/// reuses them (as a loaded model would). Every weight a `matmul` multiplies by is then also packed
/// for the packed-weight kernel (`PackedWeights`: a second copy of those weights, read-only, shared
/// with a `Runtime` made from this interpreter, so both run the same kernel on every matmul). Values
/// are freed after their last use unless asked to be kept.
public struct ReferenceInterpreter: Sendable {
    public let graph: Graph
    public let executor: NodeExecutor
    /// Every weight, by the `param` node's index: the caller's where given, else from the init rule.
    public let weights: [Int: HostTensor]
    private let lastUse: [Int]
    /// The integer inputs used as indices and their ranges, checked before every run.
    let indexRanges: [InputCheck.IndexRange]

    /// Weights packed for the packed-weight kernel (a weight one matmul uses plain and another
    /// transposed counts twice); weights no matmul multiplies by are not packed.
    public var packedWeightCount: Int { executor.packed.count }
    /// The memory those packed copies take beside the weights themselves, in bytes.
    public var packedWeightBytes: Int { executor.packed.byteCount }

    /// Checks that `graph` can run here: every op is a primitive with a kernel, every type f32/i32,
    /// and (unless `checkMemory` is false: the runtime checks its own plan) the run fits the memory
    /// limits (`RunMemory`). `materialising` (the `param` node indices to make; nil: all) is for a
    /// runtime that serves some devices of a plan, and holds only theirs; this interpreter cannot
    /// then run the graph itself.
    public init(graph: Graph, seed: UInt64, weights: [String: HostTensor] = [:], checkMemory: Bool = true,
                materialising: Set<Int>? = nil) throws(ExecutionError) {
        for node in graph.nodes where node.op.schema.level != .primitive {
            let name = graph.values[node.results[0].index].name
            throw ExecutionError(node.op.schema.level == .layer
                ? "'\(node.op)' at %\(name) is a layer; lower the graph before running it"
                : "'\(node.op)' at %\(name) has no kernel: it is known only by its costs and can be placed and simulated, not run")
        }
        for v in graph.values {
            guard let t = v.type else { throw ExecutionError("%\(v.name) has no type; infer shapes first") }
            guard t.dtype == .f32 || t.dtype == .i32 else {
                throw ExecutionError("%\(v.name) is \(t); the CPU kernels handle f32 and i32 only")
            }
        }
        // Sizes first: nothing below allocates before the run is known to fit (ResourceLimits).
        if checkMemory { try RunMemory.checkInterpreter(graph) }
        for (name, w) in weights {
            guard let id = graph.value(named: name), let p = graph.values[id.index].producer, graph.nodes[p.index].op.schema.isWeight else {
                throw ExecutionError("a weight was given for %\(name), which is not a parameter of the graph")
            }
            guard w.shape == graph.type(of: id).shape, w.dtype == .f32 else {
                throw ExecutionError("weight %\(name) must be \(graph.type(of: id)), got \(w.type)")
            }
        }
        self.graph = graph
        let initialiser = NodeExecutor(seed: seed)
        var materialised: [Int: HostTensor] = [:]
        for (i, node) in graph.nodes.enumerated() where node.op.schema.isWeight && materialising?.contains(i) != false {
            let name = graph.values[node.results[0].index].name
            if let w = weights[name] {
                materialised[i] = w
            } else if node.attributes["init"] == .symbol("data") {
                throw ExecutionError("weight %\(name) holds the model's own data (init = data), which was not given: pass the model's weights file")
            } else {
                let ctx = OpContext(schema: node.op.schema, operandTypes: [], attributes: node.attributes,
                                    declaredResultTypes: [graph.values[node.results[0].index].type])
                materialised[i] = try initialiser.execute(node, name: name, [], ctx)[0]
            }
        }
        self.weights = materialised
        self.executor = NodeExecutor(seed: seed, packed: PackedWeights(graph: graph, weights: materialised))
        var last = [Int](repeating: -1, count: graph.values.count)
        for (i, node) in graph.nodes.enumerated() { for v in node.operands { last[v.index] = i } }
        for o in graph.outputs { last[o.index] = Int.max }
        self.lastUse = last
        self.indexRanges = InputCheck.indexRanges(for: graph)
    }

    /// What a run produced: the outputs, any kept values, and (when profiling) each node's time.
    public struct Run: Sendable {
        public var outputs: [HostTensor]
        public var kept: [ValueID: HostTensor]
        /// Seconds per node, in node order (empty unless profiling).
        public var nodeSeconds: [Double]
    }

    /// Runs the graph on `inputs` (one per graph input, in order), keeping the values in `keep`.
    public func run(_ inputs: [HostTensor], keep: Set<ValueID> = [], profile: Bool = false) throws(ExecutionError) -> Run {
        try InputCheck.validate(inputs, for: graph)
        try InputCheck.validateIndices(inputs, for: graph, ranges: indexRanges)
        var values = [HostTensor?](repeating: nil, count: graph.values.count)
        for (v, t) in zip(graph.inputs, inputs) { values[v.index] = t }
        var kept: [ValueID: HostTensor] = [:]
        for v in graph.inputs where keep.contains(v) { kept[v] = values[v.index] }
        var seconds: [Double] = profile ? Array(repeating: 0, count: graph.nodes.count) : []
        let clock = ContinuousClock()
        for (i, node) in graph.nodes.enumerated() {
            let name = graph.values[node.results[0].index].name
            var args: [HostTensor] = []
            args.reserveCapacity(node.operands.count)
            for v in node.operands { args.append(values[v.index]!) }
            let ctx = OpContext(schema: node.op.schema, operandTypes: args.map(\.type), attributes: node.attributes,
                                declaredResultTypes: node.results.map { graph.values[$0.index].type })
            let start = profile ? clock.now : nil
            let results: [HostTensor]
            if node.op.schema.isWeight, let w = weights[i] {
                results = [w]
            } else {
                results = try executor.execute(node, name: name, args, ctx)
            }
            if let start { seconds[i] = Double((clock.now - start) / .nanoseconds(1)) * 1e-9 }
            for (r, t) in zip(node.results, results) {
                try checkShape(t, graph.values[r.index], node)
                values[r.index] = t
                if keep.contains(r) { kept[r] = t }
            }
            for v in node.operands where lastUse[v.index] == i { values[v.index] = nil }
        }
        return Run(outputs: graph.outputs.map { values[$0.index]! }, kept: kept, nodeSeconds: seconds)
    }

    /// A kernel's result must fit the IR's type: equal static dimensions, data-dependent ones within bound.
    private func checkShape(_ t: HostTensor, _ v: Value, _ node: Node) throws(ExecutionError) {
        let type = v.type!
        let fits = t.dtype == type.dtype && t.rank == type.rank
            && zip(t.shape, type.dims).allSatisfy { $1.isDynamic ? $0 <= $1.size : $0 == $1.size }
        guard fits else {
            throw ExecutionError("internal error: '\(node.op)' produced \(t.type) for %\(v.name), typed \(type)")
        }
    }
}
