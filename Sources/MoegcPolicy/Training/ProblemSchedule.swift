import MoegcSupport

/// Which training problem each step of a run over many (graph, cluster) problems uses.
///
/// Steps go through the problems in rounds: round r visits every problem once, in an order that is
/// a permutation drawn from `SeededGenerator.stream(seed, salt + r)`. Every problem is seen equally
/// often, no two runs with one seed differ, and the schedule has no state: step s is found from s
/// alone, so a resumed run continues it exactly. With one problem every step is problem 0.
public struct ProblemSchedule: Sendable, Hashable {
    public let problemCount: Int
    public let seed: UInt64
    /// Separates independent schedules of one seed (behaviour cloning and PPO use different salts).
    public let salt: UInt64

    public init(problemCount: Int, seed: UInt64, salt: UInt64) {
        precondition(problemCount >= 1, "ProblemSchedule: at least one problem")
        self.problemCount = problemCount
        self.seed = seed
        self.salt = salt
    }

    /// The problem of step `step` (0-based).
    public func problem(at step: Int) -> Int {
        guard problemCount > 1 else { return 0 }
        let round = step / problemCount
        return order(ofRound: round)[step % problemCount]
    }

    /// The visiting order of round `round` (a Fisher–Yates shuffle of 0..<problemCount).
    public func order(ofRound round: Int) -> [Int] {
        var rng = SeededGenerator.stream(seed: seed, salt &+ UInt64(round))
        var order = Array(0..<problemCount)
        for i in stride(from: problemCount - 1, to: 0, by: -1) {
            order.swapAt(i, rng.nextInt(below: i + 1))
        }
        return order
    }
}
