import MoegcKernels
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Double-precision references for the unary ops, written from their definitions.
private func reference(_ op: UnaryOp, _ x: Double) -> Double {
    switch op {
    case .relu: return x > 0 ? x : 0
    case .sigmoid: return 1 / (1 + exp(-x))
    case .tanh: return tanh(x)
    case .exp: return exp(x)
    case .log: return log(x)
    case .softplus(let plus): return log1p(exp(x)) + Double(plus)
    case .neg: return -x
    case .sqrt: return x.squareRoot()
    case .erf: return erf(x)
    case .normalCDF: return 0.5 * erfc(-x / 2.0.squareRoot())
    case .gelu: return x * 0.5 * erfc(-x / 2.0.squareRoot())
    case .abs: return abs(x)
    case .square: return x * x
    case .reciprocal: return 1 / x
    case .sin: return sin(x)
    case .cos: return cos(x)
    case .geluTanh: return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
}

/// Each op with its input range and tolerance (relative, absolute). Relative 1e-6 is ~8 ulp.
private let unaryCases: [(op: UnaryOp, low: Float, high: Float, relative: Double, absolute: Double)] = [
    (.relu, -4, 4, 0, 0),
    (.sigmoid, -30, 30, 1e-6, 0),
    (.tanh, -6, 6, 1e-6, 0),
    (.tanh, -0.5, 0.5, 1e-6, 0),        // both sides of the series/exp switch at |x| = 0.4
    (.exp, -87, 88, 1e-6, 0),
    (.log, 1e-6, 100, 1e-6, 0),
    (.softplus(plus: 0), -30, 30, 1e-6, 1e-30),
    (.softplus(plus: 0.01), -10, 10, 1e-6, 0),
    (.neg, -4, 4, 0, 0),
    (.sqrt, 0, 100, 1e-7, 0),
    (.erf, -4, 4, 1e-6, 1e-7),
    (.normalCDF, -8, 8, 1e-5, 0),
    (.gelu, -6, 6, 1e-5, 1e-7),
    (.abs, -4, 4, 0, 0),
    (.square, -4, 4, 1e-7, 0),
    (.reciprocal, 0.25, 8, 1e-7, 0),
    (.sin, -6, 6, 1e-6, 1e-7),
    (.cos, -6, 6, 1e-6, 1e-7),
    (.geluTanh, -6, 6, 1e-5, 1e-7),
]

@Suite struct UnaryTests {
    @Test func everyOpAgainstDoubleReference() {
        for (index, c) in unaryCases.enumerated() {
            for size in testSizes + [1000] {
                let x = randomFloats(size, seed: UInt64(index * 1000 + size), low: c.low, high: c.high)
                let expected = x.map { reference(c.op, Double($0)) }
                expectClose(Kernels.unary(c.op, x), expected, relative: c.relative, absolute: c.absolute,
                            "\(c.op) size \(size)")
            }
        }
    }

    @Test func inPlaceEqualsOutOfPlace() {
        for (index, c) in unaryCases.enumerated() {
            let x = randomFloats(130, seed: UInt64(index), low: c.low, high: c.high)
            var y = x
            Kernels.unary(c.op, inPlace: &y, count: y.count)
            #expect(y == Kernels.unary(c.op, x), "\(c.op) in place")
        }
    }

    @Test func expAtTheEdgesOfTheFloatRange() {
        // Overflow to +∞, underflow through subnormals to 0, ±∞ and NaN inputs.
        let x: [Float] = [-.infinity, -200, -104, -103, -100, -90, -87.5, 0, 1, 88.5, 88.72, 88.73, 89, 1000, .infinity]
        let got = Kernels.unary(.exp, x)
        let expected = x.map { Double(Float(exp(Double($0)))) }
        // Subnormal results have fewer bits: absolute 2^-148 covers the two rounding steps there.
        expectClose(got, expected, relative: 1e-6, absolute: 0x1p-148, "exp edges")
        #expect(Kernels.unary(.exp, [.nan])[0].isNaN)
    }

    @Test func expIsAccurateEverywhereOnAFineGrid() {
        // Every 1/64 from -87 to 88: relative error within 2.5e-7 (about 2 ulp).
        let x = stride(from: -87.0, through: 88.0, by: 1.0 / 64).map { Float($0) }
        expectClose(Kernels.unary(.exp, x), x.map { exp(Double($0)) }, relative: 2.5e-7, "exp grid")
    }

    @Test func logAcrossTheFloatRangeAndAtItsEdges() {
        // Log-uniform over 2^-149 … 2^127 (subnormals included), plus values next to 1.
        var x = stride(from: -149.0, to: 127.0, by: 1.0 / 16).map { Float(pow(2.0, $0) * 1.3) }
        for i in 1...64 {
            let step = Float(i) * Float.ulpOfOne
            x.append(1 + step)
            x.append(1 - step / 2)
        }
        expectClose(Kernels.unary(.log, x), x.map { log(Double($0)) }, relative: 2.5e-7, "log grid")
        let special = Kernels.unary(.log, [0, -0.0, .infinity, -1, .nan, 1])
        #expect(special[0] == -.infinity && special[1] == -.infinity && special[2] == .infinity)
        #expect(special[3].isNaN && special[4].isNaN && special[5] == 0)
    }

    @Test func softplusAcrossItsRange() {
        // The log1p branch for large |x|, both signs, and the region around 0.
        let x = stride(from: -100.0, through: 100.0, by: 1.0 / 32).map { Float($0) }
        expectClose(Kernels.unary(.softplus(plus: 0), x), x.map { log1p(exp(Double($0))) }, relative: 1e-6,
                    absolute: 1e-45, "softplus grid")
    }

    @Test func saturatingFunctionsStayFiniteAndExact() {
        let big: [Float] = [-1000, -100, 100, 1000, -.infinity, .infinity]
        #expect(Kernels.unary(.sigmoid, big) == [0, 0, 1, 1, 0, 1])
        #expect(Kernels.unary(.tanh, big) == [-1, -1, 1, 1, -1, 1])
        #expect(Kernels.unary(.softplus(plus: 0), [-1000, 1000, 0]) == [0, 1000, Float(log(2.0))])
        #expect(Kernels.unary(.normalCDF, [-.infinity, .infinity]) == [0, 1])
        // The lower tail keeps relative precision where 1 + erf(z/√2) would cancel to 0.
        expectClose(Kernels.unary(.normalCDF, [-6, -9]), [0.5 * erfc(6 / 2.0.squareRoot()), 0.5 * erfc(9 / 2.0.squareRoot())],
                    relative: 1e-5, "Φ lower tail")
        #expect(Kernels.unary(.tanh, [-0.0])[0].sign == .minus)
    }

    @Test func affineScaleAndShift() {
        let x = randomFloats(65, seed: 3)
        expectClose(Kernels.affine(x, alpha: 2.5, beta: -1), x.map { 2.5 * Double($0) - 1 },
                    relative: 1e-6, absolute: 1e-6, "affine")
        var y = x
        Kernels.affine(y, alpha: -3, out: &y, count: y.count)
        expectClose(y, x.map { -3 * Double($0) }, relative: 1e-7, "affine in place")
    }

    @Test func axpyAccumulates() {
        for size in testSizes {
            let x = randomFloats(size, seed: 4), y0 = randomFloats(size, seed: 5)
            var y = y0
            Kernels.axpy(alpha: 0.75, x, &y, count: size)
            expectClose(y, (0..<size).map { Double(y0[$0]) + 0.75 * Double(x[$0]) },
                        relative: 1e-6, absolute: 1e-6, "axpy \(size)")
        }
    }

    @Test func multiplyAddInAnyAliasing() {
        for size in testSizes {
            let a = randomFloats(size, seed: 6), b = randomFloats(size, seed: 7), c = randomFloats(size, seed: 8)
            let expected = (0..<size).map { Double(a[$0]) * Double(b[$0]) + Double(c[$0]) }
            expectClose(Kernels.multiplyAdd(a, b, c), expected, relative: 1e-6, absolute: 1e-6, "fma \(size)")
            var outA = a, outB = b, outC = c
            Kernels.multiplyAdd(outA, b, c, out: &outA, count: size)
            Kernels.multiplyAdd(a, outB, c, out: &outB, count: size)
            Kernels.multiplyAdd(a, b, outC, out: &outC, count: size)
            #expect(outA == Kernels.multiplyAdd(a, b, c) && outB == outA && outC == outA, "fma aliasing \(size)")
        }
    }
}

@Suite struct BinaryTests {
    private func reference(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .max: return Swift.max(a, b)
        case .min: return Swift.min(a, b)
        case .pow: return pow(a, b)
        }
    }

    @Test(arguments: BinaryOp.allCases, Broadcast.allCases)
    func againstNaiveLoops(op: BinaryOp, broadcast: Broadcast) {
        for (index, shape) in testShapes.enumerated() {
            let (rows, cols) = shape
            // pow: a positive base (a negative one with a fractional exponent is NaN, which == cannot compare).
            let a = randomFloats(rows * cols, seed: UInt64(index), low: op == .pow ? 0.1 : -1)
            // b away from 0 so that division stays well conditioned.
            let b = randomFloats(broadcast.count(rows: rows, cols: cols), seed: UInt64(index + 50), low: 0.5, high: 2)
            var expected: [Double] = []
            for r in 0..<rows {
                for c in 0..<cols {
                    let bv: Float
                    switch broadcast {
                    case .none: bv = b[r * cols + c]
                    case .row: bv = b[c]
                    case .column: bv = b[r]
                    case .scalar: bv = b[0]
                    }
                    expected.append(reference(op, Double(a[r * cols + c]), Double(bv)))
                }
            }
            let got = Kernels.binary(op, a, b, broadcast: broadcast, rows: rows, cols: cols)
            expectClose(got, expected, relative: 1e-6, absolute: 1e-7, "\(op) \(broadcast) \(rows)x\(cols)")
            // In place into a gives the same bits.
            var inPlace = a
            Kernels.binary(op, inPlace, b, broadcast: broadcast, out: &inPlace, rows: rows, cols: cols)
            #expect(inPlace == got, "\(op) \(broadcast) in place over a")
            if broadcast == .none {
                var intoB = b
                Kernels.binary(op, a, intoB, broadcast: .none, out: &intoB, rows: rows, cols: cols)
                #expect(intoB == got, "\(op) in place over b")
            }
        }
    }
}
