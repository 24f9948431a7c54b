// moegc-fuzz: libFuzzer targets for every reader of moegc (README "Fuzzing"):
//
//     moegc-fuzz graph   [libFuzzer flags] CORPUS…   .graph text: parse, verify, shapes, statistics, print/re-parse, lowering
//     moegc-fuzz cluster [libFuzzer flags] CORPUS…   cluster files: parse, validate, print/re-parse
//     moegc-fuzz policy  [libFuzzer flags] CORPUS…   policy checkpoints, as files and as payloads in a valid frame and CRC
//     moegc-fuzz json    [libFuzzer flags] CORPUS…   JSON tensors (`run --inputs`, `compile --weights`)
//     moegc-fuzz plan    [libFuzzer flags] CORPUS…   compiled plans, as files and as payloads in a valid frame and CRC
//     moegc-fuzz onnx    [libFuzzer flags] CORPUS…   ONNX models (decode and import) and tensor files
//     moegc-fuzz placement [libFuzzer flags] CORPUS… placement files: parse, pin, place as given, write back
//     moegc-fuzz seeds DIR                         writes the binary seeds (a small policy) into DIR/<target>/
//
// Every input must be read to a value or a clear error — never a crash, a hang or an allocation
// beyond the limits (the targets run under ResourceLimits of 64 MiB a buffer and 256 MiB a run,
// so an input asking for more is an error, not an out-of-memory kill). Build and run them with
// `make fuzz SECONDS=N` (release, `-sanitize=fuzzer,address`, the MOEGC_FUZZ condition, its own
// build folder); without the fuzzer flags this builds a stub that makes seeds and says how to fuzz.
#if canImport(Glibc)
import Glibc
#endif
import MoegcSupport

let targets: [String: (UnsafeBufferPointer<UInt8>) -> Void] = [
    "graph": FuzzTargets.graph, "cluster": FuzzTargets.cluster, "policy": FuzzTargets.policy,
    "json": FuzzTargets.json, "plan": FuzzTargets.plan, "onnx": FuzzTargets.onnx, "placement": FuzzTargets.placement,
]

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: moegc-fuzz \(targets.keys.sorted().joined(separator: "|")) [libFuzzer flags] CORPUS… | moegc-fuzz seeds DIR")
    exit(2)
}
if arguments[1] == "seeds" {
    guard arguments.count == 3 else { print("usage: moegc-fuzz seeds DIR"); exit(2) }
    exit(FuzzSeeds.write(to: arguments[2]) ? 0 : 1)
}
guard let target = targets[arguments[1]] else {
    print("moegc-fuzz: unknown target '\(arguments[1])' (targets: \(targets.keys.sorted().joined(separator: ", ")))")
    exit(2)
}
ResourceLimits.current = ResourceLimits(allocationBytes: 64 << 20, runBytes: 256 << 20,
                                        allocationSource: "the fuzzer's limit", runSource: "the fuzzer's limit")
FuzzTargets.selected = target

#if MOEGC_FUZZ
/// libFuzzer's entry for programs that keep their own `main` (SwiftPM names an executable's entry).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

// libFuzzer sees the arguments after the target's name.
var argv: [UnsafeMutablePointer<CChar>?] = [strdup(arguments[0])] + arguments.dropFirst(2).map { strdup($0) } + [nil]
var argc = CInt(argv.count - 1)
let status = argv.withUnsafeMutableBufferPointer { buffer in
    var base = buffer.baseAddress!
    return LLVMFuzzerRunDriver(&argc, &base) { data, size in
        FuzzTargets.selected(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
    }
}
exit(status)
#else
print("moegc-fuzz \(arguments[1]) is a libFuzzer target: run `make fuzz SECONDS=60` (this build has no fuzzer)")
exit(2)
#endif
