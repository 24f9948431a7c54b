import Foundation
import MoegcPolicy

/// Where the shipped policy (`policies/moegc-default.policy`) is found when no file is named:
/// `$MOEGC_POLICY` if set; else `policies/moegc-default.policy` in the folder of the executable or
/// any folder above it (so `.build/release/moegc` finds the repository's file); else the same path
/// under the current directory.
enum DefaultPolicy {
    static let relativePath = "policies/moegc-default.policy"

    /// Every place looked at, in order.
    static func candidates() -> [String] {
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
    static func locate() -> String? {
        candidates().first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The shipped policy, read and checked, or an error saying where it was looked for.
    static func load(_ path: String? = nil) throws(PolicyError) -> (path: String, checkpoint: PolicyCheckpoint) {
        if let path { return (path, try CheckpointFile.read(path)) }
        guard let found = locate() else {
            throw PolicyError(.io, "the shipped placement policy was not found (looked in: "
                              + candidates().joined(separator: ", ") + "); set MOEGC_POLICY, pass --policy FILE, or name a heuristic with --placer")
        }
        return (found, try CheckpointFile.read(found))
    }
}
