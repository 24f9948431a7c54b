import MoegcSupport

/// Turns parsed syntax into a `Graph`: resolves op and value names, orders the nodes topologically
/// (the text may use a value before the line that defines it), and reports undefined or duplicate
/// names and cycles at their locations.
struct Resolver {
    let path: String
    var diagnostics: [Diagnostic] = []
    /// Where each node's attributes and operands were written, to place verifier messages precisely.
    var attributeLocations: [[String: SourceLocation]] = []
    var operandLocations: [[SourceLocation]] = []
    var opLocations: [SourceLocation] = []
    /// Nodes with an operand that did not resolve (their operand count is not checked).
    var incomplete = Set<Int>()

    init(path: String) { self.path = path }

    private mutating func error(_ message: String, _ loc: SourceLocation) {
        diagnostics.append(Diagnostic(.error, message, file: path, at: loc))
    }

    mutating func resolve(_ syn: GraphSyntax) -> Graph {
        var g = Graph(name: syn.name, symbols: syn.symbols)
        g.headerComments = syn.headerComments
        g.trailingTrivia = syn.trailingTrivia
        var defined: [String: (ValueID, SourceLocation)] = [:]
        func define(_ n: GraphSyntax.Named, _ id: ValueID) {
            if let (_, first) = defined[n.name] {
                error("value '%\(n.name)' is defined twice (first at \(first))", n.location)
            } else {
                defined[n.name] = (id, n.location)
            }
        }
        for (n, type) in syn.inputs { define(n, g.addInput(name: n.name, type: type)) }

        // Nodes in source order first; operands are resolved once every name is known.
        var keep: [Int] = []
        // Results of statements that could not become nodes: using them is not a second error.
        var poisoned = Set<String>()
        for (si, st) in syn.statements.enumerated() {
            guard let op = OpCode(rawValue: st.op.name) else {
                error("unknown op '\(st.op.name)'\(suggestion(for: st.op.name))", st.op.location)
                poisoned.formUnion(st.results.map(\.name))
                continue
            }
            var attributes = Attributes()
            var locations: [String: SourceLocation] = [:]
            for a in st.attributes {
                if locations[a.name] != nil {
                    error("attribute '\(a.name)' is given twice", a.location)
                    continue
                }
                locations[a.name] = a.location
                var value = a.value
                if let spec = op.schema.attributeSpec(a.name), case .success(let coerced) = spec.check(a.value) { value = coerced }
                attributes[a.name] = value
            }
            attributes.sort(by: op.schema.attributeRank)
            if let types = st.types, types.count != st.results.count {
                error("\(st.results.count) result\(st.results.count == 1 ? "" : "s") but \(types.count) type\(types.count == 1 ? "" : "s") written",
                      st.results[0].location)
                poisoned.formUnion(st.results.map(\.name))
                continue
            }
            let nid = g.addNode(op, [], attributes: attributes, resultNames: st.results.map(\.name),
                                resultTypes: st.types, location: st.results[0].location)
            g.nodes[nid.index].leadingTrivia = st.leadingTrivia
            g.nodes[nid.index].trailingComment = st.trailingComment
            for (r, n) in zip(g.nodes[nid.index].results, st.results) { define(n, r) }
            attributeLocations.append(locations)
            opLocations.append(st.op.location)
            keep.append(si)
        }
        for (ni, si) in keep.enumerated() {
            var operands: [ValueID] = []
            var locs: [SourceLocation] = []
            for n in syn.statements[si].operands {
                if let (id, _) = defined[n.name] {
                    operands.append(id)
                    locs.append(n.location)
                } else {
                    if !poisoned.contains(n.name) { error("use of undefined value '%\(n.name)'", n.location) }
                    incomplete.insert(ni)
                }
            }
            g.nodes[ni].operands = operands
            operandLocations.append(locs)
        }
        for n in syn.outputs {
            if let (id, _) = defined[n.name] { g.outputs.append(id) }
            else if !poisoned.contains(n.name) { error("graph output '%\(n.name)' is never defined", n.location) }
        }
        if diagnostics.isEmpty { sortTopologically(&g) }
        return g
    }

    /// Reorders `g.nodes` so every operand is defined earlier, keeping source order where it already
    /// holds (Kahn's algorithm, always taking the lowest-numbered ready node). Reports one cycle.
    private mutating func sortTopologically(_ g: inout Graph) {
        let n = g.nodes.count
        var pending = [Int](repeating: 0, count: n)
        var consumers = [[Int]](repeating: [], count: n)
        var inOrder = true
        for (i, node) in g.nodes.enumerated() {
            for v in Set(node.operands) {
                guard let p = g.values[v.index].producer else { continue }
                pending[i] += 1
                consumers[p.index].append(i)
                if p.index >= i { inOrder = false }
            }
        }
        if inOrder { return }
        var ready = MinHeap((0..<n).filter { pending[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(n)
        while let i = ready.pop() {
            order.append(i)
            for c in consumers[i] {
                pending[c] -= 1
                if pending[c] == 0 { ready.push(c) }
            }
        }
        guard order.count == n else {
            reportCycle(g, pending)
            return
        }
        var newIndex = [Int](repeating: 0, count: n)
        for (k, i) in order.enumerated() { newIndex[i] = k }
        let old = g.nodes
        g.nodes = order.map { old[$0] }
        attributeLocations = order.map { attributeLocations[$0] }
        operandLocations = order.map { operandLocations[$0] }
        opLocations = order.map { opLocations[$0] }
        for vi in g.values.indices {
            if let p = g.values[vi].producer { g.values[vi].producer = NodeID(newIndex[p.index]) }
        }
    }

    private mutating func reportCycle(_ g: Graph, _ pending: [Int]) {
        // Walk back through operands whose producers are still pending until a node repeats.
        var seen: [Int: Int] = [:]
        var path: [Int] = []
        var i = pending.firstIndex { $0 > 0 }!
        while seen[i] == nil {
            seen[i] = path.count
            path.append(i)
            i = g.nodes[i].operands.compactMap { g.values[$0.index].producer?.index }.first { pending[$0] > 0 }!
        }
        // In dataflow order, starting from the node written first.
        var cycle = Array(path[seen[i]!...].reversed())
        let first = cycle.min()!
        let k = cycle.firstIndex(of: first)!
        cycle = Array(cycle[k...] + cycle[..<k])
        let names = cycle.map { "%" + g.values[g.nodes[$0].results[0].index].name }
        error("cycle in the dataflow graph: \((names + [names[0]]).joined(separator: " -> "))",
              g.nodes[first].location ?? SourceLocation(line: 1, column: 1))
    }

    private func suggestion(for name: String) -> String {
        let best = OpCode.allCases.map { ($0.rawValue, editDistance(name, $0.rawValue)) }.min { $0.1 < $1.1 }
        guard let (candidate, d) = best, d <= max(1, name.count / 3) else { return "" }
        return "; did you mean '\(candidate)'?"
    }
}

/// Edit distance counting an adjacent transposition as one edit (optimal string alignment), for
/// "did you mean" suggestions: `rleu` is one edit from `relu`.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}

/// A binary min-heap of integers (ready nodes by index).
struct MinHeap {
    private var items: [Int]

    init(_ items: [Int]) {
        self.items = []
        for x in items { push(x) }
    }

    mutating func push(_ x: Int) {
        items.append(x)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> Int? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l] < items[m] { m = l }
                if r < items.count, items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
