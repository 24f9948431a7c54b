// Human-readable numbers for reports and messages, shared by every module that prints one (the
// driver's tables, the learned placer's notes). Not for files that must read back exactly: cluster
// files use MoegcSim's `PhysicalQuantity`.

/// Human-readable quantities: 8.39 M, 273 G, 3.28 GB. Every function prints any Double — NaN and
/// ±infinity as `nan`, `inf`, `-inf`; magnitudes beyond what fixed notation shows well (≥ 10^15
/// after scaling) in scientific notation (`1.00e30`); tiny ones round to zero — and never traps.
public enum Quantity {
    public static func count(_ x: Double) -> String {
        guard x.isFinite else { return special(x) }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where abs(x) >= scale { return fixed(x / scale, 2) + " " + suffix }
        return x == x.rounded() ? String(Int(x)) : fixed(x, 2)
    }

    /// In millions, as the paper's tables print parameters and ops ("4303.4M").
    public static func millions(_ x: Double, _ digits: Int) -> String { fixed(x / 1e6, digits) + "M" }

    public static func bytes(_ x: Double) -> String {
        guard x.isFinite else { return special(x) + " B" }
        let units: [(Double, String)] = [(0x1p60, "EiB"), (0x1p50, "PiB"), (0x1p40, "TiB"), (0x1p30, "GiB"), (0x1p20, "MiB"), (0x1p10, "KiB")]
        for (scale, suffix) in units where x >= scale { return fixed(x / scale, 2) + " " + suffix }
        return abs(x) < 1e15 ? "\(Int(x)) B" : scientific(x, 2) + " B"
    }

    /// A duration to four significant figures: 1.250 s, 217.4 ms, 12.35 ms, 412.0 µs, 85.00 ns;
    /// 1234 s, and from 10⁴ s on scientific (1.150e21 s).
    public static func seconds(_ x: Double) -> String {
        guard x.isFinite else { return special(x) + " s" }
        if x == 0 { return "0 s" }
        let m = abs(x)
        if m >= 9999.5 { return scientific(x, 3) + " s" }
        for (scale, unit) in [(1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")] where m >= scale * 0.99995 || scale == 1e-9 {
            let v = x / scale
            // Digits after the point so that four are significant (after rounding: 999.96 ms is 1.000 s).
            let digits = abs(v) >= 999.95 ? 0 : abs(v) >= 99.995 ? 1 : abs(v) >= 9.9995 ? 2 : 3
            return fixed(v, digits) + " " + unit
        }
        return fixed(x * 1e9, 3) + " ns"
    }

    /// `x` with `digits` digits after the point (0 to 15); NaN and ±infinity spelled, magnitudes of
    /// 10^15 and more in scientific notation with `digits` digits (`1.00e30`).
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return special(x) }
        let digits = min(max(digits, 0), 15)
        var p = 1.0
        for _ in 0..<digits { p *= 10 }
        let r = (abs(x) * p).rounded() / p
        guard r < 1e15 else { return scientific(x, digits) }
        var s = String(Int(r))
        if digits > 0 {
            var frac = String(Int(((r - r.rounded(.down)) * p).rounded()))
            while frac.count < digits { frac = "0" + frac }
            s += "." + frac
        }
        return (x < 0 ? "-" : "") + s
    }

    /// `m.ddde±x` with 1 ≤ |m| < 10.
    static func scientific(_ x: Double, _ digits: Int) -> String {
        var exponent = 0, m = abs(x)
        while m >= 10 { m /= 10; exponent += 1 }
        while m > 0 && m < 1 { m *= 10; exponent -= 1 }
        var mantissa = fixed(m, digits)
        if mantissa.hasPrefix("10") {   // 9.999… rounded up
            mantissa = fixed(m / 10, digits)
            exponent += 1
        }
        return (x < 0 ? "-" : "") + mantissa + "e" + String(exponent)
    }

    static func special(_ x: Double) -> String { x.isNaN ? "nan" : x < 0 ? "-inf" : "inf" }

    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    public static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
