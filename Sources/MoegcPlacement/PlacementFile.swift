import MoegcIR
import MoegcSim
import MoegcSupport

/// A placement given to moegc (`--placement FILE`): the device some or all nodes run on, and, when
/// every node is placed, each device's order. Two spellings are read:
///
/// - the mapping format, one entry a line (`#` starts a comment, blank lines are skipped):
///
///       %lstm1        -> gpu0       # the node %lstm1 and every node under it (%lstm1.kernel, %lstm1.t0.z, …)
///       expert 3      -> gpu1       # every node annotated expert = 3
///       colocate attn -> 2          # every node annotated colocate = "attn"; a device by name or index
///       %moe.gate     -> gpu0 @ 4   # with an order: its position in gpu0's order
///
///   Where entries overlap, the most specific wins: a longer `%name`, then `colocate`, then `expert`.
/// - the placed IR `moegc compile --emit placed` prints (`device` and `order` on every node).
///
/// `moegc compile --emit placement` writes the mapping format, one line for every node, with orders.
/// A file that places some nodes pins them and the placer places the rest around them. Orders
/// (`@ N`) need every node placed: each device then runs its tasks by their numbers (ties by the
/// graph's order), and the nodes that share a device and an order run as one task, as a placer's
/// fused group does — so a placement written out reads back to the same schedule.
public struct PlacementFile: Sendable {
    /// Which nodes an entry places.
    public enum Selector: Hashable, Sendable, CustomStringConvertible {
        /// The node whose (first) result has this name, and every node whose name extends it by `.…`.
        case node(String)
        /// Every node with `expert = E`.
        case expert(Int)
        /// Every node with `colocate = "NAME"`.
        case colocate(String)

        public var description: String {
            switch self {
            case .node(let name): "%" + name
            case .expert(let e): "expert \(e)"
            case .colocate(let name): "colocate \(name)"
            }
        }
    }

    /// A device as the file names it: the cluster's device name, or its index.
    public enum DeviceReference: Hashable, Sendable, CustomStringConvertible {
        case name(String)
        case index(Int)

        public var description: String {
            switch self {
            case .name(let n): n
            case .index(let i): "\(i)"
            }
        }
    }

    public struct Entry: Hashable, Sendable {
        public var selector: Selector
        public var device: DeviceReference
        /// The position in the device's order, if given.
        public var order: Int?
        /// Where the entry is (its selector's first character), when read from text.
        public var location: SourceLocation?

        public init(_ selector: Selector, device: DeviceReference, order: Int? = nil, location: SourceLocation? = nil) {
            self.selector = selector
            self.device = device
            self.order = order
            self.location = location
        }
    }

    public var entries: [Entry]
    /// The file's path and text, for diagnostics.
    public var source: SourceText

    public init(entries: [Entry], source: SourceText) {
        self.entries = entries
        self.source = source
    }

