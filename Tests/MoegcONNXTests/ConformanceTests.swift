import Testing
import MoegcIR
import MoegcONNX
import MoegcPlan
import MoegcRuntime
import MoegcSupport

/// The ONNX backend node tests of every op moegc claims (Conformance/generate.py wrote them from
/// the onnx 1.23.2 wheel; manifest.tsv lists each case and why any is skipped). Each case is
/// imported, run on the reference interpreter, and held against the standard's own expected
/// outputs with the case's stated tolerance (NumPy allclose: atol + rtol·|expected|, the backend's
/// rtol 1e-3 and atol 1e-7 unless the case says otherwise; integer and boolean outputs exactly);
/// then run on the multithreaded runtime over two devices, which must give the interpreter's
/// outputs bit for bit.
struct ConformanceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var op: String
        var run: Bool
        var rtol: Double
        var atol: Double
        var reason: String
        var testDescription: String { name }
    }

    static let folder = repoRoot + "/Tests/MoegcONNXTests/Conformance"

    static let manifest: [Case] = {
        guard let bytes = try? FileIO.read(folder + "/manifest.tsv") else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5 else { return nil }
            return Case(name: f[0], op: f[1], run: f[2] == "run", rtol: Double(f[3]) ?? 1e-3, atol: Double(f[4]) ?? 1e-7,
                        reason: f.count > 5 ? f[5] : "")
        }
    }()

    static let runnable = manifest.filter(\.run)

    @Test func manifestCoversTheClaimedOps() {
        #expect(ConformanceTests.runnable.count >= 400)
        let claimed = Set(ONNXImporter.supportedOps)
        let tested = Set(ConformanceTests.manifest.map(\.op))
        // The generator's list of claimed ops is the importer's: every claimed op has cases.
        #expect(claimed == tested, "claimed ops without cases: \(claimed.subtracting(tested).sorted())")
        #expect(tested.subtracting(claimed).isEmpty, "cases of unclaimed ops: \(tested.subtracting(claimed).sorted())")
    }

    @Test(arguments: runnable)
    func passes(_ c: Case) throws {
        let dir = ConformanceTests.folder + "/cases/" + c.name
        let model = try ONNXImporter.load(path: dir + "/model.onnx")
        let g = model.graph
        var inputs: [HostTensor] = []
        for i in g.inputs.indices { inputs.append(try ONNXImporter.loadTensor(path: dir + "/input_\(i).pb")) }
        var expected: [HostTensor] = []
        for i in g.outputs.indices { expected.append(try ONNXImporter.loadTensor(path: dir + "/output_\(i).pb")) }
        let outputs = try ReferenceInterpreter(graph: g, seed: 0, weights: model.weights).run(inputs).outputs
        for (i, (a, e)) in zip(outputs, expected).enumerated() {
            if let m = mismatch(a, e, rtol: c.rtol, atol: c.atol) { Issue.record("\(c.name): output \(i): \(m)") }
        }
        let (device, order) = roundRobinPlan(g, devices: 2)
        let plan = ExecutionPlan(graph: g, deviceCount: 2, device: device, order: order)
        let runtime = try Runtime(plan: plan, seed: 0, threads: 2, weights: model.weights)
        let step = try runtime.run(inputs)
        #expect(step.outputs == outputs, "\(c.name): the runtime differs from the interpreter")
    }
}
