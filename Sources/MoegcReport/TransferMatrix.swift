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

    /// Most rows and columns drawn: larger clusters are drawn in blocks of consecutive devices
    /// (a host's devices are consecutive), so 128 devices draw 32 × 32 cells of 4 × 4 devices.
    public static let maxCells = 32

    /// A grid of cells shaded by the log of the bytes (white: none), device names on the axes.
    public func svg(deviceNames: [String]) -> SVG {
        let d = bytes.count
        let block = (d + Self.maxCells - 1) / Self.maxCells
        let n = (d + block - 1) / block
        func label(_ k: Int) -> String {
            let lo = k * block, hi = min(d, lo + block) - 1
            return lo == hi ? deviceNames[lo] : "\(deviceNames[lo])…\(deviceNames[hi])"
        }
        var cellBytes = [[Int]](repeating: [Int](repeating: 0, count: n), count: n), cellCount = cellBytes
        for s in 0..<d {
            for t in 0..<d {
                cellBytes[s / block][t / block] += bytes[s][t]
                cellCount[s / block][t / block] += count[s][t]
            }
        }
        let cell = n <= 8 ? 40 : n <= 16 ? 26 : 18
        let margin = block == 1 ? 80 : 130, top = block == 1 ? 80 : 24
        var svg = SVG(width: margin + n * cell + 10, height: top + n * cell + 10)
        let nonzero = cellBytes.flatMap { $0 }.filter { $0 > 0 }
        let hi = Double(nonzero.max() ?? 1), lo = Double(nonzero.min() ?? 1)
        svg.rect(x: Double(margin), y: Double(top), width: Double(n * cell), height: Double(n * cell), fill: "#ffffff",
                 attributes: "stroke=\"#ccc\"")
        for s in 0..<n {
            for t in 0..<n where cellBytes[s][t] > 0 {
                let f = hi > lo ? log(Double(cellBytes[s][t]) / lo) / log(hi / lo) : 1
                let shade = 0.15 + 0.85 * f
                let r = Int(255 - shade * (255 - 0x08)), g = Int(255 - shade * (255 - 0x30)), b = Int(255 - shade * (255 - 0x6b))
                let c = cellCount[s][t]
                svg.rect(x: Double(margin + t * cell), y: Double(top + s * cell), width: Double(cell), height: Double(cell),
                         fill: DevicePalette.hex((r, g, b)),
                         title: "\(label(s)) → \(label(t)): \(Quantity.bytes(Double(cellBytes[s][t]))) in \(c) transfer\(c == 1 ? "" : "s")")
            }
        }
        for k in 0..<n {
            let name = label(k)
            svg.text(name, x: Double(margin - 4), y: Double(top + k * cell + cell / 2 + 4), anchor: "end", size: 10)
            if block == 1 {
                svg.text(name, x: Double(margin + k * cell + cell / 2), y: Double(top - 6), anchor: "middle", size: cell < 20 ? 7 : 10)
            }
        }
        if block > 1 {
            svg.text("from ↓ to →, blocks of \(block) devices (columns in the rows' order)", x: Double(margin), y: Double(top - 8), size: 10)
        }
        return svg
    }
}
