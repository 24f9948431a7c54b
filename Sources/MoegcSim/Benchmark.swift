/// Simulator throughput on random layered DAGs, for `moegc bench sim`.
///
/// Each size is simulated repeatedly with one reused `Simulator` (as an RL training loop does): a
/// random placement over the cluster and b-level list-scheduled orders, fixed per size. Reported
/// rates count the events the simulator's heap processed (task ends, deferred transfer starts,
/// transfer ends) and the tasks simulated, per second of wall time.
public enum SimulatorBenchmark {
    public struct Result: Hashable, Sendable, CustomStringConvertible {
        public var tasks: Int
        public var edges: Int
        public var transfers: Int
        public var eventsPerRun: Int
        public var runs: Int
        public var seconds: Double
        public var makespan: Double

        public var eventsPerSecond: Double { Double(eventsPerRun * runs) / seconds }
        public var tasksPerSecond: Double { Double(tasks * runs) / seconds }
        public var secondsPerRun: Double { seconds / Double(runs) }

        public var description: String {
            func m(_ x: Double) -> String { formatNumber((x / 1e4).rounded() / 100) + "M" }
            return "tasks \(tasks)  edges \(edges)  transfers \(transfers)  events/run \(eventsPerRun)  runs \(runs)  "
                + "\(formatNumber((secondsPerRun * 1e7).rounded() / 10)) µs/run  \(m(eventsPerSecond)) events/s  "
                + "\(m(tasksPerSecond)) tasks/s"
        }
    }

    /// Measures each size in `taskCounts` for at least `minimumSeconds` of simulation.
    public static func run(taskCounts: [Int] = [1_000, 10_000, 100_000], cluster: Cluster,
                           seed: UInt64 = 1, minimumSeconds: Double = 0.5) throws(SimulationError) -> [Result] {
        var results: [Result] = []
        for (i, tasks) in taskCounts.enumerated() {
            let width = max(8, Int(Double(tasks).squareRoot()))
            let graph = RandomGraphs.layered(tasks: tasks, width: width, seed: seed &+ UInt64(i))
            var simulator = try Simulator(graph: graph, cluster: cluster)
            let placement = RandomGraphs.placement(tasks: tasks, deviceCount: cluster.deviceCount, seed: seed &+ 100)
            let schedule = ListScheduler.bLevelSchedule(graph: graph, costs: simulator.costs, placement: placement)
            var report = try simulator.run(schedule) // warm-up
            let clock = ContinuousClock()
            var runs = 0
            let started = clock.now
            var elapsed = 0.0
            repeat {
                report = try simulator.run(schedule)
                runs += 1
                let d = started.duration(to: clock.now).components
                elapsed = Double(d.seconds) + Double(d.attoseconds) * 1e-18
            } while elapsed < minimumSeconds
            results.append(Result(tasks: tasks, edges: graph.edgeCount, transfers: report.transferCount,
                                  eventsPerRun: report.eventCount, runs: runs, seconds: elapsed,
                                  makespan: report.makespan))
        }
        return results
    }
}
