/// The simulator's event queue: a binary min-heap ordered by (time, sequence number).
///
/// An event is 16 bytes: its time and a key packing `sequence << 32 | kind << 30 | index`. The
/// sequence number grows with every push, so events at equal times pop in the order they were
/// pushed and the simulation is deterministic. Storage is kept between runs (`removeAll` keeps
/// capacity), so a reused simulator does not allocate.
struct EventQueue {
    struct Event {
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

    private var heap = ContiguousArray<Event>()
    private var sequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func removeAll() {
        heap.removeAll(keepingCapacity: true)
        sequence = 0
    }

    mutating func reserveCapacity(_ n: Int) { heap.reserveCapacity(n) }

    @inline(__always)
    mutating func push(time: Double, kind: Int, index: Int) {
        assert(index <= Self.maxIndex && kind < 4)
        let event = Event(time: time, key: sequence << 32 | UInt64(kind) << 30 | UInt64(index))
        sequence &+= 1
        heap.append(event)
        heap.withUnsafeMutableBufferPointer { h in
            // Sift up: move parents down until the event's slot is found.
            var i = h.count - 1
            while i > 0 {
                let parent = (i - 1) >> 1
                guard Event.precedes(event, h[parent]) else { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = event
        }
    }

    @inline(__always)
    mutating func pop() -> Event? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        return heap.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            // Sift down the former last element from the root.
            let n = h.count
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= n { break }
                if child + 1 < n, Event.precedes(h[child + 1], h[child]) { child += 1 }
                guard Event.precedes(h[child], last) else { break }
                h[i] = h[child]
                i = child
            }
            h[i] = last
            return top
        }
    }
}
