import MoegcIR
import MoegcONNX
import MoegcPasses
import MoegcPlacement
import MoegcPlan
import MoegcPolicy
import MoegcRuntime
import MoegcSim
import MoegcSupport
#if canImport(Glibc)
import Glibc
#endif

/// One function per reader: each takes the fuzzer's bytes and must return (an error is fine). A
/// property that must hold of what was read (a printed graph re-parses) fails with `abort()`, which
/// libFuzzer reports as a crash like any other.
enum FuzzTargets {
    /// The target this process fuzzes (set once, before libFuzzer starts; read by its callback).
    nonisolated(unsafe) static var selected: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }

    static func violated(_ what: String) -> Never {
        let message = Array("moegc-fuzz: property violated: \(what)\n".utf8)
        _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }

    /// The ONNX reader: decoded as a model and imported (symbolic dimensions given a size), and
    /// decoded as a bare tensor file. External data is looked up in a folder that does not exist,
    /// so a model naming some is an error, never a read of a file the fuzzer did not give.
    static func onnx(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        if let model = try? ONNXDecoder.decode(bytes, path: "fuzz.onnx") {
            _ = try? ONNXImporter.importModel(model, directory: "/nonexistent-moegc-fuzz", path: "fuzz.onnx",
                                              dims: ["batch": 2, "seq": 4, "sequence": 4, "batch_size": 2])
        }
        _ = try? ONNXDecoder.decodeTensor(bytes, path: "fuzz.pb")
    }

    /// The `.graph` front end and everything `moegc compile` does with what it reads before
    /// placing: parse (names resolved, structure verified), shape inference, the summary
    /// statistics, canonical printing (which must re-parse to a graph that prints the same), and
    /// lowering under the limits (the fuzzer's 256 MiB allow ~250k nodes; training mode for inputs
    /// of even length, evaluation for odd), whose result must verify, then fusion.
    static func graph(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        guard let graph = try? Frontend.load(bytes: bytes, path: "fuzz.graph") else { return }
        _ = ModelStatistics(graph)
        let text = GraphText.print(graph)
        guard let again = try? Frontend.load(bytes: Array(text.utf8), path: "printed.graph") else {
            violated("a graph that loads printed text that does not load:\n\(text)")
        }
        guard GraphText.print(again) == text else { violated("printing is not stable:\n\(text)") }
        // One mode per input (its length's parity), so both are fuzzed at half the cost.
        var lowered = graph
        if (try? Lowering.run(&lowered, PassOptions(file: "fuzz.graph", training: bytes.count % 2 == 0))) != nil {
            if !Verifier.verify(lowered).isEmpty { violated("lowering made a graph that fails verification:\n\(text)") }
            _ = try? fusion.run(&lowered, PassOptions())
        }
    }

    /// Cluster files: parse and validate; a cluster that parses prints to text that parses to it.
    static func cluster(_ data: UnsafeBufferPointer<UInt8>) {
        guard let text = String(validating: data, as: UTF8.self),
              let cluster = try? Cluster.parse(text, path: "fuzz.cluster") else { return }
        let printed = cluster.printed()
        guard let again = try? Cluster.parse(printed, path: "printed.cluster") else {
            violated("a cluster that parses prints text that does not parse:\n\(printed)")
        }
        guard again == cluster else { violated("printing and parsing changed the cluster:\n\(printed)") }
        _ = try? Simulator(graph: RandomGraphs.layered(tasks: 6, width: 2, seed: 1), cluster: cluster)
    }

    /// Policy checkpoints: a file (magic first) is decoded as it is and, when its checksum fails
    /// (as almost every mutation makes it), once more with its payload in a valid frame and CRC;
    /// any other input is taken as a payload and framed, so mutations reach the payload decoder
    /// and every check after it. One payload decode per input, at most two.
    static func policy(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        if bytes.starts(with: Array("MOEGCPOL".utf8)) {
            do { _ = try CheckpointFile.decode(bytes, path: "fuzz.policy") } catch {
                if error.code == .corrupted, let payload = CheckpointFile.payload(of: bytes) {
                    _ = try? CheckpointFile.decode(CheckpointFile.frame(payload: payload), path: "fuzz.policy")
                }
            }
        } else {
            _ = try? CheckpointFile.decode(CheckpointFile.frame(payload: bytes), path: "payload.policy")
        }
    }

    /// The graph JSON inputs are read for: ids, floats, a scalar, a data-dependent dimension.
    static let jsonGraph: Graph = {
        let text = """
        graph g [b = 2] (%ids: i32[b, 3], %x: f32[b, 4], %s: f32[], %e: f32[?2<=4]) -> (%y) {
          %y = relu(%x)
        }
        """
        return try! Frontend.load(bytes: Array(text.utf8), path: "json.graph")
    }()

    /// JSON tensors: as the inputs of `run --inputs` (and their index check) and as the weights
    /// of `compile --weights`.
    static func json(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        if let inputs = try? TensorJSON.readInputs(bytes, path: "fuzz.json", for: jsonGraph) {
            _ = try? InputCheck.validate(inputs, for: jsonGraph)
            _ = TensorJSON.write(zip(jsonGraph.inputs, inputs).map { (jsonGraph[$0.0].name, $0.1) })
        }
        _ = try? TensorJSON.readNamed(bytes, path: "fuzz.json", types: ["w": TensorType(.f32, shape: [2, 3]), "v": TensorType(.f32, shape: [5])])
    }

    /// Compiled plans: a file (magic first) as it is and, when its checksum fails, its payload
    /// past the checksum; any other input as a bare payload. What decodes is sized for the runtime
    /// (RunMemory) and printed as the placed graph.
    static func plan(_ data: UnsafeBufferPointer<UInt8>) {
        let bytes = Array(data)
        var decoded: CompiledPlan? = nil
        if bytes.starts(with: PlanFile.magic) {
            do { decoded = try PlanFile.decode(bytes) } catch {
                if error.code == .corrupted, let payload = PlanFile.payload(of: bytes) { decoded = try? PlanFile.decode(payload: payload) }
            }
        } else {
            decoded = try? PlanFile.decode(payload: bytes)
        }
        if let plan = decoded {
            _ = try? RunMemory.checkRuntime(plan.execution)
            _ = GraphText.print(PlanFile.annotatedGraph(plan.execution))
        }
    }
}

