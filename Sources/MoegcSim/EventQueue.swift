/// The simulator's event queue: a 4-ary min-heap ordered by (time, sequence number). Four children
/// of 16 bytes fill one cache line, and the tree is half as deep as a binary heap's.
///
/// An event is 16 bytes: its time and a key packing `sequence << 32 | kind << 30 | index`. The
/// sequence number grows with every push, so events at equal times pop in the order they were
/// pushed and the simulation is deterministic. The storage is a fixed buffer of the simulator's
/// arena, so a run never allocates.
struct EventQueue: Sendable {
    struct Event: Sendable {
        var time: Double
        var key: UInt64

        @inline(__always) var kind: Int { Int((key >> 30) & 3) }
        @inline(__always) var index: Int { Int(key & 0x3FFF_FFFF) }

        @inline(__always)
        static func precedes(_ a: Event, _ b: Event) -> Bool {
            a.time < b.time || (a.time == b.time && a.key < b.key)
        }
    }

    /// The largest index an event can carry (30 bits).
    static let maxIndex = 0x3FFF_FFFF

    /// Fixed storage owned by `SimulationArena`, sized for the most events a run can have pending.
    let heap: Buffer<Event>
    private(set) var count = 0
    private var sequence: UInt64 = 0

    init(storage: Buffer<Event>) { heap = storage }

    var isEmpty: Bool { count == 0 }

    mutating func removeAll() {
        count = 0
        sequence = 0
    }

    @inline(__always)
    mutating func push(time: Double, kind: Int, index: Int) {
        assert(index <= Self.maxIndex && kind < 4)
        precondition(count < heap.count, "event queue overflow")
        let event = Event(time: time, key: sequence << 32 | UInt64(kind) << 30 | UInt64(index))
        sequence &+= 1
        // Sift up: move parents down until the event's slot is found.
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 2
            guard Event.precedes(event, heap[parent]) else { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = event
    }

    @inline(__always)
    mutating func pop() -> Event? {
        guard count > 0 else { return nil }
        let top = heap[0]
        count -= 1
        let n = count
        guard n > 0 else { return top }
        let last = heap[n]
        // Sift the former last element down from the root.
        var i = 0
        while true {
            let first = 4 * i + 1
            if first >= n { break }
            var child = first
            for c in (first + 1)..<min(first + 4, n) where Event.precedes(heap[c], heap[child]) { child = c }
            guard Event.precedes(heap[child], last) else { break }
            heap[i] = heap[child]
            i = child
        }
        heap[i] = last
        return top
    }
}
