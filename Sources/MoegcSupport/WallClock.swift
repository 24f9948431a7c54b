/// Wall-clock time of the compiler's stages, in seconds (reports print where the time went).
public enum WallClock {
    /// A duration in seconds.
    public static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    /// `body`'s result and the seconds it took.
    public static func timed<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> (T, Double) {
        let clock = ContinuousClock()
        let started = clock.now
        let value = try body()
        return (value, seconds(started.duration(to: clock.now)))
    }
}
