import Dispatch

// How the tape's threads share an op's work (`Tape.threads`): every split gives each index or row
// to exactly one thread, so results never depend on the thread count.

/// Runs `body(i, worker)` for every i in 0..<count on `workers(count, threads)` threads (i strided
/// over the workers; each i on exactly one, so results do not depend on the thread count). `worker`
/// indexes per-thread scratch space.
func parallelFor(_ count: Int, threads: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
    let workers = parallelWorkers(count, threads: threads)
    if workers == 1 {
        for i in 0..<count { body(i, 0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: count, by: workers) { work(i, w) }
        }
    }
}

/// The threads `parallelFor` uses for `count` items.
func parallelWorkers(_ count: Int, threads: Int) -> Int { max(1, min(threads, count)) }

/// Rows a thread must have before a row-wise op (matmul, elementwise, layer norm, edge ops) is
/// split across the tape's threads: smaller values (training's) stay on the calling thread.
let rowsPerBand = 8192

/// Runs `body(band)` for contiguous bands covering `0..<rows`: one band per thread (up to
/// `threads`) when there are at least `2 · rowsPerBand` rows, else one band on the calling thread.
/// Every row is in exactly one band, so an op that computes each row on its own gives the same
/// result, bit for bit, on any number of threads. The one place row-band splitting is decided
/// (public so the policy's featurizer splits its per-task rows the same way).
public func forEachRowBand(_ rows: Int, threads: Int, _ body: (_ band: Range<Int>) -> Void) {
    let bands = rows >= rowsPerBand * 2 ? max(1, min(threads, rows / rowsPerBand)) : 1
    parallelFor(bands, threads: bands) { band, _ in body(rows * band / bands ..< rows * (band + 1) / bands) }
}

/// `forEachRowBand` over the flat elements of a tensor of `shape` (rows of its last axis; each
/// element a row when it has one axis), passing each band as a range of element offsets.
func forEachElementBand(_ shape: [Int], threads: Int, _ body: (_ elements: Range<Int>) -> Void) {
    let count = Tensor.elementCount(of: shape), width = shape.count >= 2 ? shape[shape.count - 1] : 1
    let rows = width == 0 ? 0 : count / width
    forEachRowBand(rows, threads: threads) { band in body(band.lowerBound * width ..< band.upperBound * width) }
}
