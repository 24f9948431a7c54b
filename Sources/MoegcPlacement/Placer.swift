import MoegcSim

/// A heuristic that puts every task (fused group) of a problem on a device. Orders come from
/// `PriorityRule`: b-level list scheduling by default; list schedulers (m-ETF, HEFT) order by the
/// start times they planned, so the simulator runs the schedule they built. Every placer is
/// deterministic: the same problem (and seed, for the randomised ones) gives the same devices.
public protocol Placer: Sendable {
    /// The name `--placer` takes.
    var name: String { get }
    /// One line for `--help` and the compare table's legend.
    var summary: String { get }
    /// The device of every task.
    func place(_ problem: PlacementProblem) throws(PlacementError) -> [Int32]
    /// The device of every task and the priority rule that orders each device.
    func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule)
    /// Everything the placer decides (``PlacementDecision``): for the heuristics, `placeAndOrder`.
    func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision
}

extension Placer {
    public func placeAndOrder(_ problem: PlacementProblem) throws(PlacementError) -> ([Int32], PriorityRule) {
        (try place(problem), .bLevel)
    }

    public func decide(_ problem: PlacementProblem) throws(PlacementError) -> PlacementDecision {
        let (devices, priority) = try placeAndOrder(problem)
        return PlacementDecision(devices: devices, priority: priority)
    }
}

/// All a placer decides for a problem: each task's device, the rule that orders each device, and,
/// for a placer that also fuses (the learned policy's fusion head), a regrouping of the tasks —
/// which then become the fused groups the plan is built from (`CompilePipeline.place` applies it).
public struct PlacementDecision: Sendable {
    public var devices: [Int32]
    public var priority: PriorityRule
    /// The new group of every task (any integers; tasks with equal values merge and must share a
    /// device), or nil to keep the problem's tasks.
    public var regrouping: [Int]?
    /// Lines for the report, as (label, text): how the decision was reached, where the time went.
    public var notes: [(label: String, text: String)]

    public init(devices: [Int32], priority: PriorityRule, regrouping: [Int]? = nil, notes: [(label: String, text: String)] = []) {
        self.devices = devices
        self.priority = priority
        self.regrouping = regrouping
        self.notes = notes
    }
}

/// Why a placement could not be made or cannot run.
public enum PlacementError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A device would hold more than its capacity: `bytes` needed of `capacity`; `what` says which
    /// bytes (the weights alone, or the simulated peak of weights and live values).
    case outOfMemory(device: Int, deviceName: String, bytes: Int, capacity: Int, what: String)
    /// No placement can fit (e.g. the weights exceed the whole cluster's memory).
    case infeasible(String)
    case invalidCluster(String)
    case invalidGraph(String)
    case invalidPlacement(String)
    case unknownPlacer(String)

    public var description: String {
        switch self {
        case .outOfMemory(let d, let name, let bytes, let capacity, let what):
            return "device \(d) '\(name)' is out of memory: \(what) need \(formatBytes(bytes)) (\(bytes) bytes), it holds \(formatBytes(capacity))"
        case .infeasible(let m): return "no feasible placement: \(m)"
        case .invalidCluster(let m): return "invalid cluster: \(m)"
        case .invalidGraph(let m): return "cannot build the cost graph: \(m)"
        case .invalidPlacement(let m): return "invalid placement: \(m)"
        case .unknownPlacer(let m): return m
        }
    }
}

/// Bytes for messages: "12.00 GiB".
func formatBytes(_ b: Int) -> String {
    let x = Double(b)
    for (scale, unit) in [(0x1p40, "TiB"), (0x1p30, "GiB"), (0x1p20, "MiB"), (0x1p10, "KiB")] where x >= scale {
        let v = (x / scale * 100).rounded() / 100
        return "\(v) \(unit)"
    }
    return "\(b) B"
}

/// The placers by name.
public enum Placers {
    /// Local search's name: the one heuristic that starts from another's placement.
    public static let localSearch = "local-search"

    /// The heuristics that place from nothing, in the order the compare table lists them.
    public static let startingNames = ["single", "round-robin", "expert-parallel", "m-topo", "m-etf", "heft", "metis", "linear"]

    /// Every heuristic placer's name: the starting ones, then local search.
    public static let names = startingNames + [localSearch]

