import MoegcIR
import MoegcPasses
import MoegcSupport

/// The repository root, found from this file's path.
let repoRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3) // Tests/MoegcIRTests/Support.swift
    return parts.joined(separator: "/")
}()

func graphPath(_ name: String) -> String { repoRoot + "/graphs/" + name }

/// Every `.graph` file in graphs/ and its train/ and eval/ sets, relative to graphs/.
func allGraphFiles() -> [String] {
    ["", "train/", "eval/"].flatMap { folder in
        ((try? FileIO.list(repoRoot + "/graphs/" + folder)) ?? []).filter { $0.hasSuffix(".graph") }.map { folder + $0 }
    }
}

/// Loads text through the whole front end (parse, verify, infer shapes).
func load(_ text: String, path: String = "test.graph") throws(DiagnosticList) -> Graph {
    try Frontend.load(bytes: Array(text.utf8), path: path)
}

/// The first diagnostic's `line:col: error: message` (the file prefix dropped), or nil if it loads.
func firstError(_ text: String) -> String? {
    firstError(bytes: Array(text.utf8))
}

func firstError(bytes: [UInt8]) -> String? {
    do {
        _ = try Frontend.load(bytes: bytes, path: "t.graph")
        return nil
    } catch {
        guard let d = error.diagnostics.first else { return "no diagnostics" }
        return String(d.description.dropFirst("t.graph:".count))
    }
}

#if canImport(Glibc)
import Glibc
#endif

enum MoegcEnvironment {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
