// Elementwise unary ops: each rule's value and derivative sit side by side.

/// A pointwise function and its derivative, written in terms of the input `x` and output `y`.
protocol UnaryRule {
    func value(_ x: Float) -> Float
    /// dy/dx at `x`, where `y == value(x)`.
    func derivative(_ x: Float, _ y: Float) -> Float
}

/// max(x, 0); derivative 1 for x > 0, else 0 (0 at the kink).
struct ReLURule: UnaryRule {
    func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : 0 }
}

/// x for x > 0, else slope · x; derivative 1 or slope (slope at the kink).
struct LeakyReLURule: UnaryRule {
    let slope: Float
    func value(_ x: Float) -> Float { x > 0 ? x : slope * x }
    func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : slope }
}

/// tanh x; derivative 1 − y².
struct TanhRule: UnaryRule {
    func value(_ x: Float) -> Float { tanhf32(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 - y * y }
}

/// 1 / (1 + e^−x), evaluated without overflow; derivative y (1 − y).
struct SigmoidRule: UnaryRule {
    func value(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf32(-x)) }
        let e = expf32(x)
        return e / (1 + e)
    }
    func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}

/// log(1 + e^x), evaluated without overflow; derivative sigmoid(x).
struct SoftplusRule: UnaryRule {
    func value(_ x: Float) -> Float { max(x, 0) + log1pf32(expf32(-abs(x))) }
    func derivative(_ x: Float, _ y: Float) -> Float { SigmoidRule().value(x) }
}

/// e^x; derivative y.
struct ExpRule: UnaryRule {
    func value(_ x: Float) -> Float { expf32(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { y }
}

/// log x; derivative 1 / x.
struct LogRule: UnaryRule {
    func value(_ x: Float) -> Float { logf32(x) }
    func derivative(_ x: Float, _ y: Float) -> Float { 1 / x }
}

/// x²; derivative 2x.
struct SquareRule: UnaryRule {
    func value(_ x: Float) -> Float { x * x }
    func derivative(_ x: Float, _ y: Float) -> Float { 2 * x }
}

/// √x; derivative 1 / (2y).
struct SqrtRule: UnaryRule {
    func value(_ x: Float) -> Float { x.squareRoot() }
    func derivative(_ x: Float, _ y: Float) -> Float { 0.5 / y }
}

/// GELU, tanh approximation: ½x(1 + tanh(c(x + 0.044715x³))), c = √(2/π).
struct GELURule: UnaryRule {
    static let c: Float = 0.797_884_56
    func value(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf32(GELURule.c * (x + 0.044715 * x * x * x)))
    }
    func derivative(_ x: Float, _ y: Float) -> Float {
        let t = tanhf32(GELURule.c * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELURule.c * (1 + 3 * 0.044715 * x * x)
    }
}

/// a · x + b; derivative a.
struct AffineRule: UnaryRule {
    let scale: Float, shift: Float
    func value(_ x: Float) -> Float { scale * x + shift }
    func derivative(_ x: Float, _ y: Float) -> Float { scale }
}

/// min(max(x, lower), upper); derivative 1 on the closed interval [lower, upper], else 0.
struct ClampRule: UnaryRule {
    let lower: Float, upper: Float
    func value(_ x: Float) -> Float { min(max(x, lower), upper) }
    func derivative(_ x: Float, _ y: Float) -> Float { x >= lower && x <= upper ? 1 : 0 }
}

extension Var {
    /// Applies a pointwise rule; the backward pass multiplies the output gradient by its derivative.
    func unary<R: UnaryRule>(_ rule: R) -> Var {
        let x = value
        let y = Tensor(shape: x.shape) { out in
            x.read { x in
                forEachElementBand(value.shape, threads: tape.threads) { elements in
                    for i in elements { out[i] = rule.value(x[i]) }
                }
            }
        }
        let ix = id
        return tape.record(y, self) { g, grads in
            grads.accumulate(ix, shape: x.shape) { dx in
                Tensor.read(g, x, y) { g, x, y in
                    for i in 0..<dx.count { dx[i] += g[i] * rule.derivative(x[i], y[i]) }
                }
            }
        }
    }

    /// max(x, 0) elementwise; subgradient 0 at x = 0.
    public func relu() -> Var { unary(ReLURule()) }
    /// x for x > 0, `slope · x` otherwise.
    public func leakyReLU(slope: Float = 0.2) -> Var { unary(LeakyReLURule(slope: slope)) }
    /// Hyperbolic tangent.
    public func tanh() -> Var { unary(TanhRule()) }
    /// Logistic sigmoid.
    public func sigmoid() -> Var { unary(SigmoidRule()) }
    /// log(1 + eˣ), overflow-free.
    public func softplus() -> Var { unary(SoftplusRule()) }
    /// GELU (tanh approximation).
    public func gelu() -> Var { unary(GELURule()) }
    /// eˣ.
    public func exp() -> Var { unary(ExpRule()) }
    /// Natural logarithm.
    public func log() -> Var { unary(LogRule()) }
    /// x².
    public func square() -> Var { unary(SquareRule()) }
    /// √x.
    public func sqrt() -> Var { unary(SqrtRule()) }
    /// `scale · x + shift`.
    public func affine(scale: Float, shift: Float = 0) -> Var { unary(AffineRule(scale: scale, shift: shift)) }
    /// Clamps into `[lower, upper]`. The gradient passes where `lower ≤ x ≤ upper` (bounds
    /// included) and is 0 outside: the subgradient the PPO clipped objective needs.
    public func clamp(lower: Float, upper: Float) -> Var {
        precondition(lower <= upper, "clamp: lower bound \(lower) above upper bound \(upper)")
        return unary(ClampRule(lower: lower, upper: upper))
    }

    /// Negation.
    public static prefix func - (x: Var) -> Var { x.affine(scale: -1) }
    /// Adds a constant.
    public static func + (x: Var, c: Float) -> Var { x.affine(scale: 1, shift: c) }
    /// Adds a constant.
    public static func + (c: Float, x: Var) -> Var { x.affine(scale: 1, shift: c) }
    /// Subtracts a constant.
    public static func - (x: Var, c: Float) -> Var { x.affine(scale: 1, shift: -c) }
    /// A constant minus `x`.
    public static func - (c: Float, x: Var) -> Var { x.affine(scale: -1, shift: c) }
    /// Multiplies by a constant.
    public static func * (x: Var, c: Float) -> Var { x.affine(scale: c) }
    /// Multiplies by a constant.
    public static func * (c: Float, x: Var) -> Var { x.affine(scale: c) }
    /// Divides by a constant.
    public static func / (x: Var, c: Float) -> Var { x.affine(scale: 1 / c) }

    /// The value with gradients blocked: a constant copy (used for Transformer-XL memory).
    public func stopGradient() -> Var { tape.constant(value) }
}
