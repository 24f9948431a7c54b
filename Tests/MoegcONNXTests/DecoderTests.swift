import Testing
import MoegcONNX

struct DecoderTests {
    @Test func notAModel() {
        #expect(throws: ONNXError.self) { try ONNXDecoder.decode(Array("graph g () -> () {}".utf8), path: "x.onnx") }
    }
}
