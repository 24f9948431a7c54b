import ArgumentParser
import Foundation
import MoegcDriver
import MoegcKernels
import MoegcSupport

// OpenBLAS picks its kernel when it loads; on CPUs it does not recognise it falls back to a slow
// generic one. Re-execute with the best core for this CPU unless the user chose one (no-op when
// the library already runs its fastest core).
let outcome = BLAS.reexecWithFastCoreIfNeeded(arguments: CommandLine.arguments)
if let error = outcome.error {
    Moegc.fail(error)
}
if let warning = outcome.warning { Moegc.warn(warning) }
// MOEGC_MAX_ALLOCATION / MOEGC_MAX_MEMORY must be sizes (ResourceLimits): a typo is an error, not
// a silently ignored limit.
if let problem = ResourceLimits.environmentProblem { Moegc.fail("error: \(problem)") }
BLAS.setSingleThreaded()
// Tensors of megabytes come and go every op: keep freed memory in the heap instead of returning
// it to the system (and page-faulting it back) each time.
Allocator.reuseLargeBuffers()
// Bad flags are errors like any other bad input: exit status 1 (ArgumentParser's usage errors
// would exit 64), the message naming the flag and its valid range, then the usage.
do {
    var command = try Moegc.parseAsRoot()
    try command.run()
} catch {
    let code = Moegc.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((Moegc.fullMessage(for: error) + "\n").utf8))
        exit(1)
    }
    Moegc.exit(withError: error)
}
