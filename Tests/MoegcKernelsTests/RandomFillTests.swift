import MoegcKernels
import MoegcSupport
import Testing

@Suite struct RandomFillTests {
    @Test func sameSeedSameBits() {
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5), g3 = SeededGenerator(seed: 6)
        let a = Kernels.normal(count: 1000, generator: &g1)
        let b = Kernels.normal(count: 1000, generator: &g2)
        let c = Kernels.normal(count: 1000, generator: &g3)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a != c)
        // The generator advanced: the next draws differ from the first ones.
        #expect(Kernels.normal(count: 1000, generator: &g1) != a)
        // The fill takes one nextNormal() per element, in order.
        var g4 = SeededGenerator(seed: 5)
        #expect(a[0...2] == [Float(g4.nextNormal()), Float(g4.nextNormal()), Float(g4.nextNormal())])
    }

    @Test func normalMoments() {
        // 200 000 draws of N(3, 2²): sample mean within 0.03 (≈ 7 standard errors) and standard
        // deviation within 0.03. The generator is seeded, so the outcome is fixed.
        var g = SeededGenerator(seed: 9)
        let x = Kernels.normal(count: 200_000, mean: 3, std: 2, generator: &g)
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let sd = (x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count)).squareRoot()
        #expect(abs(m - 3) < 0.03, "mean \(m)")
        #expect(abs(sd - 2) < 0.03, "std \(sd)")
    }

    @Test func uniformRangeAndMean() {
        var g = SeededGenerator(seed: 10)
        let x = Kernels.uniform(count: 100_000, low: -2, high: 6, generator: &g)
        #expect(x.allSatisfy { $0 >= -2 && $0 < 6 })
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        #expect(abs(m - 2) < 0.05, "mean \(m)")    // standard error 8/√12/√10⁵ ≈ 0.0073
        var g1 = SeededGenerator(seed: 10)
        #expect(Kernels.uniform(count: 100_000, low: -2, high: 6, generator: &g1) == x)
    }
}
