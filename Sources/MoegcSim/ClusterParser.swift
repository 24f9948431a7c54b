import MoegcSupport

/// The cluster file format: one statement a line, `#` starts a comment.
///
///     # Two hosts of four K40s on PCIe 3.0, joined by 10 Gbit Ethernet.
///     cluster k40x8
///     kind k40 flops=4.29TFLOP/s membw=288GB/s memory=12GB launch=5us
///     host h0 net=10Gbit/s latency=25us
///     device h0.gpu count=4 kind=k40 link=12GB/s latency=5us   # h0.gpu0 … h0.gpu3
///     host h1 net=10Gbit/s latency=25us
///     device h1.gpu count=4 kind=k40 link=12GB/s latency=5us
///
/// Grammar (words are separated by blanks; an attribute is `key=value`, no blanks around `=`):
///
///     file      := line*
///     line      := [statement] ['#' comment] newline
///     statement := 'cluster' NAME
///                | 'kind'   NAME 'flops=' RATE 'membw=' BANDWIDTH 'memory=' SIZE ['launch=' TIME] ['reserve=' RESERVE]
///                | 'host'   NAME ['net=' BANDWIDTH 'latency=' TIME]
///                | 'device' NAME ['count=' INT] ['host=' NAME] 'kind=' NAME 'link=' BANDWIDTH ['latency=' TIME] ['reserve=' RESERVE]
///     RESERVE   := NUMBER '%' | SIZE
///     NAME      := [A-Za-z0-9_.\-/]+
///     RATE      := NUMBER ('FLOP/s' | 'KFLOP/s' | 'MFLOP/s' | 'GFLOP/s' | 'TFLOP/s' | 'PFLOP/s')
///     BANDWIDTH := NUMBER ('B/s' | 'KB/s' | 'MB/s' | 'GB/s' | 'TB/s' | 'KiB/s' | 'MiB/s' | 'GiB/s' | 'TiB/s'
///                          | 'Mbit/s' | 'Gbit/s' | 'Tbit/s')
///     SIZE      := NUMBER ('B' | 'KB' | 'MB' | 'GB' | 'TB' | 'KiB' | 'MiB' | 'GiB' | 'TiB')
///     TIME      := NUMBER ('s' | 'ms' | 'us' | 'ns')
///     NUMBER    := decimal with optional fraction and exponent; the unit may follow after a blank
///
/// - `kind` lines define device classes; `launch` defaults to 0. `reserve` is the memory the placers
///   keep free of weights for the step's live values, a percent of `memory` or a size; a device's
///   own `reserve` overrides its kind's (default: `PlacementProblem`'s, from the model's activations).
/// - `host` starts a host; `net`/`latency` are its network link (required when there are several hosts).
/// - `device` adds a device to `host=` or, without it, to the last host declared (a first device with
///   no host declared creates host `host0`). `count=N` adds N identical devices named NAME0 … NAME{N-1}.
///   `latency` (of the device's link) defaults to 0.
/// Decimal prefixes are powers of 1000, binary (Ki, Mi, Gi, Ti) powers of 1024; bit rates are /8.
extension Cluster {
    /// Parses a cluster file. Reports every syntax error (one per statement at most) and every
    /// validation problem, each at the line and column it concerns.
    public static func parse(_ text: String, path: String = "<cluster>") throws(DiagnosticList) -> Cluster {
        var p = ClusterParser(path: path)
        p.parse(text)
        return try p.finish(source: SourceText(path: path, text: text))
    }
}

/// One blank-separated word of a line, with its 1-based column.
private struct Word {
    var text: Substring
    var column: Int
}

private enum AttributeType {
    case quantity(PhysicalQuantity)
    case name
    case count
    case reserve
}

private enum AttributeValue {
    case number(Double)
    case name(String)
    case count(Int)
    case reserve(MemoryReserve)
}

private struct ClusterParser {
    let path: String
    var diagnostics: [Diagnostic] = []
    var name: String?
    var kinds: [DeviceKind] = []
    var hosts: [Host] = []
    var devices: [Device] = []
    var kindLocation: [SourceLocation] = []
    var hostLocation: [SourceLocation] = []
    var deviceLocation: [SourceLocation] = []
    var clusterLocation: SourceLocation?
    var broken = Set<ClusterEntity>()

    init(path: String) { self.path = path }

    mutating func error(_ message: String, _ line: Int, _ column: Int) {
        diagnostics.append(Diagnostic(.error, message, file: path, at: SourceLocation(line: line, column: column)))
    }

