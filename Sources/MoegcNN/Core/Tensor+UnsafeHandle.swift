// The only raw memory MoegcNN touches: a tensor's scalars, through `Tensor.UnsafeHandle`, which
// lives only inside the closure that opens it (the manner of swift-collections'
// `Heap+UnsafeHandle.swift`, `_update { handle in … }`).
//
//     Tensor(shape: s) { out in … out[i] = … }          fill a new tensor (every element)
//     x.read { x in … x[i] … }                          read
//     y.update { y in … y[i] += … }                     write (a shared buffer is copied first)
//     Tensor.read(a, b, c) { a, b, c in … }             several tensors in one closure
//     Kernels.matmul(…, a: a.pointer(at: offset), …)    a kernel of MoegcKernels on a handle
//
// A handle checks its offsets with `assert` (debug builds) and, in debug builds, that a handle
// opened for reading is never written. Pointers from `pointer(at:)` go straight into a kernel
// call and are never stored. The ops' row bands (`forEachRowBand`, `parallelFor`) share one
// handle across threads, each thread writing only its own rows.

extension Tensor {
    /// Access to a tensor's scalars for the length of a closure (see the file comment).
    struct UnsafeHandle {
        private let buffer: UnsafeMutableBufferPointer<Float>
        #if DEBUG
        private let isMutable: Bool
        #endif

        @inline(__always)
        fileprivate init(_ buffer: UnsafeMutableBufferPointer<Float>, mutable: Bool) {
            self.buffer = buffer
            #if DEBUG
            isMutable = mutable
            #endif
        }

        /// The number of scalars.
        @inline(__always) var count: Int { buffer.count }

        /// The scalar at `offset` (row-major).
        @inline(__always)
        subscript(_ offset: Int) -> Float {
            get {
                assert(offset >= 0 && offset < buffer.count, "Tensor handle: offset \(offset) outside 0..<\(buffer.count)")
                return buffer[offset]
            }
            nonmutating set {
                assertMutable()
                assert(offset >= 0 && offset < buffer.count, "Tensor handle: offset \(offset) outside 0..<\(buffer.count)")
                buffer[offset] = newValue
            }
        }

        /// The address of the scalar at `offset` (`count` allowed: the end), for a kernel's input.
        /// An empty tensor gives an address no kernel reads (its sizes are 0).
        @inline(__always)
        func pointer(at offset: Int = 0) -> UnsafePointer<Float> {
            UnsafePointer(address(offset))
        }

        /// The address of the scalar at `offset`, for a kernel's output.
        @inline(__always)
        func mutablePointer(at offset: Int = 0) -> UnsafeMutablePointer<Float> {
            assertMutable()
            return address(offset)
        }

        /// The scalars `range` as a handle of their own (offsets from `range.lowerBound`).
        func slice(_ range: Range<Int>) -> UnsafeHandle {
            assert(range.lowerBound >= 0 && range.upperBound <= buffer.count, "Tensor handle: slice \(range) outside 0..<\(buffer.count)")
            #if DEBUG
            return UnsafeHandle(UnsafeMutableBufferPointer(rebasing: buffer[range]), mutable: isMutable)
            #else
            return UnsafeHandle(UnsafeMutableBufferPointer(rebasing: buffer[range]), mutable: true)
            #endif
        }

        /// Sets the scalars `range` (all by default) to `value`.
        func fill(_ value: Float, _ range: Range<Int>? = nil) {
            assertMutable()
            let range = range ?? 0..<buffer.count
            assert(range.lowerBound >= 0 && range.upperBound <= buffer.count, "Tensor handle: fill \(range) outside 0..<\(buffer.count)")
            guard !range.isEmpty else { return }
            (buffer.baseAddress! + range.lowerBound).update(repeating: value, count: range.count)
        }

        /// `self[i] += other[i]` for every i (same count).
        func add(_ other: UnsafeHandle) {
            assertMutable()
            assert(other.count == buffer.count, "Tensor handle: adding \(other.count) scalars to \(buffer.count)")
            for i in 0..<buffer.count { buffer[i] += other.buffer[i] }
        }

        @inline(__always)
        private func address(_ offset: Int) -> UnsafeMutablePointer<Float> {
            assert(offset >= 0 && offset <= buffer.count, "Tensor handle: offset \(offset) outside 0...\(buffer.count)")
            guard let base = buffer.baseAddress else { return Self.nowhere }
            return base + offset
        }

        @inline(__always)
        private func assertMutable() {
            #if DEBUG
            assert(isMutable, "Tensor handle: a tensor opened for reading was written")
            #endif
        }

        /// A well-aligned, never dereferenced address standing for an empty buffer's.
        private static var nowhere: UnsafeMutablePointer<Float> {
            UnsafeMutablePointer(bitPattern: MemoryLayout<Float>.alignment)!
        }
    }

    /// A tensor of `shape` whose scalars `body` writes, every one of them.
    init(shape: [Int], initializingWith body: (UnsafeHandle) throws -> Void) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        let n = Tensor.elementCount(of: shape)
        self.init(shape: shape, scalars: try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            try body(UnsafeHandle(buffer, mutable: true))
            initialized = n
        })
    }

    /// Calls `body` with read access to the scalars.
    @inline(__always)
    func read<R>(_ body: (UnsafeHandle) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body(UnsafeHandle(UnsafeMutableBufferPointer(mutating: $0), mutable: false)) }
    }

    /// Calls `body` with write access to the scalars (copied first if the storage is shared).
    @inline(__always)
    mutating func update<R>(_ body: (UnsafeHandle) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { try body(UnsafeHandle($0, mutable: true)) }
    }

    /// Read access to two tensors in one closure.
    @inline(__always)
    static func read<R>(_ a: Tensor, _ b: Tensor, _ body: (UnsafeHandle, UnsafeHandle) throws -> R) rethrows -> R {
        try a.read { a in try b.read { b in try body(a, b) } }
    }

    /// Read access to three tensors in one closure.
    @inline(__always)
    static func read<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                        _ body: (UnsafeHandle, UnsafeHandle, UnsafeHandle) throws -> R) rethrows -> R {
        try a.read { a in try b.read { b in try c.read { c in try body(a, b, c) } } }
    }

    /// Read access to four tensors in one closure.
    @inline(__always)
    static func read<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ d: Tensor,
                        _ body: (UnsafeHandle, UnsafeHandle, UnsafeHandle, UnsafeHandle) throws -> R) rethrows -> R {
        try a.read { a in try b.read { b in try c.read { c in try d.read { d in try body(a, b, c, d) } } } }
    }

    /// Write access to two tensors in one closure.
    @inline(__always)
    static func update<R>(_ a: inout Tensor, _ b: inout Tensor,
                          _ body: (UnsafeHandle, UnsafeHandle) throws -> R) rethrows -> R {
        try a.update { a in try b.update { b in try body(a, b) } }
    }
}
