// Matrix multiplication against a weight matrix packed once: the small-row path for MoE experts.
//
// An expert sees k·tokens/experts rows a step, often 16–64. At those sizes cblas_sgemm spends
// about as long repacking the [k, n] weight as multiplying, on every call. `PackedMatrix` packs
// the weight once into the panel layout of the CMoegcGemm kernels; `Kernels.matmul(m:a:packed:…)`
// then multiplies without copying it again. Every pointer into C code stays in this file.

import CBLAS
import CMoegcGemm

/// Which implementation multiplies against a `PackedMatrix`.
public enum PackedMatmulKernel: String, Sendable, Hashable, CaseIterable {
    /// CMoegcGemm's AVX-512 micro-kernels (12 × 32 register tiles).
    case avx512
    /// CMoegcGemm's AVX2+FMA micro-kernels (6 × 16 register tiles).
    case avx2
    /// CMoegcGemm's plain-C kernels: correct on any CPU, several times slower than BLAS.
    case portable
    /// No packing: the matrix is kept row-major and multiplied with `cblas_sgemm`.
    case blas

    /// The fastest kernel this machine runs: AVX-512, else AVX2, else BLAS (which beats the
    /// portable C kernels wherever neither SIMD variant applies, e.g. on arm64).
    public static let best: PackedMatmulKernel =
        avx512.isSupported ? .avx512 : avx2.isSupported ? .avx2 : .blas

    /// Whether this machine can run the kernel (the CPU has the instructions and the OS saves
    /// their registers).
    public var isSupported: Bool {
        guard let isa else { return true }
        return moegc_gemm_isa_supported(isa) != 0
    }

    /// The CMoegcGemm variant, or nil for `.blas`.
    fileprivate var isa: moegc_gemm_isa? {
        switch self {
        case .avx512: MOEGC_GEMM_AVX512
        case .avx2: MOEGC_GEMM_AVX2
        case .portable: MOEGC_GEMM_PORTABLE
        case .blas: nil
        }
    }
}

/// A [rows, columns] matrix (the right-hand side B of C = A·B, typically an expert's weight)
/// stored in the layout its kernel reads, made once and multiplied against many times.
///
/// A value type over an immutable buffer: the floats are written once, in `init`, and never
/// again, so copies may share them and any number of threads may multiply against one matrix
/// at once. That is why it is not `~Copyable`: a weight table shared by the runtime's workers
/// must live in arrays and dictionaries and be captured by their closures, which noncopyable
/// values cannot, and with nothing ever mutated there is no owner to single out. The buffer is
/// freed when the last copy goes.
public struct PackedMatrix: Sendable {
    /// Rows of B: the inner dimension k of C = A·B.
    public let rows: Int
    /// Columns of B: the columns n of C.
    public let columns: Int
    /// The kernel the layout was made for; `Kernels.matmul(m:a:packed:…)` always uses it.
    public let kernel: PackedMatmulKernel
    private let storage: Storage

    /// Packs B[rows, columns], row-major with `ld` ≥ columns floats between row starts (default:
    /// columns), for `kernel` (default: the fastest here). B is copied; it may be freed afterwards.
    /// Precondition: `kernel.isSupported`.
    public init(rows: Int, columns: Int, from b: UnsafePointer<Float>, ld: Int? = nil,
                kernel: PackedMatmulKernel = .best) {
        precondition(rows >= 0 && columns >= 0, "PackedMatrix: negative size")
        let ld = ld ?? columns
        precondition(ld >= columns, "PackedMatrix: leading dimension smaller than the row width")
        precondition(kernel.isSupported, "PackedMatrix: kernel \(kernel) is not supported on this machine")
        self.rows = rows
        self.columns = columns
        self.kernel = kernel
        if kernel.isa != nil {
            storage = Storage(count: moegc_gemm_packed_count(rows, columns))
            if storage.count > 0 { moegc_gemm_pack_b(rows, columns, b, ld, storage.floats) }
        } else {
            storage = Storage(count: rows * columns)
            for r in 0..<rows { (storage.floats + r * columns).update(from: b + r * ld, count: columns) }
        }
    }

