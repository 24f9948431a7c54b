// Human-readable numbers for reports and messages, shared by every module that prints one (the
// driver's tables, the learned placer's notes). Not for files that must read back exactly: cluster
// files use MoegcSim's `PhysicalQuantity`.

/// Human-readable quantities: 8.39 M, 273 G, 3.28 GB.
public enum Quantity {
    public static func count(_ x: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where abs(x) >= scale { return fixed(x / scale, 2) + " " + suffix }
        return x == x.rounded() ? String(Int(x)) : fixed(x, 2)
    }

    /// In millions, as the paper's tables print parameters and ops ("4303.4M").
    public static func millions(_ x: Double, _ digits: Int) -> String { fixed(x / 1e6, digits) + "M" }

    public static func bytes(_ x: Double) -> String {
        let units: [(Double, String)] = [(0x1p40, "TiB"), (0x1p30, "GiB"), (0x1p20, "MiB"), (0x1p10, "KiB")]
        for (scale, suffix) in units where x >= scale { return fixed(x / scale, 2) + " " + suffix }
        return "\(Int(x)) B"
    }

    /// A duration: 12.35 ms, 412.0 µs, 1.25 s.
    public static func seconds(_ x: Double) -> String {
        if x >= 1 { return fixed(x, 2) + " s" }
        if x >= 1e-3 { return fixed(x * 1e3, 2) + " ms" }
        return fixed(x * 1e6, 1) + " µs"
    }

    public static func fixed(_ x: Double, _ digits: Int) -> String {
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let r = (abs(x) * p).rounded() / p
        var s = String(Int(r))
        if digits > 0 {
            var frac = String(Int(((r - r.rounded(.down)) * p).rounded()))
            while frac.count < digits { frac = "0" + frac }
            s += "." + frac
        }
        return (x < 0 ? "-" : "") + s
    }

    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    public static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
