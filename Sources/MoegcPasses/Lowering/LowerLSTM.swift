import MoegcIR
import MoegcSupport

/// Unrolls `lstm` over its sequence into per-timestep cells, as the TensorFlow graphs the placement
/// papers place are:
///
///     %h = lstm(%x) {hidden = H}                       x: [B, S, n]
///   ──▶ for t in 0..<S:
///     %h.x{t}    = reshape(slice(%x, axis 1, t..t+1))   [B, n]
///     %h.z{t}    = add(matmul(concat(%h.x{t}, %h.h{t−1}), %h.kernel), %h.bias)    [B, 4H]  (gates i, f, g, o)
///     %h.c{t}    = sigmoid(f)·c{t−1} + sigmoid(i)·tanh(g)
///     %h.h{t}    = sigmoid(o)·tanh(c{t})     (· W_projection with `projection`)
///     %h         = concat over t of reshape(%h.h{t}, [B, 1, r])          [B, S, r]
///
/// h₋₁ and c₋₁ are zeros (`fill`).
public let lowerLSTM = GraphPass(name: "lower-lstm") { graph, options throws(DiagnosticList) in
    try Lowerer.run(&graph, options, ops: [.lstm]) { l, nid in l.lowerLSTM(nid) }
}

extension Lowerer {
    mutating func lowerLSTM(_ nid: NodeID) {
        let ctx = old.context(nid), p = name(nid)
        let x = operand(nid, 0), xt = type(x)
        let h = ctx.int("hidden"), proj = ctx.int("projection"), r = proj > 0 ? proj : h
        let batch = xt.dims[0], steps = xt.dims[1].size, n = xt.dims[2].size
        let params = params(for: nid)
        let kernel = params["kernel"]![0], bias = params["bias"]![0]
        var hPrev = rw.emit1(.fill, [], name: "\(p).h_init", type: TensorType(.f32, [batch, Dim(r)]))
        var cPrev = rw.emit1(.fill, [], name: "\(p).c_init", type: TensorType(.f32, [batch, Dim(h)]))
        var outputs: [ValueID] = []
        for t in 0..<steps {
            let s = "\(p).t\(t)"
            let xs = slice(x, axis: 1, t, t + 1, "\(s).x_slice")
            let xtv = reshape(xs, [batch.size, n], "\(s).x", type: TensorType(.f32, [batch, Dim(n)]))
            let xh = emit(.concat, [xtv, hPrev], [("axis", .int(-1))], "\(s).xh")
            let z = emit(.add, [emit(.matmul, [xh, kernel], "\(s).z_raw"), bias], "\(s).z")
            let i = emit(.sigmoid, [slice(z, axis: -1, 0, h, "\(s).i_raw")], "\(s).i")
            let f = emit(.sigmoid, [slice(z, axis: -1, h, 2 * h, "\(s).f_raw")], "\(s).f")
            let g = emit(.tanh, [slice(z, axis: -1, 2 * h, 3 * h, "\(s).g_raw")], "\(s).g")
            let o = emit(.sigmoid, [slice(z, axis: -1, 3 * h, 4 * h, "\(s).o_raw")], "\(s).o")
            let c = emit(.fma, [f, cPrev, emit(.mul, [i, g], "\(s).ig")], "\(s).c")
            var hNew = emit(.mul, [o, emit(.tanh, [c], "\(s).c_tanh")], "\(s).h_cell")
            if proj > 0 { hNew = emit(.matmul, [hNew, params["projection"]![0]], "\(s).h") }
            outputs.append(reshape(hNew, [batch.size, 1, r], "\(s).h_step", type: TensorType(.f32, [batch, Dim(1), Dim(r)])))
            hPrev = hNew
            cPrev = c
        }
        // No timesteps: the empty sequence.
        let y = outputs.isEmpty ? rw.emit1(.fill, [], name: "\(p).sequence", type: TensorType(.f32, [batch, Dim(0), Dim(r)]))
            : outputs.count == 1 ? outputs[0] : emit(.concat, outputs, [("axis", .int(1))], "\(p).sequence")
        let yt = TensorType(.f32, [batch, xt.dims[1], Dim(r)])
        rw.bind(old[nid].results[0], to: reshape(y, yt.shape, "\(p).out", type: yt))
    }
}
