import Foundation
import MoegcSim
import MoegcSupport

/// Bytes moved from each device (row) to each other device (column) in the simulated step: every
/// transfer of the timeline counted once with its value's bytes (so the matrix sums to the
/// simulator's `bytesTransferred`).
public struct TransferMatrix: Sendable, Equatable {
    public var bytes: [[Int]]
    public var count: [[Int]]

    public init(timeline: Timeline, cost: CostGraph, deviceCount d: Int) {
        bytes = [[Int]](repeating: [Int](repeating: 0, count: d), count: d)
        count = bytes
        for x in timeline.transfers {
            bytes[x.source][x.destination] += cost.valueBytes[x.value]
            count[x.source][x.destination] += 1
        }
    }

    public var total: Int { bytes.reduce(0) { $0 + $1.reduce(0, +) } }

    /// A grid of cells shaded by the log of the bytes (white: none); names on the axes up to 32 devices.
    public func svg(deviceNames: [String]) -> SVG {
        let d = bytes.count
        let cell = d <= 8 ? 40 : d <= 16 ? 26 : d <= 32 ? 16 : max(4, 768 / max(1, d))
        let labels = d <= 32
        let margin = labels ? 80 : 30
        var svg = SVG(width: margin + d * cell + 10, height: margin + d * cell + 10)
        let nonzero = bytes.flatMap { $0 }.filter { $0 > 0 }
        let hi = Double(nonzero.max() ?? 1), lo = Double(nonzero.min() ?? 1)
        svg.rect(x: Double(margin), y: Double(margin), width: Double(d * cell), height: Double(d * cell), fill: "#ffffff",
                 attributes: "stroke=\"#ccc\"")
        for s in 0..<d {
            for t in 0..<d where bytes[s][t] > 0 {
                let f = hi > lo ? log(Double(bytes[s][t]) / lo) / log(hi / lo) : 1
                let shade = 0.15 + 0.85 * f
                let r = Int(255 - shade * (255 - 0x08)), g = Int(255 - shade * (255 - 0x30)), b = Int(255 - shade * (255 - 0x6b))
                let fill = DevicePalette.hex((r, g, b))
                svg.rect(x: Double(margin + t * cell), y: Double(margin + s * cell), width: Double(cell), height: Double(cell),
                         fill: fill, title: "\(deviceNames[s]) → \(deviceNames[t]): \(Quantity.bytes(Double(bytes[s][t]))) in \(count[s][t]) transfer\(count[s][t] == 1 ? "" : "s")")
            }
        }
        if labels {
            for k in 0..<d {
                svg.text(deviceNames[k], x: Double(margin - 4), y: Double(margin + k * cell + cell / 2 + 4), anchor: "end", size: 10)
                svg.text(deviceNames[k], x: Double(margin + k * cell + cell / 2), y: Double(margin - 6), anchor: "middle", size: cell < 20 ? 7 : 10)
            }
        } else {
            svg.text("from ↓ to →, \(d) devices in order", x: Double(margin), y: Double(margin - 8), size: 10)
        }
        return svg
    }
}
