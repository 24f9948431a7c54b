import Foundation
import MoegcIR
@testable import MoegcPolicy
import MoegcSim
import MoegcSupport
import Testing

private func trainedCheckpoint(iterations: Int, seed: UInt64 = 1, stopAt: Int? = nil) throws -> PolicyCheckpoint {
    let p = problem(RandomGraphs.layered(tasks: 24, width: 4, seed: 4), testCluster(devices: 3))
    var trainer = try PolicyTrainer(problem: p, policyConfig: smallPolicyConfig(),
                                    config: smallTrainingConfig(iterations: iterations, cloning: 4, seed: seed))
    if let stopAt {
        // Interrupted run: stop, go through the file format, resume in a new trainer.
        while !trainer.isCloningFinished { trainer.cloneStep() }
        while trainer.iteration < stopAt { trainer.iterate() }
        let bytes = CheckpointFile.encode(trainer.checkpoint)
        trainer = try PolicyTrainer(problem: p, resuming: try CheckpointFile.decode(bytes))
    }
    while !trainer.isCloningFinished { trainer.cloneStep() }
    while !trainer.isFinished { trainer.iterate() }
    return trainer.checkpoint
}

@Suite struct CheckpointTests {
    @Test func roundTripIsExact() throws {
        let checkpoint = try trainedCheckpoint(iterations: 2)
        let bytes = CheckpointFile.encode(checkpoint)
        let decoded = try CheckpointFile.decode(bytes)
        #expect(decoded == checkpoint)
        #expect(CheckpointFile.encode(decoded) == bytes)
        #expect(decoded.history.count == 2)
        #expect(decoded.best != nil)
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = CheckpointFile.encode(try trainedCheckpoint(iterations: 3, seed: 7))
        let b = CheckpointFile.encode(try trainedCheckpoint(iterations: 3, seed: 7))
        let c = CheckpointFile.encode(try trainedCheckpoint(iterations: 3, seed: 8))
        #expect(a == b)
        #expect(a != c)
    }

    @Test func resumedRunEndsWithTheSameBytes() throws {
        let uninterrupted = CheckpointFile.encode(try trainedCheckpoint(iterations: 4))
        for stop in [0, 1, 3] {
            #expect(CheckpointFile.encode(try trainedCheckpoint(iterations: 4, stopAt: stop)) == uninterrupted, "stopped at \(stop)")
        }
    }

    @Test func damagedFilesGiveClearErrors() throws {
        let bytes = CheckpointFile.encode(try trainedCheckpoint(iterations: 1))
        func code(_ b: [UInt8]) -> PolicyError.Code? {
            do { _ = try CheckpointFile.decode(b, path: "x.policy"); return nil } catch { return error.code }
        }
        #expect(code([]) == .truncated)
        #expect(code(Array(bytes.prefix(5))) == .truncated)
        #expect(code(Array(bytes.prefix(bytes.count / 2))) == .truncated)
        #expect(code(Array(bytes.dropLast())) == .truncated)
        #expect(code(bytes + [0]) == .corrupted)
        #expect(code(Array("graph tiny [batch = 2] () -> () {}".utf8)) == .foreignFile)
        #expect(code(Array("\u{7f}ELF\u{2}\u{1}\u{1}\0\0\0\0\0\0\0\0\0".utf8)) == .foreignFile)
        // Flip bits deep in the payload: the checksum catches it.
        for position in [bytes.count - 1, bytes.count / 2, bytes.count - 200] {
            var damaged = bytes
            damaged[position] ^= 0x10
            let c = code(damaged)
            #expect(c == .corrupted, "flip at \(position): \(String(describing: c))")
        }
        // A future format version.
        let payload = ProtoCodec.encodePayload(try CheckpointFile.decode(bytes))
        let envelope = ProtoCodec.encodeEnvelope(version: 2, kind: "policy", crc: CRC32.checksum(payload), payload: payload)
        var future = CheckpointFile.magic
        var length = UInt64(envelope.count).littleEndian
        withUnsafeBytes(of: &length) { future.append(contentsOf: $0) }
        #expect(code(future + envelope) == .unsupportedVersion)
        do {
            _ = try CheckpointFile.decode(future + envelope, path: "future.policy")
        } catch {
            #expect(error.description.hasPrefix("future.policy: error: policy format version 2 is not supported"))
        }
    }

    @Test func resumingOnAnotherProblemIsRefused() throws {
        let checkpoint = try trainedCheckpoint(iterations: 1)
        let other = problem(forkJoinGraph(), testCluster(devices: 3), name: "other")
        #expect(throws: PolicyError.self) { try PolicyTrainer(problem: other, resuming: checkpoint) }
    }

    @Test func writesAtomicallyAndReads() throws {
        let checkpoint = try trainedCheckpoint(iterations: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moegc-policy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.policy").path
        try CheckpointFile.write(checkpoint, to: path)
        #expect(try CheckpointFile.read(path) == checkpoint)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["p.policy"])
        #expect(throws: PolicyError.self) { try CheckpointFile.read(dir.appendingPathComponent("missing.policy").path) }
    }
}
