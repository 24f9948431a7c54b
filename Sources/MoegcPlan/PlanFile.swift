import CMoegcProto
import MoegcIR
import MoegcProto
import MoegcSupport

/// The plan file: "MOEGCPLN", then a `PlanFile` envelope (format version, CRC-32, payload), the
/// payload a `Plan` (Sources/CMoegcProto/proto/moegc_plan.proto). Reading checks, in order: the
/// magic, the envelope, the version, the checksum, the payload, the graph (parsed and verified
/// like any graph), and the plan itself (`ExecutionPlan.problems()`): every failure is a
/// `PlanError` saying which, never a crash. No C pointer leaves this file.
public enum PlanFile {
    public static let magic: [UInt8] = Array("MOEGCPLN".utf8)
    public static let formatVersion: UInt32 = 1

    // MARK: Writing

    public static func encode(_ plan: CompiledPlan) -> [UInt8] {
        let payload = encodePayload(plan)
        return envelope(payload, version: formatVersion, crc: CRC32.checksum(payload))
    }

    /// A plan file around an arbitrary `payload` (this format version, the payload's true CRC-32):
    /// fuzzers and tests wrap mutated payloads in it so the mutations reach the payload decoder.
    public static func frame(payload: [UInt8]) -> [UInt8] {
        envelope(payload, version: formatVersion, crc: CRC32.checksum(payload))
    }

    /// The payload of a plan file's bytes (no check beyond the envelope), or nil.
    public static func payload(of bytes: [UInt8]) -> [UInt8]? {
        guard bytes.starts(with: magic) else { return nil }
        let body = Array(bytes[magic.count...])
        guard let envelope = body.withUnsafeBufferPointer({ moegc__plan_file__unpack(nil, $0.count, $0.baseAddress) }) else { return nil }
        defer { moegc__plan_file__free_unpacked(envelope, nil) }
        return CRead.binary(envelope.pointee.payload)
    }

