/// The physical quantities a cluster file states, with the units each accepts.
///
/// Decimal prefixes are powers of 1000 (GB = 10⁹ bytes), binary ones powers of 1024 (GiB = 2³⁰).
/// Bit rates (`Gbit/s`) are divided by 8. The printer writes the largest unit that reproduces the
/// value exactly when read back, so printing and re-parsing is the identity.
enum PhysicalQuantity: Sendable {
    case flopRate, byteRate, bytes, time

    /// Units in the order the printer tries them (largest first); the first of each scale is canonical.
    var units: [(name: String, scale: Double)] {
        switch self {
        case .flopRate:
            return [("PFLOP/s", 1e15), ("TFLOP/s", 1e12), ("GFLOP/s", 1e9), ("MFLOP/s", 1e6),
                    ("KFLOP/s", 1e3), ("FLOP/s", 1)]
        case .byteRate:
            return [("TB/s", 1e12), ("GB/s", 1e9), ("MB/s", 1e6), ("KB/s", 1e3), ("B/s", 1),
                    ("TiB/s", 1_099_511_627_776), ("GiB/s", 1_073_741_824), ("MiB/s", 1_048_576), ("KiB/s", 1024),
                    ("Tbit/s", 1.25e11), ("Gbit/s", 1.25e8), ("Mbit/s", 1.25e5)]
        case .bytes:
            return [("TiB", 1_099_511_627_776), ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024),
                    ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)]
        case .time:
            return [("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)]
        }
    }

    /// What the quantity is called in messages.
    var noun: String {
        switch self {
        case .flopRate: "a compute rate"
        case .byteRate: "a bandwidth"
        case .bytes: "a size"
        case .time: "a time"
        }
    }

    /// Example units for messages.
    var examples: String {
        switch self {
        case .flopRate: "TFLOP/s, GFLOP/s"
        case .byteRate: "GB/s, GiB/s, Gbit/s"
        case .bytes: "GB, GiB, MiB"
        case .time: "s, ms, us, ns"
        }
    }

    func scale(of unit: Substring) -> Double? { units.first { $0.name == unit }?.scale }

    /// Every unit name of every quantity: a word that may follow a number after a space.
    static func isUnitName(_ s: Substring) -> Bool {
        [PhysicalQuantity.flopRate, .byteRate, .bytes, .time].contains { $0.scale(of: s) != nil }
    }

    /// `value` written so that it reads back exactly, with the unit that gives the shortest number
    /// (ties: the larger unit): 4.29TFLOP/s, 12GB, 1GiB/s, 5us.
    func format(_ value: Double) -> String {
        var best: (text: String, scale: Double)?
        if value != 0 {
            for (name, scale) in units {
                let m = value / scale
                guard m.magnitude >= 1 else { continue }
                let number = formatNumber(m)
                guard let back = Double(number), back * scale == value else { continue }
                if best == nil || number.count + name.count < best!.text.count
                    || (number.count + name.count == best!.text.count && scale > best!.scale) {
                    best = (number + name, scale)
                }
            }
        }
        // The base unit when that is shorter (a value no unit divides into a short number).
        let plain = formatNumber(value) + units.first { $0.scale == 1 }!.name
        if let best, best.text.count <= plain.count { return best.text }
        return plain
    }

    /// A size written with the largest unit that divides it exactly.
    func format(_ value: Int) -> String {
        for (name, scale) in units.sorted(by: { $0.scale > $1.scale }) where scale >= 1 {
            let s = Int(scale)
            if value != 0, value % s == 0 { return "\(value / s)\(name)" }
        }
        return "\(value)B"
    }
}

/// A number as Swift prints it (the shortest text that reads back exactly), without a trailing ".0".
func formatNumber(_ x: Double) -> String {
    var s = "\(x)"
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

/// Splits `text` into a leading decimal number (digits, optional fraction, optional exponent) and
/// the rest. Returns nil when `text` does not start with a number.
func splitNumber(_ text: Substring) -> (number: Double, rest: Substring)? {
    let scalars = Array(text.unicodeScalars)
    var i = 0
    func isDigit(_ k: Int) -> Bool { k < scalars.count && ("0"..."9").contains(scalars[k]) }
    if i < scalars.count, scalars[i] == "-" || scalars[i] == "+" { i += 1 }
    let intStart = i
    while isDigit(i) { i += 1 }
    var digits = i - intStart
    if i < scalars.count, scalars[i] == "." {
        i += 1
        let fracStart = i
        while isDigit(i) { i += 1 }
        digits += i - fracStart
    }
    guard digits > 0 else { return nil }
    if i < scalars.count, scalars[i] == "e" || scalars[i] == "E" {
        var j = i + 1
        if j < scalars.count, scalars[j] == "-" || scalars[j] == "+" { j += 1 }
        if isDigit(j) {
            while isDigit(j) { j += 1 }
            i = j
        }
    }
    let numberText = String(String.UnicodeScalarView(scalars[0..<i]))
    guard let value = Double(numberText) else { return nil }
    let restIndex = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: i)
    return (value, text[restIndex...])
}
