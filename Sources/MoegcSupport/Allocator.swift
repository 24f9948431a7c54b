#if canImport(Glibc)
import Glibc
#endif

/// Process-wide memory settings for processes that allocate many large tensors (training loops,
/// the interpreter and the runtime).
///
/// Every op allocates its output and every backward rule its gradients; at policy sizes these
/// are arrays of megabytes. glibc serves such arrays with fresh `mmap`s and returns them on free,
/// so each pass pays page faults and page zeroing for all its tensors (a quarter of a GAT
/// forward+backward on 10k nodes). Keeping freed memory in the heap removes that cost.
public enum Allocator {
    /// Asks the C allocator to serve large arrays from the heap and not to return freed memory to
    /// the system eagerly (glibc: `M_MMAP_THRESHOLD` 256 MiB, `M_TRIM_THRESHOLD` 2 GiB: placing the 137B model peaks at 2 GiB, and a 1 GiB threshold handed its freed tensors back between layers). This
    /// changes the whole process, so it is opt-in: call it once at the start of a training or
    /// placement run. Returns whether the settings were applied (false on non-glibc systems).
    @discardableResult
    public static func reuseLargeBuffers() -> Bool {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not export: look it up.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        let mapped = mallopt(mmapThreshold, 256 << 20)
        let trimmed = mallopt(trimThreshold, Int32.max)   // keep up to 2 GiB of freed heap
        return mapped == 1 && trimmed == 1
        #else
        return false
        #endif
    }
}