    mutating func parse(_ text: String) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = Self.words(line)
            guard let keyword = words.first else { continue }
            let rest = Array(words.dropFirst())
            switch keyword.text {
            case "cluster": parseCluster(keyword, rest, lineNumber)
            case "kind": parseKind(keyword, rest, lineNumber)
            case "host": parseHost(keyword, rest, lineNumber)
            case "device": parseDevice(keyword, rest, lineNumber)
            default:
                error("unknown statement '\(keyword.text)'; expected cluster, kind, host or device", lineNumber, keyword.column)
            }
        }
    }

    static func words(_ line: Substring) -> [Word] {
        var out: [Word] = []
        var column = 1
        var start: Substring.Index?
        var startColumn = 0
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == " " || c == "\t" || c == "\r" {
                if let s = start { out.append(Word(text: line[s..<i], column: startColumn)); start = nil }
            } else if start == nil {
                start = i
                startColumn = column
            }
            column += line[i].unicodeScalars.count
            i = line.index(after: i)
        }
        if let s = start { out.append(Word(text: line[s...], column: startColumn)) }
        return out
    }

    /// The most devices one `count=` may declare.
    static let maxCount = 1 << 16

    static func isName(_ s: Substring) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "_.-/".unicodeScalars.contains(c)
        }
    }

    /// The statement's NAME word, or nil (with an error) when it is missing or malformed.
    mutating func statementName(_ keyword: Word, _ rest: [Word], _ line: Int) -> String? {
        guard let w = rest.first else {
            error("'\(keyword.text)' needs a name", line, keyword.column + keyword.text.count)
            return nil
        }
        guard Self.isName(w.text) else {
            error("invalid name '\(w.text)': names use letters, digits and _ . - /", line, w.column)
            return nil
        }
        return String(w.text)
    }

    /// Keys the last `attributes` call saw written, well formed or not (a key written with a bad
    /// value is reported for its value, not again as missing).
    var given = Set<String>()

    /// Parses `key=value` words against `schema`. Returns the values found and whether all were well formed.
    mutating func attributes(_ words: ArraySlice<Word>, _ statement: String, _ line: Int,
                             _ schema: KeyValuePairs<String, AttributeType>) -> ([String: AttributeValue], Bool) {
        var values: [String: AttributeValue] = [:]
        var ok = true
        given = []
        var i = words.startIndex
        while i < words.endIndex {
            let w = words[i]
            i += 1
            guard let eq = w.text.firstIndex(of: "=") else {
                error("expected key=value, found '\(w.text)'", line, w.column)
                ok = false
                continue
            }
            let key = String(w.text[..<eq])
            let valueText = w.text[w.text.index(after: eq)...]
            let valueColumn = w.column + key.count + 1
            guard let type = schema.first(where: { $0.key == key })?.value else {
                let known = schema.map(\.key).joined(separator: ", ")
                error("unknown attribute '\(key)' for '\(statement)'; expected \(known)", line, w.column)
                ok = false
                continue
            }
            if values[key] != nil || given.contains(key) {
                error("attribute '\(key)' given twice", line, w.column)
                ok = false
                continue
            }
            given.insert(key)
            guard !valueText.isEmpty else {
                error("attribute '\(key)' has no value", line, valueColumn)
                ok = false
                continue
            }
            switch type {
            case .name:
                guard Self.isName(valueText) else {
                    error("invalid name '\(valueText)'", line, valueColumn)
                    ok = false
                    continue
                }
                values[key] = .name(String(valueText))
            case .reserve:
                if valueText.hasSuffix("%") {
                    guard let p = Double(valueText.dropLast()), p.isFinite, p >= 0, p < 100 else {
                        error("'\(key)' must be a percent in [0, 100) of the memory or a size (10%, 512MiB), found '\(valueText)'", line, valueColumn)
                        ok = false
                        continue
                    }
                    values[key] = .reserve(.percent(p))
                } else {
                    guard let (number, unit) = splitNumber(valueText), let scale = PhysicalQuantity.bytes.scale(of: unit.isEmpty ? "B" : unit),
                          (number * scale).isFinite, number * scale >= 0, number * scale < 0x1p62 else {
                        error("'\(key)' must be a percent in [0, 100) of the memory or a size (10%, 512MiB), found '\(valueText)'", line, valueColumn)
                        ok = false
                        continue
                    }
                    values[key] = .reserve(.bytes(Int((number * scale).rounded())))
                }
            case .count:
                guard let n = Int(valueText), n >= 1 else {
                    error("'\(key)' must be a whole number ≥ 1, found '\(valueText)'", line, valueColumn)
                    ok = false
                    continue
                }
                values[key] = .count(n)
            case .quantity(let q):
                guard let (number, unitText) = splitNumber(valueText) else {
                    error("expected a number with a unit for '\(key)' (\(q.examples)), found '\(valueText)'", line, valueColumn)
                    ok = false
                    continue
                }
                var unit = unitText
                var unitColumn = valueColumn + valueText.count - unitText.count
                // "12 GB": a unit word after a bare number belongs to it.
                if unit.isEmpty, i < words.endIndex, !words[i].text.contains("="), PhysicalQuantity.isUnitName(words[i].text) {
                    unit = words[i].text
                    unitColumn = words[i].column
                    i += 1
                }
                guard !unit.isEmpty else {
                    error("'\(key)' needs a unit (\(q.examples))", line, valueColumn + valueText.count)
                    ok = false
                    continue
                }
                guard let scale = q.scale(of: unit) else {
                    error("'\(unit)' is not a unit of \(q.noun) for '\(key)'; expected \(q.examples)", line, unitColumn)
                    ok = false
                    continue
                }
                // Rates and sizes must be positive, times non-negative; every one finite.
                let value = number * scale, positive = q != .time
                guard value.isFinite, positive ? value > 0 : value >= 0 else {
                    error("'\(key)' must be a finite, \(positive ? "positive" : "non-negative") \(q.noun.dropFirst(2)) (\(q.examples)), found '\(valueText)'",
                          line, valueColumn)
                    ok = false
                    continue
                }
                values[key] = .number(value)
            }
        }
        return (values, ok)
    }

    mutating func require(_ keys: [String], in values: [String: AttributeValue], _ what: String, _ line: Int, _ column: Int) -> Bool {
        let missing = keys.filter { values[$0] == nil && !given.contains($0) }
        guard missing.isEmpty else {
            error("\(what) needs " + missing.map { "\($0)=…" }.joined(separator: ", "), line, column)
            return false
        }
        return keys.allSatisfy { values[$0] != nil }
    }

    func reserve(_ values: [String: AttributeValue]) -> MemoryReserve? {
        if case .reserve(let r)? = values["reserve"] { return r }
        return nil
    }

    func number(_ values: [String: AttributeValue], _ key: String, default value: Double = .nan) -> Double {
        if case .number(let x)? = values[key] { return x }
        return value
    }

    mutating func parseCluster(_ keyword: Word, _ rest: [Word], _ line: Int) {
        guard let n = statementName(keyword, rest, line) else { return }
        if rest.count > 1 { error("'cluster' takes only a name", line, rest[1].column) }
        if clusterLocation != nil {
            error("second 'cluster' line; the cluster is already named '\(name ?? "")'", line, keyword.column)
            return
        }
        name = n
        clusterLocation = SourceLocation(line: line, column: keyword.column)
    }

    mutating func parseKind(_ keyword: Word, _ rest: [Word], _ line: Int) {
        guard let n = statementName(keyword, rest, line) else { return }
        let (v, ok) = attributes(rest.dropFirst(), "kind", line, [
            "flops": .quantity(.flopRate), "membw": .quantity(.byteRate),
            "memory": .quantity(.bytes), "launch": .quantity(.time), "reserve": .reserve,
        ])
        let complete = require(["flops", "membw", "memory"], in: v, "kind '\(n)'", line, keyword.column)
        var memory = number(v, "memory")
        if memory.magnitude >= 0x1p62 {
            error("memory=… is too large (at most 4 EiB)", line, column(of: "memory", in: rest) ?? keyword.column)
            memory = .nan
        }
        if !ok || !complete || memory.isNaN { broken.insert(.kind(kinds.count)) }
        kinds.append(DeviceKind(name: n, peakFlops: number(v, "flops"), memoryBandwidth: number(v, "membw"),
                                memoryCapacity: memory.isFinite ? Int(memory.rounded()) : 0,
                                launchOverhead: number(v, "launch", default: 0), memoryReserve: reserve(v)))
        kindLocation.append(SourceLocation(line: line, column: keyword.column))
    }

    mutating func parseHost(_ keyword: Word, _ rest: [Word], _ line: Int) {
        guard let n = statementName(keyword, rest, line) else { return }
        let (v, ok) = attributes(rest.dropFirst(), "host", line, ["net": .quantity(.byteRate), "latency": .quantity(.time)])
        var network: Link?
        if v["net"] != nil {
            network = Link(bandwidth: number(v, "net"), latency: number(v, "latency", default: 0))
        } else if v["latency"] != nil {
            error("host '\(n)' has a network latency but no net=… bandwidth", line, keyword.column)
            broken.insert(.host(hosts.count))
        }
        if !ok { broken.insert(.host(hosts.count)) }
        hosts.append(Host(name: n, network: network))
        hostLocation.append(SourceLocation(line: line, column: keyword.column))
    }

    mutating func parseDevice(_ keyword: Word, _ rest: [Word], _ line: Int) {
        guard let n = statementName(keyword, rest, line) else { return }
        let (v, ok) = attributes(rest.dropFirst(), "device", line, [
            "count": .count, "host": .name, "kind": .name,
            "link": .quantity(.byteRate), "latency": .quantity(.time), "reserve": .reserve,
        ])
        var good = ok && require(["kind", "link"], in: v, "device '\(n)'", line, keyword.column)
        var kindIndex = -1
        if case .name(let k)? = v["kind"] {
            if let i = kinds.firstIndex(where: { $0.name == k }) {
                kindIndex = i
            } else {
                let known = kinds.isEmpty ? "none declared before this line" : kinds.map(\.name).joined(separator: ", ")
                error("unknown kind '\(k)' (kinds: \(known))", line, column(of: "kind", in: rest) ?? keyword.column)
                good = false
            }
        }
        var hostIndex = hosts.count - 1
        if case .name(let h)? = v["host"] {
            if let i = hosts.firstIndex(where: { $0.name == h }) {
                hostIndex = i
            } else {
                error("unknown host '\(h)'", line, column(of: "host", in: rest) ?? keyword.column)
                good = false
            }
        } else if hosts.isEmpty {
            hosts.append(Host(name: "host0"))
            hostLocation.append(SourceLocation(line: line, column: keyword.column))
            hostIndex = 0
        }
        var count = 1
        if case .count(let c)? = v["count"] {
            count = c
            if c > Self.maxCount {
                error("count=\(c) is more devices than a cluster file may declare (\(Self.maxCount))", line,
                      column(of: "count", in: rest) ?? keyword.column)
                count = 1
                good = false
            }
        }
        let link = Link(bandwidth: number(v, "link"), latency: number(v, "latency", default: 0))
        for i in 0..<count {
            if !good { broken.insert(.device(devices.count)) }
            let deviceName = v["count"] == nil ? n : n + String(i)
            devices.append(Device(name: deviceName, kind: kindIndex, host: hostIndex, link: link, memoryReserve: reserve(v)))
            deviceLocation.append(SourceLocation(line: line, column: keyword.column))
        }
    }

    func column(of key: String, in words: [Word]) -> Int? {
        words.first { $0.text.hasPrefix(key + "=") }.map { $0.column + key.count + 1 }
    }

    func location(of entity: ClusterEntity) -> SourceLocation? {
        switch entity {
        case .cluster: clusterLocation
        case .kind(let i): kindLocation.indices.contains(i) ? kindLocation[i] : nil
        case .host(let i): hostLocation.indices.contains(i) ? hostLocation[i] : nil
        case .device(let i): deviceLocation.indices.contains(i) ? deviceLocation[i] : nil
        }
    }

    mutating func finish(source: SourceText) throws(DiagnosticList) -> Cluster {
        let defaultName = path.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? "cluster"
        let cluster = Cluster(name: name ?? defaultName, kinds: kinds, hosts: hosts, devices: devices)
        let hadErrors = !diagnostics.isEmpty
        var reported = Set<String>()
        for problem in cluster.problems() {
            if broken.contains(problem.entity) { continue }
            if case .device(let i) = problem.entity, broken.contains(.kind(max(0, devices[i].kind))) { continue }
            if problem.entity == .cluster && hadErrors { continue }
            // A `count=` line yields N devices with one location; say each message once.
            guard reported.insert("\(location(of: problem.entity).map { "\($0)" } ?? "")|\(problem.message)").inserted
            else { continue }
            diagnostics.append(Diagnostic(.error, problem.message, file: path, at: location(of: problem.entity)))
        }
        if diagnostics.isEmpty { return cluster }
        // Stable sort by location: messages about one line keep the order they were found in.
        let origin = SourceLocation(line: 0, column: 0)
        let sorted = diagnostics.enumerated().sorted {
            ($0.element.location ?? origin, $0.offset) < ($1.element.location ?? origin, $1.offset)
        }.map(\.element)
        throw DiagnosticList(sorted, source: source)
    }
}
