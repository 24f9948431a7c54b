import MoegcIR
import MoegcKernels
import MoegcSupport

/// Sources: weights from their init rule, constant fills, seeded random tensors.
///
/// A weight's values depend only on the run's seed and the weight's name, so the same model
/// starts from the same weights however it is lowered, fused, placed or scheduled.
extension NodeExecutor {
    /// The stream of weight `name`: FNV-1a of the name, mixed into the run's seed.
    static func weightStream(_ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    func initialise(_ shape: [Int], _ ctx: OpContext, _ name: String) -> HostTensor {
        var g = SeededGenerator.stream(seed: seed, NodeExecutor.weightStream(name))
        let scale = Float(ctx.double("scale"))
        return makeFloats(shape) { out, n in
            switch ctx.symbol("init") {
            case "ones": Kernels.fill(out, value: 1, count: n)
            case "normal": Kernels.fillNormal(out, count: n, std: scale, generator: &g)
            case "uniform": Kernels.fillUniform(out, count: n, low: -scale, high: scale, generator: &g)
            default: Kernels.fill(out, value: 0, count: n)
            }
        }
    }

    func fill(_ shape: [Int], _ value: Float) -> HostTensor {
        makeFloats(shape) { out, n in Kernels.fill(out, value: value, count: n) }
    }

    func randomNormal(like: HostTensor, stream: Int) -> HostTensor {
        var g = generator(stream)
        return makeFloats(like.shape) { out, n in Kernels.fillNormal(out, count: n, generator: &g) }
    }

    func randomIds(_ shape: [Int], high: Int, stream: Int) -> HostTensor {
        var g = generator(stream)
        return makeInts(shape) { out, n in for i in 0..<n { out[i] = Int32(truncatingIfNeeded: g.nextInt(below: high)) } }
    }
}
