import MoegcSupport
import Testing

/// Durations in reports print four significant figures, whatever their size (issue 14: the
/// compare table printed three, the fine-tuning table seven).
struct QuantityTests {
    @Test(arguments: [
        (1.25, "1.250 s"), (0.2173623818529915, "217.4 ms"), (0.0123456, "12.35 ms"), (0.0015, "1.500 ms"),
        (4.12e-4, "412.0 µs"), (8.93e-5, "89.30 µs"), (1.2e-6, "1.200 µs"), (8.5e-8, "85.00 ns"), (0.0, "0 s"),
        (0.99996, "1.000 s"), (9.99996e-4, "1.000 ms"), (1234.5, "1235 s"), (1.15e21, "1.150e21 s"), (-0.0123456, "-12.35 ms"),
        (Double.nan, "nan s"), (Double.infinity, "inf s"),
    ])
    func secondsHaveFourSignificantFigures(_ value: Double, _ text: String) {
        #expect(Quantity.seconds(value) == text)
    }
}
