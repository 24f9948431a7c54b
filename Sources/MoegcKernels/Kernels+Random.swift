// Deterministic random fills from the project's seeded generator.

import MoegcSupport

extension Kernels {
    /// out[i] = mean + std · z_i for i in 0..<count, z_i standard normal draws taken in order
    /// from `generator` (one `nextNormal()` each), so the same generator state gives the same
    /// bytes on every machine.
    public static func fillNormal(_ out: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0,
                                  std: Float = 1, generator: inout SeededGenerator) {
        precondition(count >= 0, "negative count")
        for i in 0..<count { out[i] = mean + std * Float(generator.nextNormal()) }
    }

    /// out[i] = low + (high − low) · u_i for i in 0..<count, u_i uniform in [0, 1) taken in order
    /// from `generator` (one `nextFloat()` each). Requires low ≤ high.
    public static func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, low: Float = 0,
                                   high: Float = 1, generator: inout SeededGenerator) {
        precondition(count >= 0, "negative count")
        precondition(low <= high, "fillUniform: low > high")
        let span = high - low
        for i in 0..<count { out[i] = low + span * generator.nextFloat() }
    }
}
