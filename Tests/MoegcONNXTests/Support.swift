import MoegcIR
import MoegcRuntime

let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// Whether `actual` is within `atol + rtol·|expected|` of `expected` everywhere (NumPy's
/// `allclose`, the ONNX backend's test), NaN matching NaN and infinities matching exactly; integer
/// tensors must be equal. nil when close, else the first mismatch in words.
func mismatch(_ actual: HostTensor, _ expected: HostTensor, rtol: Double, atol: Double) -> String? {
    guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
    switch (actual.storage, expected.storage) {
    case (.i32(let a), .i32(let e)):
        if let i = a.indices.first(where: { a[$0] != e[$0] }) { return "element \(i) is \(a[i]), expected \(e[i])" }
        return nil
    case (.f32(let a), .f32(let e)):
        for i in a.indices {
            let x = Double(a[i]), y = Double(e[i])
            if y.isNaN { if x.isNaN { continue } else { return "element \(i) is \(x), expected NaN" } }
            if y.isInfinite { if x == y { continue } else { return "element \(i) is \(x), expected \(y)" } }
            if !(abs(x - y) <= atol + rtol * abs(y)) { return "element \(i) is \(x), expected \(y) (rtol \(rtol), atol \(atol))" }
        }
        return nil
    default:
        return "dtype \(actual.dtype), expected \(expected.dtype)"
    }
}

/// A plan over `devices` devices, nodes dealt out in turn (each device's order the graph's), so
/// values cross devices as transfers.
func roundRobinPlan(_ g: Graph, devices: Int) -> (device: [Int], order: [[Int]]) {
    let device = g.nodes.indices.map { $0 % devices }
    var order = [[Int]](repeating: [], count: devices)
    for (i, d) in device.enumerated() { order[d].append(i) }
    return (device, order)
}
