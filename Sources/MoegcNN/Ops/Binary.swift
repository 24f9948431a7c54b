// Elementwise binary ops with NumPy-style broadcasting: each rule's value and partial derivatives
// sit side by side; the gradient of a broadcast operand is summed over the axes it was stretched on.

/// A pointwise function of two arguments and its partial derivatives times the output gradient.
protocol BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float
}

struct AddRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { a + b }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
}

struct SubtractRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { a - b }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { g }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { -g }
}

struct MultiplyRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { a * b }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { g * b }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { g * a }
}

struct DivideRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { a / b }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { g / b }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { -g * a / (b * b) }
}

/// min(a, b): the gradient goes to the smaller operand; on a tie it is split half and half.
struct MinimumRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { min(a, b) }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { a < b ? g : (a == b ? 0.5 * g : 0) }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { b < a ? g : (a == b ? 0.5 * g : 0) }
}

/// max(a, b): the gradient goes to the larger operand; on a tie it is split half and half.
struct MaximumRule: BinaryRule {
    func value(_ a: Float, _ b: Float) -> Float { max(a, b) }
    func gradientA(_ g: Float, _ a: Float, _ b: Float) -> Float { a > b ? g : (a == b ? 0.5 * g : 0) }
    func gradientB(_ g: Float, _ a: Float, _ b: Float) -> Float { b > a ? g : (a == b ? 0.5 * g : 0) }
}

/// How two shapes broadcast: the output shape, and the output walked as at most three outer axes
/// and one inner run, with each operand's stride per axis (0 on a broadcast axis). Adjacent axes
/// that both operands traverse contiguously are merged, so equal shapes become one flat run.
struct BroadcastLayout {
    let outputShape: [Int]
    private(set) var extents = [1, 1, 1, 1]
    private(set) var stridesA = [0, 0, 0, 0]
    private(set) var stridesB = [0, 0, 0, 0]

    init(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for axis in 0..<rank {
            let (x, y) = (pa[axis], pb[axis])
            precondition(x == y || x == 1 || y == 1, "broadcast: shapes \(a) and \(b) are incompatible")
            out.append(x == 1 ? y : x)
        }
        outputShape = out
        // Row-major strides, zeroed where the operand is stretched.
        var dims: [(n: Int, sa: Int, sb: Int)] = []
        var runA = 1, runB = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            let n = out[axis]
            if n != 1 {
                let sa = pa[axis] == 1 ? 0 : runA
                let sb = pb[axis] == 1 ? 0 : runB
                if let last = dims.last, last.sa * last.n == sa, last.sb * last.n == sb {
                    dims[dims.count - 1] = (last.n * n, last.sa, last.sb)
                } else {
                    dims.append((n, sa, sb))
                }
            }
            runA *= pa[axis]
            runB *= pb[axis]
        }
        precondition(dims.count <= 4, "broadcast: \(a) with \(b) needs more than 4 distinct axes")
        for (k, d) in dims.enumerated() {
            extents[3 - k] = d.n
            stridesA[3 - k] = d.sa
            stridesB[3 - k] = d.sb
        }
    }

    /// Calls `body(outputOffset, offsetA, offsetB, count)` for the inner runs, or parts of runs,
    /// that cover the output elements `elements`, in order.
    func forEachSpan(_ elements: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        let n = extents[3]
        guard n > 0 else { return }
        var o = elements.lowerBound
        while o < elements.upperBound {
            let run = o / n, i = o % n
            let i2 = run % extents[2], i1 = run / extents[2] % extents[1], i0 = run / (extents[2] * extents[1])
            let ia = i0 * stridesA[0] + i1 * stridesA[1] + i2 * stridesA[2] + i * stridesA[3]
            let ib = i0 * stridesB[0] + i1 * stridesB[1] + i2 * stridesB[2] + i * stridesB[3]
            let count = min(n - i, elements.upperBound - o)
            body(o, ia, ib, count)
            o += count
        }
    }

    /// Calls `body(outputOffset, offsetA, offsetB)` for every inner run of `extents[3]` elements.
    @inline(__always)
    func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let n = extents[3]
        var o = 0
        for i0 in 0..<extents[0] {
            for i1 in 0..<extents[1] {
                for i2 in 0..<extents[2] {
                    let ia = i0 * stridesA[0] + i1 * stridesA[1] + i2 * stridesA[2]
                    let ib = i0 * stridesB[0] + i1 * stridesB[1] + i2 * stridesB[2]
                    body(o, ia, ib)
                    o += n
                }
            }
        }
    }
}

