// Per-row top-k selection (the KeepTopK of the MoE gate).
//
// Algorithm: one pass over the row keeps the best k seen so far in a sorted list of k
// (value, index) pairs. Each new element is compared only with the current k-th value, the
// threshold; the rare element that beats it is inserted by shifting (k ≤ 16) or through a binary
// min-heap (larger k), so the cost is ~n comparisons plus O(k) or O(log k) per accepted element.
// Blocks of 16 elements are first tested against the threshold as one SIMD comparison, so long
// rows with few candidates (the usual case once the list fills) run at vector speed.
//
//     row 3 9 1 7 7 2 8, k = 3
//     after 3 9 1:     [9@1 3@0 1@2]   threshold 1
//     7@3 beats 1:     [9@1 7@3 3@0]   threshold 3
//     7@4 beats 3:     [9@1 7@3 7@4]   (ties 7@3 and ranks behind it: lower index first)
//     2@5 ≤ 7 skipped; 8@6 beats 7@4: [9@1 8@6 7@3]

extension Kernels {
    /// For each row r of a [rows, n] block: the k largest values in descending order into
    /// values[r*k ..< r*k+k], and their column indices into indices[r*k ..< r*k+k].
    ///
    /// Ties are broken by the lower index (the earlier column ranks higher). NaN ranks below every
    /// number, −∞ included. Requires 1 ≤ k ≤ n when rows > 0. Outputs must not overlap `x`.
    public static func topK(_ x: UnsafePointer<Float>, rows: Int, n: Int, k: Int,
                            values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
        checkShape(rows, n)
        guard rows > 0 else { return }
        precondition(k >= 1 && k <= n, "topK needs 1 ≤ k ≤ n")
        precondition(n <= Int(Int32.max), "topK indices must fit Int32")
        checkDisjoint(x, rows * n, values, rows * k)
        for r in 0..<rows {
            let row = x + r * n, vs = values + r * k, ix = indices + r * k
            if k <= 16 {
                insertionTopK(row, n, k, vs, ix)
            } else {
                heapTopK(row, n, k, vs, ix)
            }
        }
    }

    /// Whether (a, ia) ranks strictly ahead of (b, ib): larger value first, NaN last, then
    /// lower index first.
    @inline(__always)
    static func ranksAhead(_ a: Float, _ ia: Int32, _ b: Float, _ ib: Int32) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN == b.isNaN ? ia < ib : b.isNaN }
        return a > b || (a == b && ia < ib)
    }

    /// Index of the first element at or after `start` that may beat `threshold`
    /// (`!(x <= threshold)`, true for NaN on either side), or `n` if none.
    @inline(__always)
    private static func nextCandidate(_ row: UnsafePointer<Float>, _ start: Int, _ n: Int,
                                      _ threshold: Float) -> Int {
        var i = start
        let raw = UnsafeRawPointer(row)
        let t = SIMD16<Float>(repeating: threshold)
        while i &+ 16 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            if any(.!(v .<= t)) { break }
            i &+= 16
        }
        while i < n && row[i] <= threshold { i &+= 1 }
        return i
    }

    /// Sorted-list selection: vs/ix hold the best so far in rank order.
    private static func insertionTopK(_ row: UnsafePointer<Float>, _ n: Int, _ k: Int,
                                      _ vs: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int32>) {
        var filled = 0
        var i = 0
        while i < n {
            if filled == k {
                i = nextCandidate(row, i, n, vs[k - 1])
                if i == n { break }
            }
            let v = row[i], idx = Int32(truncatingIfNeeded: i)
            // Find the slot: shift down entries that v ranks ahead of.
            var slot = filled
            if filled == k {
                if !ranksAhead(v, idx, vs[k - 1], ix[k - 1]) { i &+= 1; continue }
                slot = k - 1
            } else {
                filled += 1
            }
            while slot > 0 && ranksAhead(v, idx, vs[slot - 1], ix[slot - 1]) {
                vs[slot] = vs[slot - 1]
                ix[slot] = ix[slot - 1]
                slot -= 1
            }
            vs[slot] = v
            ix[slot] = idx
            i &+= 1
        }
    }

    /// Heap selection for large k: a min-heap (worst-ranked at the root) of the best k so far,
    /// stored in vs/ix, sorted into rank order at the end.
    private static func heapTopK(_ row: UnsafePointer<Float>, _ n: Int, _ k: Int,
                                 _ vs: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int32>) {
        for i in 0..<k {
            vs[i] = row[i]
            ix[i] = Int32(truncatingIfNeeded: i)
        }
        for start in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(vs, ix, k, start) }
        var i = k
        while i < n {
            i = nextCandidate(row, i, n, vs[0])
            if i == n { break }
            let v = row[i], idx = Int32(truncatingIfNeeded: i)
            if ranksAhead(v, idx, vs[0], ix[0]) {
                vs[0] = v
                ix[0] = idx
                siftDown(vs, ix, k, 0)
            }
            i &+= 1
        }
        // Heap sort: repeatedly move the worst to the end, leaving rank order front to back.
        var size = k
        while size > 1 {
            size -= 1
            swapAt(vs, ix, 0, size)
            siftDown(vs, ix, size, 0)
        }
    }

    /// Restores the heap property below `start` (parent ranks behind both children).
    private static func siftDown(_ vs: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int32>,
                                 _ size: Int, _ start: Int) {
        var parent = start
        while true {
            var worst = parent
            let left = 2 * parent + 1, right = left + 1
            if left < size && ranksAhead(vs[worst], ix[worst], vs[left], ix[left]) { worst = left }
            if right < size && ranksAhead(vs[worst], ix[worst], vs[right], ix[right]) { worst = right }
            if worst == parent { return }
            swapAt(vs, ix, parent, worst)
            parent = worst
        }
    }

    @inline(__always)
    private static func swapAt(_ vs: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int32>,
                               _ a: Int, _ b: Int) {
        let v = vs[a]; vs[a] = vs[b]; vs[b] = v
        let i = ix[a]; ix[a] = ix[b]; ix[b] = i
    }
}