    /// The magic and an envelope around `payload`.
    static func envelope(_ payload: [UInt8], version: UInt32, crc: UInt32) -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var envelope = Moegc__PlanFile()
        moegc__plan_file__init(&envelope)
        envelope.format_version = version
        envelope.payload_crc32 = crc
        envelope.payload = arena.binary(payload)
        return magic + CRead.pack(moegc__plan_file__get_packed_size(&envelope)) { moegc__plan_file__pack(&envelope, $0) }
    }

    /// The plan's graph with its placement written as annotations: `device`, `group`, and `order`
    /// (the position of the node's fusion group in its device's schedule; members of a group share
    /// it), as `moegc compile --emit placed` writes them.
    public static func annotatedGraph(_ e: ExecutionPlan) -> Graph {
        var g = e.graph
        for (d, list) in e.order.enumerated() {
            var position = -1, previous: Int? = nil
            for (k, i) in list.enumerated() {
                let unit = e.group?[i] ?? -1 - k
                if unit != previous { position += 1 }
                previous = unit
                g.nodes[i].attributes["device"] = .int(d)
                g.nodes[i].attributes["order"] = .int(position)
                if let group = e.group { g.nodes[i].attributes["group"] = .int(group[i]) } else { g.nodes[i].attributes["group"] = nil }
                g.nodes[i].attributes.sort(by: g.nodes[i].op.schema.attributeRank)
            }
        }
        return g
    }

    /// The payload; `graphText` replaces the graph's text (tests write tampered files with it).
    static func encodePayload(_ p: CompiledPlan, graphText: String? = nil) -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var m = Moegc__Plan()
        moegc__plan__init(&m)
        m.graph_text = arena.string(graphText ?? GraphText.print(annotatedGraph(p.execution)))
        m.cluster_text = arena.string(p.clusterText)
        m.device_count = UInt32(p.execution.deviceCount)
        (m.n_node_device, m.node_device) = arena.array(p.execution.device.map { UInt32($0) })
        let orders = arena.allocate(Moegc__DeviceOrder.self, p.execution.order.count)
        let orderPointers = arena.allocate(UnsafeMutablePointer<Moegc__DeviceOrder>?.self, p.execution.order.count)
        for (d, list) in p.execution.order.enumerated() {
            moegc__device_order__init(orders + d)
            (orders[d].n_nodes, orders[d].nodes) = arena.array(list.map { UInt32($0) })
            orderPointers[d] = orders + d
        }
        m.n_orders = p.execution.order.count
        m.orders = orderPointers
        (m.n_node_group, m.node_group) = arena.array((p.execution.group ?? []).map { UInt32(truncatingIfNeeded: $0) })
        let transfers = arena.allocate(Moegc__Transfer.self, p.transfers.count)
        let transferPointers = arena.allocate(UnsafeMutablePointer<Moegc__Transfer>?.self, p.transfers.count)
        for (i, t) in p.transfers.enumerated() {
            moegc__transfer__init(transfers + i)
            transfers[i].value = UInt32(t.value)
            transfers[i].source_device = UInt32(t.source)
            transfers[i].destination_device = UInt32(t.destination)
            transfers[i].bytes = UInt64(t.bytes)
            transferPointers[i] = transfers + i
        }
        m.n_transfers = p.transfers.count
        m.transfers = transferPointers
        (m.n_peak_memory, m.peak_memory) = arena.array(p.peakMemory.map { UInt64(max(0, $0)) })
        m.simulated_step_seconds = p.simulatedStepSeconds
        m.seed = p.seed
        m.training = p.training ? 1 : 0
        m.placer = arena.string(p.placer)
        m.source = arena.string(p.source)
        let names = p.weights.keys.sorted()
        let weights = arena.allocate(Moegc__Weight.self, names.count)
        let weightPointers = arena.allocate(UnsafeMutablePointer<Moegc__Weight>?.self, names.count)
        for (i, name) in names.enumerated() {
            let w = p.weights[name]!
            moegc__weight__init(weights + i)
            weights[i].name = arena.string(name)
            (weights[i].n_shape, weights[i].shape) = arena.array(w.shape.map { UInt64($0) })
            weights[i].data = arena.binary(LittleEndianFloats.bytes(w.values))
            weightPointers[i] = weights + i
        }
        m.n_weights = names.count
        m.weights = weightPointers
        return CRead.pack(moegc__plan__get_packed_size(&m)) { moegc__plan__pack(&m, $0) }
    }

    /// Writes the plan atomically (temporary file, fsync, rename).
    public static func write(_ plan: CompiledPlan, to path: String) throws(FileError) {
        try FileIO.writeAtomically(path, encode(plan))
    }

    // MARK: Reading

    public static func read(_ path: String) throws(PlanError) -> CompiledPlan {
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path) } catch { throw PlanError(.notAPlan, error.description) }
        return try decode(bytes, path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String = "<plan>") throws(PlanError) -> CompiledPlan {
        func fail(_ code: PlanError.Code, _ m: String) -> PlanError { PlanError(code, "\(path): error: \(m)") }
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
            if bytes.isEmpty { throw fail(.notAPlan, "the file is empty; a plan starts with MOEGCPLN (`moegc compile MODEL.graph -o model.plan` writes one)") }
            if magic.starts(with: bytes) {
                throw fail(.corrupted, "the plan is truncated: \(bytes.count) byte\(bytes.count == 1 ? "" : "s"), less than its 8-byte magic MOEGCPLN")
            }
            if bytes.starts(with: Array("MOEGCPOL".utf8)) { throw fail(.notAPlan, "this is a policy checkpoint, not a compiled plan") }
            if bytes.starts(with: Array("graph".utf8)) || bytes.starts(with: Array("#".utf8)) {
                throw fail(.notAPlan, "this looks like a .graph text, not a compiled plan; compile it with `moegc compile \(path) -o model.plan`")
            }
            throw fail(.notAPlan, "not a moegc plan (it does not start with MOEGCPLN; \(bytes.count) bytes)")
        }
        let body = Array(bytes[magic.count...])
        guard !body.isEmpty else { throw fail(.corrupted, "the plan is truncated: nothing follows its 8-byte magic MOEGCPLN") }
        let unpacked = body.withUnsafeBufferPointer { moegc__plan_file__unpack(nil, $0.count, $0.baseAddress) }
        guard let envelope = unpacked else { throw fail(.corrupted, "the plan is truncated or corrupted (its envelope does not decode)") }
        let version = envelope.pointee.format_version, crc = envelope.pointee.payload_crc32
        let payload = CRead.binary(envelope.pointee.payload)
        moegc__plan_file__free_unpacked(envelope, nil)
        guard version != 0 || !payload.isEmpty else {
            throw fail(.corrupted, "the plan is truncated or corrupted: its envelope (\(body.count) bytes after the magic) holds no format version")
        }
        guard version == formatVersion else {
            throw fail(.unsupportedVersion, "plan format version \(version) is not supported (this moegc reads version \(formatVersion)); recompile the model")
        }
        guard CRC32.checksum(payload) == crc else { throw fail(.corrupted, "the plan is corrupted (its checksum does not match)") }
        return try decodePayload(payload, fail)
    }

    /// Decodes a bare `Plan` payload, without magic or envelope (for fuzzing past the checksum).
    public static func decode(payload: [UInt8], path: String = "<payload>") throws(PlanError) -> CompiledPlan {
        try decodePayload(payload) { PlanError($0, "\(path): error: \($1)") }
    }

    static func decodePayload(_ payload: [UInt8], _ fail: (PlanError.Code, String) -> PlanError) throws(PlanError) -> CompiledPlan {
        let unpacked = payload.withUnsafeBufferPointer { moegc__plan__unpack(nil, $0.count, $0.baseAddress) }
        guard let message = unpacked else { throw fail(.corrupted, "the plan is corrupted (its payload does not decode)") }
        defer { moegc__plan__free_unpacked(message, nil) }
        let m = message.pointee
        let text = CRead.string(m.graph_text)
        var graph: Graph
        do {
            graph = try GraphText.parse(text, path: "plan graph")
        } catch {
            throw fail(.invalidGraph, "the plan's graph does not parse: \(error.diagnostics.first?.description ?? "")")
        }
        guard graph.values.allSatisfy({ $0.type != nil }) else { throw fail(.invalidGraph, "the plan's graph leaves types out") }
        if let problem = Verifier.verify(graph).first { throw fail(.invalidGraph, "the plan's graph fails verification: \(problem)") }
        let deviceCount = Int(m.device_count)
        let device = CRead.array(m.n_node_device, m.node_device).map { Int($0) }
        var order: [[Int]] = []
        for i in 0..<m.n_orders {
            guard let o = m.orders[i]?.pointee else { throw fail(.corrupted, "device order \(i) is missing") }
            order.append(CRead.array(o.n_nodes, o.nodes).map { Int($0) })
        }
        let groups = CRead.array(m.n_node_group, m.node_group).map { Int($0) }
        let execution = ExecutionPlan(graph: graph, deviceCount: deviceCount, device: device, order: order,
                                      group: groups.isEmpty ? nil : groups)
        if let problem = execution.problems().first { throw fail(.invalidPlan, "invalid plan: \(problem)") }
        // The graph's annotations must tell the same placement.
        for (i, node) in graph.nodes.enumerated() where node.attributes["device"]?.intValue.map({ $0 != device[i] }) ?? false {
            throw fail(.invalidPlan, "node %\(graph.values[node.results[0].index].name) is annotated with device \(node.attributes["device"]!) but placed on \(device[i])")
        }
        // Strip placement annotations: the execution plan holds them.
        for i in graph.nodes.indices { for a in ["device", "order", "group"] { graph.nodes[i].attributes[a] = nil } }
        var transfers: [CompiledPlan.Transfer] = []
        for i in 0..<m.n_transfers {
            guard let t = m.transfers[i]?.pointee else { throw fail(.corrupted, "transfer \(i) is missing") }
            guard Int(t.value) < graph.values.count, Int(t.source_device) < deviceCount, Int(t.destination_device) < deviceCount else {
                throw fail(.invalidPlan, "transfer \(i) names a value or device that does not exist")
            }
            transfers.append(.init(value: Int(t.value), source: Int(t.source_device), destination: Int(t.destination_device),
                                   bytes: Int(clamping: t.bytes)))
        }
        var weights: [String: CompiledPlan.WeightData] = [:]
        for i in 0..<m.n_weights {
            guard let w = m.weights[i]?.pointee else { throw fail(.corrupted, "weight \(i) is missing") }
            let name = CRead.string(w.name), shape = CRead.array(w.n_shape, w.shape).map { Int(clamping: $0) }
            let data = CRead.binary(w.data)
            guard let id = graph.value(named: name), graph[id].producer.map({ graph[$0].op.schema.isWeight }) == true else {
                throw fail(.invalidPlan, "weight %\(name) is not a parameter of the plan's graph")
            }
            guard shape == graph.type(of: id).shape, data.count == shape.reduce(1, *) * 4 else {
                throw fail(.invalidPlan, "weight %\(name) holds \(data.count) bytes of shape \(shape); the graph types it \(graph.type(of: id))")
            }
            let values = LittleEndianFloats.floats(data)
            weights[name] = .init(shape: shape, values: values)
        }
        var plan = CompiledPlan(execution: execution, clusterText: CRead.string(m.cluster_text), transfers: transfers,
                                peakMemory: CRead.array(m.n_peak_memory, m.peak_memory).map { Int(clamping: $0) },
                                simulatedStepSeconds: m.simulated_step_seconds, seed: m.seed, training: m.training != 0,
                                placer: CRead.string(m.placer), source: CRead.string(m.source), weights: weights)
        plan.execution.graph = graph
        return plan
    }
}
