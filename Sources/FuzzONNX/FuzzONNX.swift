// libFuzzer target for the ONNX reader: every input must decode and import to a model or an
// `ONNXError`, never crash, hang or leak. Build and run it with `make fuzz-onnx SECONDS=60` (a
// release build with `-sanitize=fuzzer,address` and the MOEGC_FUZZ condition, in its own build
// folder); the corpus is seeded with the ONNX fixtures and conformance models, crash inputs are
// written to fuzz/onnx-crashes/. Without the fuzzer flags this target builds a stub that says so.
import MoegcONNX

#if MOEGC_FUZZ
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One fuzz input: decoded as a model and imported (symbolic dimensions given a size), and decoded
/// as a bare tensor file; an error is fine, a crash is the bug the fuzzer looks for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let model = try? ONNXDecoder.decode(bytes, path: "fuzz.onnx") {
        // External data is read relative to a folder that does not exist: an error, not a file read.
        _ = try? ONNXImporter.importModel(model, directory: "/nonexistent-moegc-fuzz", path: "fuzz.onnx",
                                          dims: ["batch": 2, "seq": 4, "sequence": 4, "batch_size": 2])
    }
    _ = try? ONNXDecoder.decodeTensor(bytes, path: "fuzz.pb")
    return 0
}

@main
enum FuzzONNX {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzONNXReader(data, size) })
    }
}
#else
@main
enum FuzzONNXStub {
    static func main() {
        print("moegc-fuzz-onnx is a libFuzzer target: run `make fuzz-onnx SECONDS=60`")
    }
}
#endif
