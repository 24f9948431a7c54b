// libFuzzer target for the plan reader: every input must decode to a plan or a `PlanError`, never
// crash, hang or leak. Build and run it with `make fuzz-plan SECONDS=60` (a release build with
// `-sanitize=fuzzer,address` and the MOEGC_FUZZ condition, in its own build folder); crash inputs
// are written to fuzz/crashes/. Without the fuzzer flags this target builds a stub that says so.
import MoegcPlan

#if MOEGC_FUZZ
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry for programs that keep their own `main` (SwiftPM names an executable's entry).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// One fuzz input: decode it as a whole file and as a bare payload (so mutations of the payloads
/// in the corpus reach the payload and graph decoders past the checksum); an error is fine, a
/// crash is the bug the fuzzer looks for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlanReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? PlanFile.decode(bytes)
    _ = try? PlanFile.decode(payload: bytes)
    return 0
}

@main
enum FuzzPlan {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzPlanReader(data, size) })
    }
}
#else
@main
enum FuzzPlanStub {
    static func main() {
        print("moegc-fuzz-plan is a libFuzzer target: run `make fuzz-plan SECONDS=60`")
    }
}
#endif