    /// Packs B[rows, columns] from the array `b`, which holds B row-major (`stored: .none`) or
    /// its transpose Bᵀ[columns, rows] row-major (`.transposed`: how a `transpose_b` matmul keeps
    /// its weight; it is transposed into a temporary array first).
    public init(_ b: [Float], rows: Int, columns: Int, stored: Transpose = .none,
                kernel: PackedMatmulKernel = .best) {
        precondition(rows >= 0 && columns >= 0 && b.count == rows * columns,
                     "PackedMatrix: the array is not [rows, columns]")
        let rowMajor = stored == .none || b.isEmpty ? b : Kernels.transpose(b, rows: columns, cols: rows)
        self = rowMajor.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress {
                return PackedMatrix(rows: rows, columns: columns, from: base, kernel: kernel)
            }
            // An empty array may have no storage; nothing is read then, any address will do.
            var none: Float = 0
            return withUnsafePointer(to: &none) { PackedMatrix(rows: rows, columns: columns, from: $0, kernel: kernel) }
        }
    }

    /// Bytes the packed buffer occupies (columns padded to a multiple of 16 for the C kernels).
    public var byteCount: Int { storage.count * MemoryLayout<Float>.stride }

    /// The owner of the 64-byte-aligned float buffer; written only by `PackedMatrix.init`.
    private final class Storage: @unchecked Sendable {
        let floats: UnsafeMutablePointer<Float>
        let count: Int

        init(count: Int) {
            self.count = count
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                       alignment: 64)
            floats = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        }

        deinit { UnsafeMutableRawPointer(floats).deallocate() }
    }

    /// Calls `body` with the buffer's start (read-only) for the duration of the call.
    fileprivate func withFloats<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        withExtendedLifetime(storage) { body(storage.floats) }
    }
}

extension Kernels {
    /// Row-major C[m, n] = A[m, k] · B, or C += A·B when `accumulate`, then max(0, ·) on every
    /// element when `relu`; B is `packed` ([k, n]).
    ///
    /// - A has `lda` ≥ k floats between row starts, C has `ldc` ≥ n (defaults: k and n); columns
    ///   of C beyond n are not touched. Without `accumulate`, C is only written (NaN in C does
    ///   not propagate).
    /// - m, n or k may be 0: with k = 0, C becomes 0 (or stays, when accumulating), then ReLU.
    /// - C must not overlap A. Runs on the calling thread; the CMoegcGemm kernels use 96 KiB of
    ///   stack, the `.blas` kernel runs on the thread's OpenBLAS settings.
    public static func matmul(m: Int, a: UnsafePointer<Float>, lda: Int? = nil, packed: PackedMatrix,
                              accumulate: Bool = false, relu: Bool = false,
                              c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        let n = packed.columns, k = packed.rows
        precondition(m >= 0, "matmul: negative size")
        let lda = lda ?? max(k, 1), ldc = ldc ?? max(n, 1)
        precondition(lda >= max(k, 1) && ldc >= max(n, 1), "matmul: leading dimension smaller than the row width")
        guard m > 0 && n > 0 else { return }
        if k > 0 { checkDisjoint(a, (m - 1) * lda + k, c, (m - 1) * ldc + n) }
        packed.withFloats { b in
            guard let isa = packed.kernel.isa else {
                matmul(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: max(n, 1),
                       beta: accumulate ? 1 : 0, c: c, ldc: ldc)
                if relu { clampRows(c, rows: m, cols: n, ld: ldc) }
                return
            }
            let flags = (accumulate ? MOEGC_GEMM_ACCUMULATE : 0) | (relu ? MOEGC_GEMM_RELU : 0)
            let status = moegc_sgemm_packed(isa, m, n, k, a, lda, b, c, ldc, flags)
            precondition(status == 0, "matmul: CMoegcGemm rejected the call")
        }
    }

    /// A·B as a new [m, n] array (ReLU applied when `relu`), `a` holding A[m, k] densely.
    public static func matmul(_ a: [Float], m: Int, packed: PackedMatrix, relu: Bool = false) -> [Float] {
        precondition(a.count == m * packed.rows, "matmul: a is not [m, k]")
        var c = [Float](repeating: 0, count: m * packed.columns)
        guard m > 0 && packed.columns > 0 else { return c }
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                let base = ap.baseAddress ?? UnsafePointer(cp.baseAddress!)   // k = 0: A is never read
                matmul(m: m, a: base, packed: packed, relu: relu, c: cp.baseAddress!)
            }
        }
        return c
    }

    /// C[r, 0..<cols] = relu(C[r, 0..<cols]) for every row (NaN becomes 0, as in the C kernels).
    private static func clampRows(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int) {
        for r in 0..<rows {
            let row = c + r * ld
            for j in 0..<cols { row[j] = row[j] > 0 ? row[j] : 0 }
        }
    }
}
