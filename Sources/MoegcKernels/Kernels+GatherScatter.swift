// Row gather and weighted scatter-add: the dispatch and combine steps of a sorted-by-expert MoE.
//
//     tokens x[T, d] ──gather(idx)──▶ expert input [count, d] ──expert──▶ y[count, d]
//     out[T, d] ◀──scatterAdd(idx, gate weights)── y

extension Kernels {
    /// out[i, :] = src[indices[i], :] for i in 0..<count, rows of `width` floats; each row is one
    /// memcpy. Every index must be in 0..<srcRows (checked). `out` must not overlap `src`.
    public static func gatherRows(_ src: UnsafePointer<Float>, srcRows: Int,
                                  indices: UnsafePointer<Int32>, count: Int, width: Int,
                                  out: UnsafeMutablePointer<Float>) {
        checkShape(srcRows, width)
        precondition(count >= 0, "negative count")
        checkDisjoint(src, srcRows * width, out, count * width)
        for i in 0..<count {
            let row = Int(indices[i])
            precondition(row >= 0 && row < srcRows, "gatherRows: index out of range")
            (out + i * width).update(from: src + row * width, count: width)
        }
    }

    /// out[indices[i], :] += weights[i] · src[i, :] for i in 0..<count, rows of `width` floats
    /// (weight 1 when `weights` is nil). Repeated indices accumulate, in order of i. Every index
    /// must be in 0..<outRows (checked). `out` must not overlap `src` or `weights`.
    public static func scatterAddRows(_ src: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                      weights: UnsafePointer<Float>?, count: Int, width: Int,
                                      out: UnsafeMutablePointer<Float>, outRows: Int) {
        checkShape(outRows, width)
        precondition(count >= 0, "negative count")
        checkDisjoint(src, count * width, out, outRows * width)
        if let weights { checkDisjoint(weights, count, out, outRows * width) }
        for i in 0..<count {
            let row = Int(indices[i])
            precondition(row >= 0 && row < outRows, "scatterAddRows: index out of range")
            let s = src + i * width, o = out + row * width
            if let weights {
                let w = weights[i]
                for c in 0..<width { o[c] += w * s[c] }
            } else {
                for c in 0..<width { o[c] += s[c] }
            }
        }
    }
}
