import MoegcIR
import MoegcONNX
import MoegcSupport
import Testing

/// Malformed models (BadModels/generate.py) are precise errors, each naming the file and what is
/// wrong, never a crash; the importer reports every unknown op of a model in one error.
struct ErrorTests {
    static let folder = repoRoot + "/Tests/MoegcONNXTests/BadModels"

    static func message(_ file: String, dims: [String: Int] = [:]) -> String {
        do {
            _ = try ONNXImporter.load(path: folder + "/" + file, dims: dims)
            return "no error"
        } catch {
            return String(error.message.dropFirst(folder.count + 1))
        }
    }

    @Test func eachBadModelIsAPreciseError() {
        #expect(ErrorTests.message("good.onnx") == "no error")
        #expect(ErrorTests.message("truncated.onnx") == "truncated.onnx: error: not a valid ONNX model: the protobuf is truncated or corrupted at byte 3 of 35")
        #expect(ErrorTests.message("opset30.onnx") == "opset30.onnx: error: opset 30 of the default domain is not supported (moegc imports opsets 13 to 28)")
        #expect(ErrorTests.message("opset12.onnx") == "opset12.onnx: error: opset 12 of the default domain is not supported (moegc imports opsets 13 to 28)")
        #expect(ErrorTests.message("cycle.onnx") == "cycle.onnx: error: the graph has a cycle through nodes '#0', '#1'")
        #expect(ErrorTests.message("dangling.onnx") == "dangling.onnx: error: node 'add0' (Add) reads 'nowhere', which nothing defines")
        #expect(ErrorTests.message("initializer_size.onnx") == "initializer_size.onnx: error: initializer 'w' holds 24 bytes, but its shape [4, 3] of FLOAT needs 48 bytes")
        #expect(ErrorTests.message("unknown_ops.onnx") == "unknown_ops.onnx: error: 2 nodes use an op moegc does not import:\n  node 'm0': Mod (domain ai.onnx)\n  node 'f0': Frobnicate (domain org.example)")
        #expect(ErrorTests.message("symbolic.onnx") == "symbolic.onnx: error: graph input 'x' has dimension 0 named 'batch', which has no size: give it with --dim batch=N")
        #expect(ErrorTests.message("symbolic.onnx", dims: ["batch": 4]) == "no error")
        #expect(ErrorTests.message("external_outside.onnx") == "external_outside.onnx: error: initializer 'w' keeps its data in '../../secret.bin', outside the model's folder")
        #expect(ErrorTests.message("deep.onnx") == "deep.onnx: error: messages nest deeper than 64 levels (a corrupted or hostile file)")
    }

    @Test func namedDimensionsBecomeGraphSymbols() throws {
        let g = try ONNXImporter.load(path: ErrorTests.folder + "/symbolic.onnx", dims: ["batch": 4]).graph
        #expect(g.symbol("batch") == 4)
        #expect(g.type(of: g.inputs[0]).description == "f32[batch, 3]")
    }

    /// What libFuzzer found (`make fuzz`; the inputs are seeds in Tests/Fuzz/seeds/onnx): a
    /// ConstantOfShape of [2³¹−1]³ trapped on the element count's overflow, a Concat of inputs of
    /// different ranks indexed past a shape; both are now errors naming the node.
    @Test(arguments: [
        ("constant-of-shape-overflow.onnx",
         "node '#0' (ConstantOfShape): the filled tensor of shape [2147483647, 2147483647, 2147483647] has more elements than fit in 64 bits"),
        ("concat-ranks.onnx", "node '#0' (Concat): its inputs differ in rank (f32[2, 2] and f32[59])"),
    ])
    func fuzzFoundModelsAreErrors(_ file: String, _ message: String) throws {
        let bytes = try FileIO.read(repoRoot + "/Tests/Fuzz/seeds/onnx/" + file)
        #expect {
            try ONNXImporter.importModel(try ONNXDecoder.decode(bytes, path: file), directory: ".", path: file)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// Every prefix of a valid model and every single-byte corruption of it is a model or an error.
    @Test func truncationsAndCorruptionsNeverCrash() throws {
        let bytes = try FileIO.read(repoRoot + "/Tests/MoegcONNXTests/Fixtures/ms_moe/model.onnx")
        var errors = 0
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 100)) {
            do { _ = try ONNXImporter.importModel(try ONNXDecoder.decode(Array(bytes[..<cut]), path: "m.onnx"), directory: ".", path: "m.onnx") } catch { errors += 1 }
        }
        for i in stride(from: 0, to: min(bytes.count, 3000), by: 23) {
            var b = bytes
            b[i] ^= 0xA5
            do { _ = try ONNXImporter.importModel(try ONNXDecoder.decode(b, path: "m.onnx"), directory: ".", path: "m.onnx") } catch { errors += 1 }
        }
        #expect(errors > 0)
    }
}
