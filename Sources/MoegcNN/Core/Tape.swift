/// The record of one forward pass, replayed backwards to compute gradients (reverse-mode autodiff).
///
/// A tape is made for one forward/backward pass and thrown away. Every differentiable op on a
/// ``Var`` appends one entry holding its backward rule (a closure that captures the tensors it
/// needs and the ids of its inputs, never a `Var`, so no reference cycle forms). Only values that
/// depend on a variable or a parameter are recorded: ops on constants cost nothing on the tape.
///
///     let tape = Tape(parameters: store)
///     let y = layer(tape.constant(x))
///     let loss = (y - tape.constant(target)).square().mean()
///     let grads = tape.backward(loss)            // grads.parameters["layer.weight"]
///
/// A tape made with `recording: false` records nothing (inference): its values cannot be
/// differentiated, and memory is freed as soon as the `Var`s go out of scope.
///
/// `Tape` is a class because identity matters: every `Var` points back at the tape it lives on.
public final class Tape {
    /// A backward rule: given the gradient of the op's output, add the gradients of its inputs.
    typealias BackwardRule = (_ outputGradient: Tensor, _ gradients: inout GradientTable) -> Void

    /// The parameters `parameter(_:)` reads; a snapshot taken when the tape was made.
    public let parameters: ParameterStore
    /// Whether ops are recorded for `backward`.
    public let isRecording: Bool
    /// Threads the large ops of this pass may use (row-split matmuls, segment attention); results
    /// are the same for any count. 1 unless asked (training runs on one core).
    public let threads: Int

    private var rules: [BackwardRule?] = []
    private var shapes: [[Int]] = []
    private var parameterEntries: [String: (id: Int, value: Tensor)] = [:]
    private var parameterNameByID: [Int: String] = [:]

    /// A tape reading parameters from `parameters`; pass `recording: false` for inference only,
    /// and `threads` > 1 to let large ops split their work.
    public init(parameters: ParameterStore = ParameterStore(), recording: Bool = true, threads: Int = 1) {
        self.parameters = parameters
        self.isRecording = recording
        self.threads = max(1, threads)
    }

    /// The number of recorded entries (leaves needing gradients plus recorded ops).
    public var recordedCount: Int { rules.count }

    /// A value that gradients do not flow into (data, masks, targets).
    public func constant(_ value: Tensor) -> Var {
        Var(tape: self, id: -1, value: value, requiresGradient: false)
    }

    /// A leaf whose gradient `backward` reports (read it with `Gradients[_:]`).
    public func variable(_ value: Tensor) -> Var {
        append(value, rule: nil)
    }

    /// The parameter `name` from the tape's store, as a leaf whose gradient is reported under that
    /// name. Asking twice for the same name gives the same leaf, so its uses accumulate.
    public func parameter(_ name: String) -> Var {
        if let entry = parameterEntries[name] {
            return Var(tape: self, id: entry.id, value: entry.value, requiresGradient: isRecording)
        }
        guard let value = parameters[name] else {
            preconditionFailure("Tape.parameter: no parameter named '\(name)' in the store")
        }
        let leaf = append(value, rule: nil)
        parameterEntries[name] = (leaf.id, value)
        if isRecording { parameterNameByID[leaf.id] = name }
        return leaf
    }

    /// Records the result of an op. The rule is kept only if some input needs a gradient.
    func record(_ value: Tensor, _ inputs: Var..., rule: @escaping BackwardRule) -> Var {
        record(value, inputs: inputs, rule: rule)
    }

    /// Records the result of an op with any number of inputs.
    func record(_ value: Tensor, inputs: [Var], rule: @escaping BackwardRule) -> Var {
        var needed = false
        for input in inputs {
            precondition(input.tape === self, "Tape: an op mixes values from two tapes")
            needed = needed || input.requiresGradient
        }
        guard needed && isRecording else { return constant(value) }
        return append(value, rule: rule)
    }

    private func append(_ value: Tensor, rule: BackwardRule?) -> Var {
        guard isRecording else { return constant(value) }
        rules.append(rule)
        shapes.append(value.shape)
        return Var(tape: self, id: rules.count - 1, value: value, requiresGradient: true)
    }

