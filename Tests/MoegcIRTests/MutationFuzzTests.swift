import MoegcIR
import MoegcPasses
import MoegcSupport
import Testing

/// Thousands of mutants of valid graphs (tokens deleted, duplicated, swapped; bytes flipped; text
/// cut short): the front end never crashes or hangs, and every rejection is located inside the text.
struct MutationFuzzTests {
    static let sources = ["tiny-moe.graph", "tiny-hmoe.graph", "tiny-switch.graph", "tiny-translation.graph", "moe-4096-h.graph"]

    /// Splits text into tokens and the whitespace between them, so mutations keep it readable.
    static func pieces(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in text {
            if ch == " " || ch == "\n" || ch == "(" || ch == ")" || ch == "," || ch == "{" || ch == "}" || ch == "[" || ch == "]" {
                if !cur.isEmpty { out.append(cur); cur = "" }
                out.append(String(ch))
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    @Test(arguments: sources)
    func mutantsNeverCrash(_ file: String) throws {
        let text = String(decoding: try FileIO.read(graphPath(file)), as: UTF8.self)
        let base = MutationFuzzTests.pieces(text)
        var rng = SeededGenerator(seed: 0x5EED ^ UInt64(file.utf8.count))
        var rejected = 0
        for _ in 0..<800 {
            var p = base
            for _ in 0..<(1 + rng.nextInt(below: 3)) {
                let i = rng.nextInt(below: p.count), j = rng.nextInt(below: p.count)
                switch rng.nextInt(below: 5) {
                case 0: p.remove(at: i)
                case 1: p.insert(p[i], at: j)
                case 2: p.swapAt(i, j)
                case 3: p = Array(p.prefix(i))
                default: p[i] = ["%", "=", "-1", "99999999999999999999", "\"", "#", "?", "<=", "*", "f32", "moe", "\u{FFFD}"][rng.nextInt(below: 12)]
                }
                if p.isEmpty { break }
            }
            let mutant = p.joined()
            var bytes = Array(mutant.utf8)
            if rng.nextInt(below: 10) == 0, !bytes.isEmpty { bytes[rng.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
            do {
                _ = try Frontend.load(bytes: bytes, path: "m.graph")
            } catch {
                rejected += 1
                #expect(!error.diagnostics.isEmpty)
                for d in error.diagnostics where d.file == "m.graph" {
                    // Located errors point inside the text (line 1...lines); only whole-file
                    // messages (unknown override) may lack a location.
                    if let loc = d.location {
                        #expect(loc.line >= 1 && loc.line <= lines + 1, "\(d) for a text of \(lines) lines")
                        #expect(loc.column >= 1)
                    }
                }
                #expect(error.diagnostics.contains { $0.location != nil }, "\(error.diagnostics)")
            }
        }
        #expect(rejected > 400, "most mutants should be rejected (\(rejected) of 800)")
    }
}
