import Foundation
import MoegcIR
import MoegcSupport
import Testing

/// The op documentation is the registry's: docs/ops.md is `moegc ops` and the README's op list is
/// `moegc ops --summary`, so adding, removing or redescribing an op without regenerating them
/// fails here. `MOEGC_RECORD_DOCS=1 swift test --filter OpCatalogueTests` rewrites both (and
/// fails, so a re-record is never silent).
@Suite struct OpCatalogueTests {
    static let docsHeader = "# Ops\n\nGenerated from the op registry by `moegc ops` (a test fails when this file differs from it).\n\n"
    static let begin = "<!-- ops:begin (moegc ops --summary; a test checks it) -->\n", end = "<!-- ops:end -->"
    static var recording: Bool { ProcessInfo.processInfo.environment["MOEGC_RECORD_DOCS"] != nil }

    @Test func docsOpsIsTheRegistry() throws {
        let path = repoRoot + "/docs/ops.md"
        let expected = Self.docsHeader + OpCatalogue.markdown
        if Self.recording {
            try FileIO.writeAtomically(path, text: expected)
            Issue.record("recorded \(path); run again without MOEGC_RECORD_DOCS")
            return
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected,
                "docs/ops.md differs from the registry: regenerate it with MOEGC_RECORD_DOCS=1")
    }

    @Test func readmeOpListIsTheRegistry() throws {
        let path = repoRoot + "/README.md"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: Self.begin), "README.md has no op list marker")
        let stop = try #require(text.range(of: Self.end, range: start.upperBound..<text.endIndex))
        if Self.recording {
            try FileIO.writeAtomically(path, text: String(text[..<start.upperBound]) + OpCatalogue.summary + String(text[stop.lowerBound...]))
            Issue.record("recorded the op list in \(path); run again without MOEGC_RECORD_DOCS")
            return
        }
        #expect(String(text[start.upperBound..<stop.lowerBound]) == OpCatalogue.summary,
                "the README's op list differs from the registry: regenerate it with MOEGC_RECORD_DOCS=1")
    }

    /// Every op of the registry appears in both, once in the summary.
    @Test func everyOpIsListed() {
        for code in OpCode.allCases {
            #expect(OpCatalogue.markdown.contains("| `\(code)` |"), "\(code)")
            #expect(OpCatalogue.summary.components(separatedBy: "`\(code)`").count == 2, "\(code)")
        }
    }
}
