import Foundation
import MoegcPlacement
import MoegcPolicy

/// Which placer a compilation uses, from what the user named: a heuristic (`--placer heft`), local
/// search from another (`--placer local-search --start m-etf`), the learned policy (`--placer
/// policy`, `--policy FILE`), or the command's default — the one place placer names are resolved.
public struct PlacerChoice: Sendable {
    /// The placer named (`Placers.names` or "policy"), or nil for the default.
    public var name: String?
    /// A policy file named; nil: the shipped one.
    public var policyFile: String?
    /// The placer local search starts from.
    public var start: String
    /// Seeds METIS, local search and the policy's sampling.
    public var seed: UInt64
    /// Simulations local search may run (nil: its size rule).
    public var budget: Int?

    /// What a command places with when no placer is named.
    public enum Default: Sendable {
        /// The trained policy (`moegc compile`): `policyFile`, else the shipped one; when the shipped
        /// one is missing or unreadable, a warning and the fastest heuristic but local search.
        case policy
        /// A heuristic (`moegc place`: m-etf).
        case heuristic(String)
    }

    /// The name `--placer` takes for the learned policy.
    public static let policyName = "policy"

    /// Every name `--placer` accepts.
    public static var names: [String] { Placers.names + [policyName] }

    public init(name: String? = nil, policyFile: String? = nil, start: String = "expert-parallel", seed: UInt64 = 0,
                budget: Int? = nil) {
        self.name = name
        self.policyFile = policyFile
        self.start = start
        self.seed = seed
        self.budget = budget
    }

    /// Why the choice cannot be made.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case placement(PlacementError)
        case policy(PolicyError)

        public var description: String {
            switch self {
            case .placement(let e): "error: \(e.description)"
            case .policy(let e): e.description
            }
        }
    }

    /// The placer, and a warning to print when the default policy could not be used. For a
    /// `problem` whose placement file placed every node, no placer named means the file's
    /// placement as it is (`PinnedPlacer`); a named placer then only orders the devices, and with
    /// the file's orders too it has nothing left to decide (an error).
    public func make(default fallback: Default, for problem: PlacementProblem? = nil) throws(Failure) -> (placer: any Placer, warning: String?) {
        let wantsPolicy = name == Self.policyName || policyFile != nil
        if let constraints = problem?.constraints, constraints.pinsEveryTask {
            if !wantsPolicy && name == nil { return (PinnedPlacer(), nil) }
            if constraints.pinsOrders {
                throw .placement(.invalidPlacement("the placement file fixes every device and every order: "
                    + "\(name.map { "--placer \($0)" } ?? "--policy") has nothing left to decide (drop it, or the file's orders)"))
            }
        }
        if case .heuristic(let heuristic) = fallback, !wantsPolicy {
            return (try heuristicPlacer(name ?? heuristic), nil)
        }
        if let name, !wantsPolicy { return (try heuristicPlacer(name), nil) }
        do {
            let (path, checkpoint) = try DefaultPolicy.load(policyFile)
            return (LearnedPlacer(checkpoint, source: path, seed: seed, budget: budget), nil)
        } catch {
            // Only the default itself may fall back: a policy asked for by name must be readable.
            guard case .policy = fallback, name == nil, policyFile == nil else { throw .policy(error) }
            let reason = "\(error.path.map { "\($0): " } ?? "")\(error.message)"
            return (BestHeuristicPlacer(set: .fast, seed: seed, budget: budget),
                    "warning: \(reason); placing with the fastest heuristic instead")
        }
    }

    private func heuristicPlacer(_ name: String) throws(Failure) -> any Placer {
        do { return try Placers.make(name, start: start, seed: seed, budget: budget) } catch { throw .placement(error) }
    }
}

/// Where the shipped policy (`policies/moegc-default.policy`) is found when no file is named:
/// `$MOEGC_POLICY` if set; else `policies/moegc-default.policy` in the folder of the executable or
/// any folder above it (so `.build/release/moegc` finds the repository's file); else the same path
/// under the current directory.
public enum DefaultPolicy {
    public static let relativePath = "policies/moegc-default.policy"

    /// Every place looked at, in order.
    public static func candidates() -> [String] {
        if let explicit = ProcessInfo.processInfo.environment["MOEGC_POLICY"], !explicit.isEmpty { return [explicit] }
        var out: [String] = []
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            out.append(dir.appendingPathComponent(relativePath).path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        let here = FileManager.default.currentDirectoryPath + "/" + relativePath
        if !out.contains(here) { out.append(here) }
        return out
    }

    /// The first candidate that exists (nil if none).
    public static func locate() -> String? {
        candidates().first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The policy at `path`, or the shipped one, read and checked, or an error saying where it was
    /// looked for.
    public static func load(_ path: String? = nil) throws(PolicyError) -> (path: String, checkpoint: PolicyCheckpoint) {
        if let path { return (path, try CheckpointFile.read(path)) }
        guard let found = locate() else {
            throw PolicyError(.io, "the shipped placement policy was not found (looked in: "
                              + candidates().joined(separator: ", ") + "); set MOEGC_POLICY, pass --policy FILE, or name a heuristic with --placer")
        }
        return (found, try CheckpointFile.read(found))
    }
}
