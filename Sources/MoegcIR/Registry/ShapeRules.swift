/// Shared pieces of shape and cost rules. Nothing here knows an op by name.
enum Rules {
    static func rank(_ t: TensorType, atLeast n: Int, _ what: String) throws(ShapeError) {
        guard t.rank >= n else { throw ShapeError("\(what) must have rank ≥ \(n), got \(t)") }
    }

    static func rank(_ t: TensorType, exactly n: Int, _ what: String) throws(ShapeError) {
        guard t.rank == n else { throw ShapeError("\(what) must have rank \(n), got \(t)") }
    }

    static func float(_ t: TensorType, _ what: String) throws(ShapeError) {
        guard t.dtype.isFloatingPoint else { throw ShapeError("\(what) must be floating point, got \(t)") }
    }

    static func integer(_ t: TensorType, _ what: String) throws(ShapeError) {
        guard t.dtype.isInteger else { throw ShapeError("\(what) must be i32 or i64, got \(t)") }
    }

    static func lastDim(_ t: TensorType, is n: Int, _ what: String) throws(ShapeError) {
        guard let last = t.dims.last, last.size == n, !last.isDynamic else {
            throw ShapeError("\(what) must have last dimension \(n), got \(t)")
        }
    }

    /// `t` with its last dimension replaced.
    static func withLast(_ t: TensorType, _ d: Int, dtype: DType? = nil) -> TensorType {
        var r = t
        r.dims[r.dims.count - 1] = Dim(d)
        if let dtype { r.dtype = dtype }
        return r
    }

    /// NumPy-style broadcast of trailing dimensions (sizes equal, or one of them 1).
    static func broadcast(_ a: TensorType, _ b: TensorType) throws(ShapeError) -> TensorType {
        guard a.dtype == b.dtype else { throw ShapeError("operand types differ: \(a) and \(b)") }
        let n = max(a.rank, b.rank)
        var dims: [Dim] = []
        dims.reserveCapacity(n)
        for i in 0..<n {
            let da = i - (n - a.rank) >= 0 ? a.dims[i - (n - a.rank)] : Dim(1)
            let db = i - (n - b.rank) >= 0 ? b.dims[i - (n - b.rank)] : Dim(1)
            if da.compatible(with: db) { dims.append(da.symbol != nil ? da : db) }
            else if da.size == 1 && !da.isDynamic { dims.append(db) }
            else if db.size == 1 && !db.isDynamic { dims.append(da) }
            else { throw ShapeError("cannot broadcast \(a) with \(b)") }
        }
        return TensorType(a.dtype, dims)
    }

    /// Rows of a [..., d] tensor: the product of all dimensions but the last (expected sizes).
    static func rows(_ t: TensorType) -> Double {
        t.dims.dropLast().reduce(1.0) { $0 * $1.expectedSize }
    }

    /// Normalises a possibly negative axis; throws when out of range.
    static func axis(_ a: Int, rank: Int, _ what: String) throws(ShapeError) -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < rank else { throw ShapeError("\(what) \(a) is out of range for rank \(rank)") }
        return r
    }

    static func bytes(_ ts: [TensorType]) -> Double { ts.reduce(0) { $0 + $1.expectedBytes } }
}
