import MoegcIR

/// Checks run inputs against a graph's inputs before anything executes.
public enum InputCheck {
    /// One tensor per graph input, each of the declared dtype and shape (data-dependent dimensions
    /// within their bound).
    public static func validate(_ inputs: [HostTensor], for graph: Graph) throws(ExecutionError) {
        guard inputs.count == graph.inputs.count else {
            let names = graph.inputs.map { "%" + graph.values[$0.index].name }.joined(separator: ", ")
            throw ExecutionError("graph '\(graph.name)' takes \(graph.inputs.count) inputs (\(names)), got \(inputs.count)")
        }
        for (v, t) in zip(graph.inputs, inputs) {
            let value = graph.values[v.index], type = graph.type(of: v)
            guard t.dtype == type.dtype else {
                throw ExecutionError("input %\(value.name) must be \(type.dtype), got \(t.dtype)")
            }
            let fits = t.rank == type.rank && zip(t.shape, type.dims).allSatisfy { $1.isDynamic ? $0 <= $1.size : $0 == $1.size }
            guard fits else {
                throw ExecutionError("input %\(value.name) must have shape \(type), got [\(t.shape.map(String.init).joined(separator: ", "))]")
            }
        }
    }

    /// Rejects NaN and infinite floats (the user asked for checking).
    public static func requireFinite(_ inputs: [HostTensor], for graph: Graph) throws(ExecutionError) {
        for (v, t) in zip(graph.inputs, inputs) {
            guard case .f32(let xs) = t.storage, let i = xs.firstIndex(where: { !$0.isFinite }) else { continue }
            throw ExecutionError("input %\(graph.values[v.index].name) holds \(xs[i]) at flat index \(i) (checking for NaN and infinity was requested)")
        }
    }
}