    /// The placer called `name`; local search starts from `start` (a starting placer) and evaluates
    /// `budget` candidate placements drawn from `seed`.
    public static func make(_ name: String, start: String = "expert-parallel", seed: UInt64 = 0,
                            budget: Int? = nil) throws(PlacementError) -> any Placer {
        switch name {
        case "single": return SingleDevicePlacer()
        case "round-robin": return RoundRobinPlacer()
        case "expert-parallel": return ExpertParallelPlacer()
        case "m-topo": return MTopoPlacer()
        case "m-etf": return METFPlacer()
        case "heft": return HEFTPlacer()
        case "metis": return METISPlacer(seed: seed)
        case "linear": return LinearPartitionPlacer()
        case localSearch:
            guard startingNames.contains(start) else {
                throw .unknownPlacer("local search starts from one of \(startingNames.joined(separator: ", ")), not '\(start)'")
            }
            return LocalSearchPlacer(start: try make(start, seed: seed), seed: seed, budget: budget)
        default:
            throw .unknownPlacer("unknown placer '\(name)'; placers: \(names.joined(separator: ", "))")
        }
    }
}

/// A placement that ran: its schedule, the simulator's report, and how far it is from the bounds.
public struct Evaluation: Sendable {
    public var placement: Placement
    public var report: SimulationReport
    /// `makespan / max(lower bounds)`.
    public var ratio: Double

    /// Checks the weights fit, orders the devices, simulates one step, and rejects a placement that
    /// runs out of memory (naming the device and the bytes) rather than reporting its time.
    public static func run(_ problem: PlacementProblem, devices: [Int32], priority: PriorityRule = .bLevel,
                           simulator: inout Simulator) throws(PlacementError) -> Evaluation {
        try MemoryCheck.weights(problem, devices: devices)
        let placement = Placement(problem, devices: devices, priority: priority)
        let report: SimulationReport
        do { report = try simulator.run(placement.schedule) } catch { throw .invalidPlacement(error.description) }
        if let oom = report.outOfMemory.first {
            let peak = report.peakMemory[oom.device]
            throw .outOfMemory(device: oom.device, deviceName: oom.deviceName, bytes: peak, capacity: oom.capacity,
                               what: MemoryCheck.simulatedPeak)
        }
        return Evaluation(placement: placement, report: report, ratio: problem.bounds.ratio(makespan: report.makespan))
    }

    public static func run(_ problem: PlacementProblem, devices: [Int32], priority: PriorityRule = .bLevel) throws(PlacementError) -> Evaluation {
        var simulator = try makeSimulator(problem)
        return try run(problem, devices: devices, priority: priority, simulator: &simulator)
    }

    static func makeSimulator(_ problem: PlacementProblem) throws(PlacementError) -> Simulator {
        do { return try Simulator(graph: problem.costGraph, cluster: problem.cluster) } catch {
            throw .invalidGraph(error.description)
        }
    }
}

/// Memory checks shared by the placers.
public enum MemoryCheck {
    /// What an out-of-memory error from the simulation counts.
    public static let simulatedPeak = "weights and live values at their simulated peak"
    /// Throws when the weights placed on some device exceed its capacity, or when the whole
    /// cluster cannot hold them.
    public static func weights(_ problem: PlacementProblem, devices: [Int32]) throws(PlacementError) {
        var load = [Int](repeating: 0, count: problem.deviceCount)
        for t in 0..<problem.taskCount { load[Int(devices[t])] += problem.weights[t] }
        for d in 0..<problem.deviceCount where load[d] > problem.cluster.memoryCapacity(d) {
            throw .outOfMemory(device: d, deviceName: problem.cluster.devices[d].name, bytes: load[d],
                               capacity: problem.cluster.memoryCapacity(d), what: "its weights alone")
        }
    }

    /// Throws when no placement can hold the weights: their total exceeds the cluster's memory, or one
    /// task's exceed every device.
    /// Throws, naming the ops and the sizes, when memory rules every placement out (the
    /// simulator's `MemoryFeasibility`, in the model's terms).
    public static func feasibility(_ problem: PlacementProblem) throws(PlacementError) {
        let m = problem.bounds.memory
        guard !m.isFeasible else { return }
        var problems: [String] = []
        if m.totalResident > m.totalCapacity {
            problems.append("the weights need \(formatBytes(m.totalResident)) (\(m.totalResident) bytes); all \(problem.deviceCount) devices "
                + "of '\(problem.cluster.name)' together hold \(formatBytes(m.totalCapacity))")
        }
        if let t = m.largestWorkingSetTask, m.largestWorkingSet > m.largestCapacity {
            problems.append("\(problem.tasks.name(of: t, in: problem.graph)) needs \(formatBytes(m.largestWorkingSet)) "
                + "(\(m.largestWorkingSet) bytes) live at once (its weights, inputs and outputs); the largest device holds "
                + "\(formatBytes(m.largestCapacity))")
        }
        throw .infeasible(problems.isEmpty ? m.problems.joined(separator: "; ") : problems.joined(separator: "; "))
    }
}
