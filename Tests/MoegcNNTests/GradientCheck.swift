import MoegcNN
import MoegcSupport
import Testing

/// Finite-difference gradient checking.
///
/// The checked function `build` maps input variables (and the parameters of `parameters`) to a
/// value of any shape; the scalar probed is `L = Σ out ⊙ R` with fixed random weights `R`, so every
/// output element contributes. The analytic gradient is `tape.backward(out, seed: R)`; the numeric
/// one is the central difference `(L(x + ε) − L(x − ε)) / 2ε` per scalar, with the forward pass
/// in Float and `L` accumulated in Double.
///
/// Tolerance: each component must satisfy `|analytic − numeric| ≤ atol + rtol · max(|a|, |n|)`,
/// defaults ε = 1e-3, rtol = 1e-2, atol = 2e-3 (Float forward noise over ε dominates below that).
struct GradientCheck {
    var epsilon: Float = 1e-3
    var relativeTolerance = 1e-2
    var absoluteTolerance = 2e-3
    var seed: UInt64 = 0xC0FFEE

    /// Returns a description of every mismatch (empty when all gradients agree).
    func mismatches(inputs: [Tensor], parameters: ParameterStore = ParameterStore(),
                    _ build: (Tape, [Var]) -> Var) -> [String] {
        // Analytic gradients.
        let tape = Tape(parameters: parameters)
        let vars = inputs.map { tape.variable($0) }
        let params = parameters.names.map { tape.parameter($0) }
        let out = build(tape, vars)
        var rng = SeededGenerator(seed: seed)
        let weights = Tensor.normal(shape: out.value.shape, using: &rng)
        let grads = tape.backward(out, seed: weights)

        func loss(_ inputs: [Tensor], _ parameters: ParameterStore) -> Double {
            let t = Tape(parameters: parameters, recording: false)
            let y = build(t, inputs.map { t.variable($0) }).value
            var total = 0.0
            for i in 0..<y.count { total += Double(y.scalars[i]) * Double(weights.scalars[i]) }
            return total
        }
        func numeric(_ read: () -> Float, _ write: (Float) -> Void, _ evaluate: () -> Double) -> Double {
            let original = read()
            write(original + epsilon)
            let plus = evaluate()
            write(original - epsilon)
            let minus = evaluate()
            write(original)
            return (plus - minus) / (2 * Double(epsilon))
        }

        var problems: [String] = []
        func compare(_ label: String, _ index: Int, _ analytic: Float, _ numeric: Double) {
            let a = Double(analytic)
            guard a.isFinite, numeric.isFinite,
                  abs(a - numeric) <= absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric))
            else {
                problems.append("\(label)[\(index)]: analytic \(a), numeric \(numeric)")
                return
            }
        }
        var current = inputs
        for k in inputs.indices {
            let g = grads[vars[k]]
            #expect(g.shape == inputs[k].shape, "gradient shape of input \(k)")
            for i in 0..<inputs[k].count {
                let n = numeric({ current[k].scalars[i] },
                                { v in current[k] = replacing(current[k], i, v) },
                                { loss(current, parameters) })
                compare("input \(k)", i, g.scalars[i], n)
            }
        }
        var store = parameters
        for (name, leaf) in zip(parameters.names, params) {
            let g = grads[leaf]
            #expect(grads.parameters[name] == g, "parameter gradient table agrees for \(name)")
            for i in 0..<g.count {
                let n = numeric({ store[name]!.scalars[i] },
                                { v in store[name] = replacing(store[name]!, i, v) },
                                { loss(inputs, store) })
                compare(name, i, g.scalars[i], n)
            }
        }
        return problems
    }

    /// Records an `#expect` failure listing the first mismatches, if any.
    func check(inputs: [Tensor], parameters: ParameterStore = ParameterStore(),
               sourceLocation: Testing.SourceLocation = #_sourceLocation, _ build: (Tape, [Var]) -> Var) {
        let problems = mismatches(inputs: inputs, parameters: parameters, build)
        #expect(problems.count == 0, "gradient mismatches: \(problems.prefix(6))",
                sourceLocation: sourceLocation)
    }
}

/// A copy of `t` with scalar `i` set to `v`.
func replacing(_ t: Tensor, _ i: Int, _ v: Float) -> Tensor {
    var s = t.scalars
    s[i] = v
    return Tensor(shape: t.shape, scalars: s)
}

/// Normal draws of the given shape from a seeded stream.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.normal(shape: shape, standardDeviation: scale, using: &rng)
}

/// Uniform draws of the given shape in `[lower, upper)`.
func uniform(_ shape: [Int], seed: UInt64, _ lower: Float, _ upper: Float) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape: shape, lower: lower, upper: upper, using: &rng)
}

/// Draws whose magnitudes lie in `[margin, 1 + margin)` with random signs: away from the kink at 0.
func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var s: [Float] = []
    for _ in 0..<Tensor.elementCount(of: shape) {
        let m = margin + rng.nextFloat()
        s.append(rng.nextInt(below: 2) == 0 ? m : -m)
    }
    return Tensor(shape: shape, scalars: s)
}

/// Whether two tensors agree within `tolerance` elementwise (shapes equal).
func close(_ a: Tensor, _ b: Tensor, _ tolerance: Float = 1e-5) -> Bool {
    a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($0), abs($1)) }
}