extension Var {
    /// Applies a broadcasting binary rule; each operand's gradient is reduced to its own shape.
    func binary<R: BinaryRule>(_ other: Var, _ rule: R) -> Var {
        let a = value, b = other.value
        let layout = BroadcastLayout(a.shape, b.shape)
        let n = layout.extents[3], sa = layout.stridesA[3], sb = layout.stridesB[3]
        let out = Tensor(shape: layout.outputShape) { y in
            Tensor.read(a, b) { pa, pb in
                // Each output element on its own: row bands on the tape's threads when large.
                forEachElementBand(layout.outputShape, threads: tape.threads) { elements in
                    layout.forEachSpan(elements) { o, ia, ib, count in
                        if sa == 1 && sb == 1 {
                            for i in 0..<count { y[o + i] = rule.value(pa[ia + i], pb[ib + i]) }
                        } else {
                            for i in 0..<count { y[o + i] = rule.value(pa[ia + i * sa], pb[ib + i * sb]) }
                        }
                    }
                }
            }
        }
        let (idA, idB) = (id, other.id)
        let (shapeA, shapeB) = (a.shape, b.shape)
        return tape.record(out, self, other) { g, grads in
            Tensor.read(a, b, g) { pa, pb, pg in
                grads.accumulate(idA, shape: shapeA) { da in
                    layout.forEachRun { o, ia, ib in
                        if sa == 1 && sb == 1 {
                            for i in 0..<n { da[ia + i] += rule.gradientA(pg[o + i], pa[ia + i], pb[ib + i]) }
                            return
                        }
                        for i in 0..<n {
                            da[ia + i * sa] += rule.gradientA(pg[o + i], pa[ia + i * sa], pb[ib + i * sb])
                        }
                    }
                }
                grads.accumulate(idB, shape: shapeB) { db in
                    layout.forEachRun { o, ia, ib in
                        if sa == 1 && sb == 1 {
                            for i in 0..<n { db[ib + i] += rule.gradientB(pg[o + i], pa[ia + i], pb[ib + i]) }
                            return
                        }
                        for i in 0..<n {
                            db[ib + i * sb] += rule.gradientB(pg[o + i], pa[ia + i * sa], pb[ib + i * sb])
                        }
                    }
                }
            }
        }
    }

    /// Elementwise sum with broadcasting (e.g. `[N, F] + [F]` adds a bias to every row).
    public static func + (a: Var, b: Var) -> Var { a.binary(b, AddRule()) }
    /// Elementwise difference with broadcasting.
    public static func - (a: Var, b: Var) -> Var { a.binary(b, SubtractRule()) }
    /// Elementwise product with broadcasting (e.g. `[E, H, F] * [E, H, 1]`).
    public static func * (a: Var, b: Var) -> Var { a.binary(b, MultiplyRule()) }
    /// Elementwise quotient with broadcasting.
    public static func / (a: Var, b: Var) -> Var { a.binary(b, DivideRule()) }

    /// Elementwise minimum with broadcasting; on ties the gradient is split equally.
    public func minimum(_ other: Var) -> Var { binary(other, MinimumRule()) }
    /// Elementwise maximum with broadcasting; on ties the gradient is split equally.
    public func maximum(_ other: Var) -> Var { binary(other, MaximumRule()) }
}
