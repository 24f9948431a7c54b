import CMoegcProto
import MoegcNN
import MoegcProto
import MoegcSupport

/// The only code that touches protoc-c's C structs. Encoding builds the C message in memory owned
/// by a ``CArena`` and packs it into a Swift array; decoding unpacks, copies every field into Swift
/// values and frees the C message before returning. No C pointer leaves this file.
enum ProtoCodec {
    // MARK: Envelope

    static func encodeEnvelope(version: UInt32, kind: String, crc: UInt32, payload: [UInt8]) -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var message = Moegc__CheckpointFile()
        moegc__checkpoint_file__init(&message)
        message.format_version = version
        message.kind = arena.string(kind)
        message.payload_crc32 = crc
        message.payload = arena.binary(payload)
        return CRead.pack(moegc__checkpoint_file__get_packed_size(&message)) { moegc__checkpoint_file__pack(&message, $0) }
    }

    static func decodeEnvelope(_ bytes: [UInt8]) -> (version: UInt32, kind: String, crc: UInt32, payload: [UInt8])? {
        let unpacked = bytes.withUnsafeBufferPointer { moegc__checkpoint_file__unpack(nil, $0.count, $0.baseAddress) }
        guard let message = unpacked else { return nil }
        defer { moegc__checkpoint_file__free_unpacked(message, nil) }
        let m = message.pointee
        return (m.format_version, CRead.string(m.kind), m.payload_crc32, CRead.binary(m.payload))
    }

    // MARK: Payload

    static func encodePayload(_ c: PolicyCheckpoint) -> [UInt8] {
        let arena = CArena()
        defer { arena.release() }
        var m = Moegc__PolicyCheckpoint()
        moegc__policy_checkpoint__init(&m)
        m.config_json = arena.string(c.configJSON)
        m.iteration = UInt64(c.iteration)
        m.cloning_steps = UInt64(c.cloningSteps)
        (m.n_parameters, m.parameters) = arena.tensors(c.parameters.namedTensors)
        m.optimizer_step = UInt64(c.optimizerStep)
        (m.n_optimizer_moments, m.optimizer_moments) = arena.tensors(c.optimizerMoments)
        (m.n_rng_state, m.rng_state) = arena.array(c.rngState)
        let records = arena.allocate(Moegc__IterationRecord.self, c.history.count)
        let recordPointers = arena.allocate(UnsafeMutablePointer<Moegc__IterationRecord>?.self, c.history.count)
        for (i, r) in c.history.enumerated() {
            moegc__iteration_record__init(records + i)
            records[i].iteration = UInt64(r.iteration)
            records[i].mean_reward = r.meanReward
            records[i].best_reward = r.bestReward
            records[i].mean_step = r.meanStep
            records[i].best_step = r.bestStep
            records[i].entropy = r.entropy
            records[i].approx_kl = r.approxKL
            records[i].clip_fraction = r.clipFraction
            records[i].explained_variance = r.explainedVariance
            records[i].value_loss = r.valueLoss
            records[i].gradient_norm = r.gradientNorm
            records[i].out_of_memory_fraction = r.outOfMemoryFraction
            records[i].samples = UInt64(r.samples)
            records[i].problem = UInt32(clamping: r.problem)
            records[i].reference_step = r.referenceStep
            recordPointers[i] = records + i
        }
        m.n_history = c.history.count
        m.history = recordPointers
        (m.n_best_placement, m.best_placement) = arena.array((c.best?.placement ?? []).map { Int32(clamping: $0) })
        m.best_step = c.best?.stepTime ?? 0
        (m.n_best_priority_offsets, m.best_priority_offsets) = arena.array(c.bestPriorityOffsets)
        m.graph_name = arena.string(c.graphName)
        m.cluster_name = arena.string(c.clusterName)
        m.task_count = UInt64(c.taskCount)
        m.device_count = UInt64(c.deviceCount)
        m.reference_step = c.referenceStep
        m.reference_name = arena.string(c.referenceName)
        m.samples = UInt64(c.samples)
        let keys = c.problems.map { arena.string($0) as UnsafeMutablePointer<CChar>? }
        (m.n_problems, m.problems) = arena.array(keys)
        (m.n_problem_best_steps, m.problem_best_steps) = arena.array(c.problemBestSteps)
        (m.n_best_merges, m.best_merges) = arena.array(c.bestMerges.map { $0 ? 1 : 0 } as [protobuf_c_boolean])
        return CRead.pack(moegc__policy_checkpoint__get_packed_size(&m)) { moegc__policy_checkpoint__pack(&m, $0) }
    }

    static func decodePayload(_ bytes: [UInt8]) throws(PolicyError) -> PolicyCheckpoint {
        let unpacked = bytes.withUnsafeBufferPointer { moegc__policy_checkpoint__unpack(nil, $0.count, $0.baseAddress) }
        guard let message = unpacked else {
            throw PolicyError(.invalidContents, "the policy payload does not decode")
        }
        defer { moegc__policy_checkpoint__free_unpacked(message, nil) }
        let m = message.pointee
        let (policyConfig, trainingConfig) = try PolicyCheckpoint.configs(fromJSON: CRead.string(m.config_json))
        let parameters: ParameterStore
        do { parameters = try ParameterStore(namedTensors: try tensors(m.n_parameters, m.parameters)) } catch let e as PolicyError {
            throw e
        } catch {
            throw PolicyError(.invalidContents, "parameters: \(error)")
        }
        let history: [IterationRecord] = (0..<m.n_history).compactMap { i in
            guard let r = m.history[i]?.pointee else { return nil }
            return IterationRecord(
                iteration: Int(clamping: r.iteration), meanReward: r.mean_reward, bestReward: r.best_reward,
                meanStep: r.mean_step, bestStep: r.best_step, entropy: r.entropy, approxKL: r.approx_kl,
                clipFraction: r.clip_fraction, explainedVariance: r.explained_variance, valueLoss: r.value_loss,
                gradientNorm: r.gradient_norm, outOfMemoryFraction: r.out_of_memory_fraction,
                samples: Int(clamping: r.samples), problem: Int(r.problem), referenceStep: r.reference_step)
        }
        let placement = CRead.array(m.n_best_placement, m.best_placement).map { Int($0) }
        var checkpoint = PolicyCheckpoint(
            policyConfig: policyConfig, trainingConfig: trainingConfig, iteration: Int(clamping: m.iteration),
            cloningSteps: Int(clamping: m.cloning_steps), parameters: parameters,
            optimizerStep: Int(clamping: m.optimizer_step), optimizerMoments: try tensors(m.n_optimizer_moments, m.optimizer_moments),
            rngState: CRead.array(m.n_rng_state, m.rng_state), history: history,
            best: placement.isEmpty ? nil : ReferencePlacement(name: "policy", placement: placement, stepTime: m.best_step),
            bestPriorityOffsets: CRead.array(m.n_best_priority_offsets, m.best_priority_offsets),
            graphName: CRead.string(m.graph_name), clusterName: CRead.string(m.cluster_name),
            taskCount: Int(clamping: m.task_count), deviceCount: Int(clamping: m.device_count),
            referenceName: CRead.string(m.reference_name), referenceStep: m.reference_step, samples: Int(clamping: m.samples))
        checkpoint.problems = CRead.array(m.n_problems, m.problems).map { CRead.string($0) }
        checkpoint.problemBestSteps = CRead.array(m.n_problem_best_steps, m.problem_best_steps)
        checkpoint.bestMerges = CRead.array(m.n_best_merges, m.best_merges).map { $0 != 0 }
        try validate(checkpoint)
        return checkpoint
    }

    /// Cross-field checks a well-formed protobuf may still fail.
    private static func validate(_ c: PolicyCheckpoint) throws(PolicyError) {
        func bad(_ m: String) -> PolicyError { PolicyError(.invalidContents, m) }
        if let p = c.policyConfig.problem { throw bad("stored policy configuration: \(p)") }
        if let p = c.trainingConfig.problem { throw bad("stored training configuration: \(p)") }
        if !c.problemBestSteps.isEmpty && c.problemBestSteps.count != c.problems.count {
            throw bad("\(c.problemBestSteps.count) best step times for \(c.problems.count) problems")
        }
        if c.history.contains(where: { !c.problems.isEmpty && $0.problem >= c.problems.count }) {
            throw bad("an iteration names a problem outside the \(c.problems.count) trained on")
        }
        if c.rngState.count != 4 { throw bad("the generator state has \(c.rngState.count) words, not 4") }
        if let best = c.best {
            if best.placement.count != c.taskCount { throw bad("the best placement covers \(best.placement.count) of \(c.taskCount) tasks") }
            if best.placement.contains(where: { !(0..<c.deviceCount).contains($0) }) { throw bad("the best placement names a device outside 0..<\(c.deviceCount)") }
        }
        var expected = ParameterStore()
        _ = PlacementPolicy(config: c.policyConfig, parameters: &expected)
        do { try expected.load(c.parameters) } catch { throw bad("the weights do not fit the stored configuration: \(error.message)") }
    }

    // MARK: Reading C values

    private static func tensors(_ n: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<Moegc__Tensor>?>?) throws(PolicyError) -> [NamedTensor] {
        var out: [NamedTensor] = []
        for i in 0..<n {
            guard let t = p?[i]?.pointee else { throw PolicyError(.invalidContents, "tensor \(i) is missing") }
            let name = CRead.string(t.name)
            let shape = CRead.array(t.n_shape, t.shape)
            var count = 1
            for extent in shape {
                guard extent <= UInt64(Int32.max) else { throw PolicyError(.invalidContents, "tensor '\(name)' has extent \(extent)") }
                let product = count.multipliedReportingOverflow(by: Int(extent))
                guard !product.overflow else { throw PolicyError(.invalidContents, "tensor '\(name)' is too large") }
                count = product.partialValue
            }
            guard let bytes = Sizes.product(count, 4) else { throw PolicyError(.invalidContents, "tensor '\(name)' of shape \(shape) needs more than 2^63 bytes") }
            let raw = CRead.binary(t.data)
            guard raw.count == bytes else {
                throw PolicyError(.invalidContents, "tensor '\(name)' of shape \(shape) holds \(raw.count) bytes, not \(bytes)")
            }
            let values = LittleEndianFloats.floats(raw)
            out.append(NamedTensor(name: name, tensor: Tensor(shape: shape.map { Int($0) }, scalars: values)))
        }
        return out
    }

}

/// Named tensors as C messages, for the checkpoint's weights and optimiser moments.
extension CArena {
    func tensors(_ tensors: [NamedTensor]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<Moegc__Tensor>?>?) {
        guard !tensors.isEmpty else { return (0, nil) }
        let messages = allocate(Moegc__Tensor.self, tensors.count)
        let pointers = allocate(UnsafeMutablePointer<Moegc__Tensor>?.self, tensors.count)
        for (i, t) in tensors.enumerated() {
            moegc__tensor__init(messages + i)
            messages[i].name = string(t.name)
            (messages[i].n_shape, messages[i].shape) = array(t.shape.map { UInt64($0) })
            messages[i].data = t.tensor.withUnsafeBufferPointer { binary(LittleEndianFloats.bytes($0)) }
            pointers[i] = messages + i
        }
        return (tensors.count, pointers)
    }
}
