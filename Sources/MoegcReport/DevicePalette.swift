/// The colour of each device, the same in every chart of a report: a qualitative palette of 12
/// for small clusters, and for larger ones hues spread by the golden angle over three lightness
/// bands, each colour distinct (the browser test counts pixels of each exact colour).
public struct DevicePalette: Sendable, Equatable {
    /// `#rrggbb` of each device.
    public let colors: [String]
    /// The same colours as (r, g, b).
    public let rgb: [(Int, Int, Int)]

    public static func == (a: DevicePalette, b: DevicePalette) -> Bool { a.colors == b.colors }

    /// Tableau's 10 plus two, none of them grey (grey is the edges' and the transfers' colour).
    static let qualitative: [(Int, Int, Int)] = [
        (0x4e, 0x79, 0xa7), (0xf2, 0x8e, 0x2b), (0xe1, 0x57, 0x59), (0x76, 0xb7, 0xb2),
        (0x59, 0xa1, 0x4f), (0xed, 0xc9, 0x48), (0xb0, 0x7a, 0xa1), (0xff, 0x9d, 0xa7),
        (0x9c, 0x75, 0x5f), (0x1f, 0x3a, 0x93), (0x8c, 0xd1, 0x7d), (0xd3, 0x72, 0xe0),
    ]

    public init(deviceCount: Int) {
        var rgb: [(Int, Int, Int)] = []
        if deviceCount <= Self.qualitative.count {
            rgb = Array(Self.qualitative.prefix(deviceCount))
        } else {
            var seen = Set<Int>()
            var k = 0
            while rgb.count < deviceCount {
                let hue = (Double(k) * 137.508).truncatingRemainder(dividingBy: 360)
                let lightness = [0.45, 0.60, 0.35][k % 3]
                let c = Self.hsl(hue, 0.65, lightness)
                k += 1
                let key = c.0 << 16 | c.1 << 8 | c.2
                // Keep colours apart from each other (by at least 3 in some channel) and from greys.
                let nearGrey = max(c.0, c.1, c.2) - min(c.0, c.1, c.2) < 40
                if nearGrey || seen.contains(key) || rgb.contains(where: { max(abs($0.0 - c.0), abs($0.1 - c.1), abs($0.2 - c.2)) < 3 }) {
                    if k > 64 * deviceCount { rgb.append(c); seen.insert(key) }   // never loops forever
                    continue
                }
                seen.insert(key)
                rgb.append(c)
            }
        }
        self.rgb = rgb
        colors = rgb.map { Self.hex($0) }
    }

    public subscript(device: Int) -> String { colors[device] }

    static func hex(_ c: (Int, Int, Int)) -> String {
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [c.0, c.1, c.2] { s.append(digits[v >> 4]); s.append(digits[v & 15]) }
        return s
    }

    /// HSL (hue in degrees, saturation and lightness in 0…1) to 8-bit RGB.
    static func hsl(_ h: Double, _ s: Double, _ l: Double) -> (Int, Int, Int) {
        let c = (1 - abs(2 * l - 1)) * s
        let hp = h / 60
        let x = c * (1 - abs(hp.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double)
        switch hp {
        case ..<1: (r, g, b) = (c, x, 0)
        case ..<2: (r, g, b) = (x, c, 0)
        case ..<3: (r, g, b) = (0, c, x)
        case ..<4: (r, g, b) = (0, x, c)
        case ..<5: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        let m = l - c / 2
        func byte(_ v: Double) -> Int { min(255, max(0, Int(((v + m) * 255).rounded()))) }
        return (byte(r), byte(g), byte(b))
    }
}