    /// The placement file at `path`, in either spelling.
    public static func read(_ path: String) throws(DiagnosticList) -> PlacementFile {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw DiagnosticList([Diagnostic(.error, error.reason, file: path)]) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DiagnosticList([Diagnostic(.error, "a placement file is UTF-8 text; this one is not", file: path)])
        }
        return try parse(text, path: path)
    }

    /// Parses either spelling: text whose first statement is `graph` is placed IR.
    public static func parse(_ text: String, path: String = "<placement>") throws(DiagnosticList) -> PlacementFile {
        let source = SourceText(path: path, text: text)
        let firstStatement = text.split(separator: "\n", omittingEmptySubsequences: true).lazy
            .map { $0.drop { $0 == " " || $0 == "\t" } }
            .first { !$0.isEmpty && !$0.hasPrefix("#") }
        if let firstStatement, firstStatement.hasPrefix("graph ") || firstStatement.hasPrefix("graph\t") {
            return try fromPlacedIR(text, path: path, source: source)
        }
        var entries: [Entry] = []
        var diagnostics: [Diagnostic] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if diagnostics.count >= 20 { break }
            let line = Array((rawLine.firstIndex(of: "#").map { rawLine[..<$0] } ?? rawLine).unicodeScalars)
            do throws(Diagnostic) {
                if let entry = try parseEntry(line, line: lineNumber, path: path) { entries.append(entry) }
            } catch {
                diagnostics.append(error)
            }
        }
        guard diagnostics.isEmpty else { throw DiagnosticList(diagnostics, source: source) }
        return PlacementFile(entries: entries, source: source)
    }

    /// One line of the mapping format (its comment removed), or nil for a blank line.
    private static func parseEntry(_ s: [Unicode.Scalar], line: Int, path: String) throws(Diagnostic) -> Entry? {
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" }
        func fail(_ message: String, _ column: Int) -> Diagnostic {
            Diagnostic(.error, message, file: path, at: SourceLocation(line: line, column: column + 1))
        }
        /// Whitespace-separated words of `s[range]`, with their starting columns.
        func words(_ range: Range<Int>) -> [(text: String, column: Int)] {
            var out: [(String, Int)] = []
            var i = range.lowerBound
            while i < range.upperBound {
                if isSpace(s[i]) { i += 1; continue }
                let start = i
                while i < range.upperBound && !isSpace(s[i]) { i += 1 }
                out.append((String(String.UnicodeScalarView(s[start..<i])), start))
            }
            return out
        }
        guard let first = s.firstIndex(where: { !isSpace($0) }) else { return nil }
        guard let arrow = (first..<max(first, s.count - 1)).first(where: { s[$0] == "-" && s[$0 + 1] == ">" }) else {
            throw fail("expected 'SELECTOR -> DEVICE' (SELECTOR: %name, expert E or colocate NAME; DEVICE: a device name or index)", first)
        }
        let left = words(first..<arrow)
        let selector: Selector
        switch left.first?.text {
        case nil:
            throw fail("missing the nodes to place before '->' (%name, expert E or colocate NAME)", first)
        case let word? where word.hasPrefix("%"):
            guard word.count > 1 else { throw fail("'%' needs a node name", left[0].column) }
            if left.count > 1 { throw fail("one selector an entry: unexpected '\(left[1].text)'", left[1].column) }
            selector = .node(String(word.dropFirst()))
        case "expert":
            guard left.count == 2, let e = Int(left[1].text), e >= 0 else {
                throw fail("'expert' takes one expert number (a non-negative integer)", left.count > 1 ? left[1].column : left[0].column)
            }
            selector = .expert(e)
        case "colocate":
            guard left.count == 2 else {
                throw fail("'colocate' takes one group name", left.count > 2 ? left[2].column : left[0].column)
            }
            var name = left[1].text
            if name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            selector = .colocate(name)
        case let word?:
            throw fail("unknown selector '\(word)': nodes are placed by %name, expert E or colocate NAME", left[0].column)
        }
        let right = words((arrow + 2)..<s.count)
        guard let deviceWord = right.first, deviceWord.text != "@" else {
            throw fail("missing the device after '->' (a device name of the cluster or its index)", arrow + 2)
        }
        var deviceText = deviceWord.text, rest = Array(right.dropFirst())
        // `gpu0@3` and `gpu0 @3` as well as `gpu0 @ 3`.
        if let at = deviceText.firstIndex(of: "@") {
            let after = String(deviceText[deviceText.index(after: at)...])
            rest.insert(("@", deviceWord.column + deviceText.distance(from: deviceText.startIndex, to: at)), at: 0)
            if !after.isEmpty { rest.insert((after, rest[0].column + 1), at: 1) }
            deviceText = String(deviceText[..<at])
            guard !deviceText.isEmpty else { throw fail("missing the device before '@'", deviceWord.column) }
        } else if let next = rest.first, next.text.hasPrefix("@"), next.text.count > 1 {
            rest[0] = ("@", next.column)
            rest.insert((String(next.text.dropFirst()), next.column + 1), at: 1)
        }
        let device: DeviceReference = deviceText.allSatisfy(\.isASCII) && Int(deviceText).map { $0 >= 0 } == true
            ? .index(Int(deviceText)!) : .name(deviceText)
        var order: Int? = nil
        if let at = rest.first {
            guard at.text == "@" else { throw fail("unexpected '\(at.text)' after the device (an order is written '@ N')", at.column) }
            guard rest.count >= 2, let n = Int(rest[1].text), n >= 0 else {
                throw fail("'@' takes the position in the device's order (a non-negative integer)", rest.count >= 2 ? rest[1].column : at.column)
            }
            if rest.count > 2 { throw fail("unexpected '\(rest[2].text)' after the order", rest[2].column) }
            order = n
        }
        return Entry(selector, device: device, order: order, location: SourceLocation(line: line, column: left[0].column + 1))
    }

    /// The entries of placed IR: every node's `device` and `order`, at the node's line.
    private static func fromPlacedIR(_ text: String, path: String, source: SourceText) throws(DiagnosticList) -> PlacementFile {
        let graph = try GraphText.parse(text, path: path)
        var entries: [Entry] = []
        var diagnostics: [Diagnostic] = []
        for node in graph.nodes {
            guard let result = node.results.first else { continue }
            guard let device = node.attributes["device"]?.intValue, device >= 0 else {
                diagnostics.append(Diagnostic(.error, "%\(graph[result].name) has no device: placed IR (what --emit placed prints) "
                    + "gives every node device = D and order = N", file: path, at: node.location))
                if diagnostics.count >= 20 { break }
                continue
            }
            let order = node.attributes["order"]?.intValue
            entries.append(Entry(.node(graph[result].name), device: .index(device), order: order.map { max(0, $0) }, location: node.location))
        }
        guard diagnostics.isEmpty else { throw DiagnosticList(diagnostics, source: source) }
        return PlacementFile(entries: entries, source: source)
    }
}

extension PlacementFile {
    /// The mapping-format text of a placed problem: every node with a result, its device (by name
    /// when the name is the cluster's only device of that name, else by index) and its task's
    /// position in the device's order. `PlacementProblem.pinned(by:)` reads it back to the same
    /// placement and schedule.
    public static func render(_ placed: PlacedProblem, placer: String) -> String {
        let problem = placed.problem, cluster = problem.cluster, graph = problem.graph
        let placement = placed.evaluation.placement
        let order = placement.taskOrder()
        let deviceText = (0..<cluster.deviceCount).map { d in
            let name = cluster.devices[d].name
            return cluster.deviceIndex(named: name) == d && Int(name) == nil && !name.contains("@") && !name.contains("#") ? name : "\(d)"
        }
        var out = "# moegc placement: \(graph.name) on \(cluster.name) by \(placer), simulated step "
            + "\(Quantity.seconds(placed.evaluation.report.makespan)) (\(problem.taskCount) tasks, \(cluster.deviceCount) devices)\n"
            + "# %node -> device @ position in the device's order; read back with --placement FILE\n"
        out.reserveCapacity(graph.nodes.count * 32)
        for (i, node) in graph.nodes.enumerated() {
            guard let result = node.results.first else { continue }
            let t = Int(problem.tasks.nodeTask[i])
            out += "%\(graph[result].name) -> \(deviceText[Int(placement.taskDevice[t])]) @ \(order[t])\n"
        }
        return out
    }
}