extension FuzzTargets {
    /// The problem placement files are read against: dotted names (prefix selectors), an expert
    /// group, a `colocate` group, a kind restriction and weights, on two kinds of device.
    static let placementProblem: PlacementProblem = {
        let text = """
        graph p (%x: f32[64]) -> (%out) {
          %l.a = opaque(%x) {flops = 1e6, weights = 1e6} : f32[64]
          %l.b.c = opaque(%l.a) {flops = 2e6, colocate = "k"} : f32[64]
          %l.b.d = opaque(%l.a) {flops = 2e6, colocate = "k"} : f32[64]
          %e0 = opaque(%l.b.c) {flops = 1e6, expert = 0} : f32[64]
          %e1 = opaque(%l.b.d) {flops = 1e6, expert = 1, devices = [slow]} : f32[64]
          %out = opaque(%e0, %e1) {flops = 1e6} : f32[64]
        }
        """
        let cluster = try! Cluster.parse("""
            cluster two
            kind fast flops=4TFLOP/s membw=400GB/s memory=64MB launch=1us
            kind slow flops=1TFLOP/s membw=100GB/s memory=64MB launch=1us
            host h0
            device f count=2 kind=fast link=10GB/s latency=5us
            device s count=2 kind=slow link=10GB/s latency=5us
            """)
        return try! PlacementProblem(graph: try! Frontend.load(bytes: Array(text.utf8), path: "placement.graph"), cluster: cluster)
    }()

    /// Placement files (`--placement`), in both spellings: read, pinned against the problem above
    /// (every mistake an error), and, when every node is placed, placed as given and simulated; a
    /// placement that simulates writes back (`--emit placement`) to a file that reads to the same step.
    static func placement(_ data: UnsafeBufferPointer<UInt8>) {
        guard let text = String(validating: data, as: UTF8.self),
              let file = try? PlacementFile.parse(text, path: "fuzz.placement"),
              let pinned = try? placementProblem.pinned(by: file) else { return }
        let placer: any Placer = pinned.constraints.pinsEveryTask ? PinnedPlacer() : METFPlacer()
        guard let placed = try? pinned.place(with: placer) else { return }
        let written = PlacementFile.render(placed, placer: placer.name)
        guard let again = try? PlacementFile.parse(written, path: "written.placement"),
              let back = try? placementProblem.pinned(by: again).place(with: PinnedPlacer()) else {
            violated("a placement that simulates writes a file that does not read back:\n\(written)")
        }
        guard back.evaluation.report.makespan == placed.evaluation.report.makespan else {
            violated("a placement written back simulates to another step:\n\(written)")
        }
    }
}

#if MOEGC_FUZZ
/// libFuzzer's usual entry, for tools that look for it; `main.swift` runs the driver itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.selected(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
#endif