    /// Gradients of `output` with respect to every variable and parameter it depends on.
    ///
    /// `seed` is the gradient of the output itself; it defaults to ones, i.e. the gradient of the
    /// sum of the output's elements (for a scalar loss, d loss / d loss = 1). The tape can be
    /// replayed again with another output or seed.
    public func backward(_ output: Var, seed: Tensor? = nil) -> Gradients {
        precondition(output.tape === self, "Tape.backward: the output lives on another tape")
        precondition(isRecording, "Tape.backward: this tape was made with recording: false")
        let seed = seed ?? Tensor(repeating: 1, shape: output.value.shape)
        precondition(seed.shape == output.value.shape,
                     "Tape.backward: seed shape \(seed.shape) for output shape \(output.value.shape)")
        var table = GradientTable(wanted: rules.count)
        if output.requiresGradient {
            table.accumulate(output.id, seed)
            for id in stride(from: output.id, through: 0, by: -1) {
                guard let rule = rules[id], let gradient = table.take(id) else { continue }
                rule(gradient, &table)
            }
        }
        var byName: [String: Tensor] = [:]
        for (id, name) in parameterNameByID { byName[name] = table.slot(id) ?? Tensor(zeros: shapes[id]) }
        return Gradients(tape: ObjectIdentifier(self), slots: table.slots, shapes: shapes,
                         leaves: rules.map { $0 == nil }, parameters: ParameterGradients(byName))
    }
}

/// A tensor on a tape: the handle every differentiable op takes and returns.
///
/// Ops are methods and operators on `Var` (`a.matmul(b)`, `a + b`, `x.relu()`); see the files in
/// `Ops/`. A `Var` holds its value, so reading it (`v.value`) costs nothing.
public struct Var {
    /// The tape this value lives on.
    public let tape: Tape
    /// The entry index on the tape, or -1 for a value no gradient flows through.
    public let id: Int
    /// The forward value.
    public let value: Tensor
    /// Whether gradients flow back through this value.
    public let requiresGradient: Bool

    /// The shape of the value.
    public var shape: [Int] { value.shape }

    /// A constant on the same tape (shorthand for `tape.constant`).
    public func constant(_ value: Tensor) -> Var { tape.constant(value) }
}

/// Gradients accumulated during a backward pass, indexed by tape entry.
struct GradientTable {
    private(set) var slots: [Tensor?]

    init(wanted count: Int) { slots = Array(repeating: nil, count: count) }

    /// Whether entry `id` takes a gradient (constants have id -1 and take none).
    @inline(__always) func wants(_ id: Int) -> Bool { id >= 0 }

    func slot(_ id: Int) -> Tensor? { slots[id] }

    /// Removes and returns the gradient of entry `id` (an op consumes it once).
    mutating func take(_ id: Int) -> Tensor? {
        let gradient = slots[id]
        slots[id] = nil
        return gradient
    }

    /// Adds `gradient` to entry `id` (sharing its storage if the entry had none yet).
    mutating func accumulate(_ id: Int, _ gradient: Tensor) {
        guard wants(id) else { return }
        if slots[id] == nil {
            slots[id] = gradient
        } else {
            slots[id]!.addInPlace(gradient)
        }
    }

    /// Lets `body` add into the gradient buffer of entry `id`, zero-filled on first use.
    mutating func accumulate(_ id: Int, shape: [Int], _ body: (Tensor.UnsafeHandle) -> Void) {
        guard wants(id) else { return }
        if slots[id] == nil { slots[id] = Tensor(zeros: shape) }
        slots[id]!.update(body)
    }
}

/// The result of `Tape.backward`: gradients of the leaves (variables and parameters).
public struct Gradients {
    private let tape: ObjectIdentifier
    private let slots: [Tensor?]
    private let shapes: [[Int]]
    private let leaves: [Bool]
    /// Gradients of the parameters the forward pass read, by parameter name (zeros for a
    /// parameter that was read but did not influence the output).
    public let parameters: ParameterGradients

    init(tape: ObjectIdentifier, slots: [Tensor?], shapes: [[Int]], leaves: [Bool],
         parameters: ParameterGradients) {
        self.tape = tape
        self.slots = slots
        self.shapes = shapes
        self.leaves = leaves
        self.parameters = parameters
    }

    /// The gradient of a leaf made by `Tape.variable` or `Tape.parameter` (zeros if the output does
    /// not depend on it). Constants have no gradient: asking for one is a programming error.
    public subscript(_ leaf: Var) -> Tensor {
        precondition(ObjectIdentifier(leaf.tape) == tape, "Gradients: value from another tape")
        precondition(leaf.requiresGradient, "Gradients: a constant has no gradient")
        precondition(leaves[leaf.id], "Gradients: only leaves (variables, parameters) keep gradients")
        return slots[leaf.id] ?? Tensor(zeros: shapes[leaf.id])
    }
}
