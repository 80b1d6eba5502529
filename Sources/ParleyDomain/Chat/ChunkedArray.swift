// A chat's transcript grows by one item per message while earlier states of the chat stay published (the engine's
// snapshot, a batch's rollback copy). A Swift array shared that way is copied whole by the next append: every
// message then cost O(transcript) to copy and later to free. `ChunkedArray` keeps the elements in fixed-size chunks,
// so an append or a change copies one chunk and the list of chunk references, not every element.

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An array kept in chunks of 16 elements: copies share the chunks, and a write copies only the chunk it touches.
///
/// An append does not copy a shared last chunk when it can claim the chunk's next free slot: each chunk counts the
/// slots any copy has filled (`claimed`), and every copy sees only the prefix of the chunk that its own `count`
/// covers. The one copy whose end is the chunk's end claims the slot with a compare-and-exchange and writes there;
/// a copy that finds the slot taken (another copy appended first) copies its prefix. So the engine's working state
/// appends a message to the transcript chunk it shares with the published snapshot in place, where an array chunk
/// was copied and, a batch later, the old copy freed.
public struct ChunkedArray<Element> {
    /// Elements per chunk (a power of two). 16 rather than 64: an append to a shared last chunk copies half a chunk
    /// on average, and with 400-message chats 16 took 4 % fewer instructions per command than 64 (`replay-profile
    /// --commands 400 --messages-per-chat 1000`) at no cost for short chats or replay; docs/performance.md.
    static var chunkShift: Int { 4 }
    static var chunkCapacity: Int { 1 << chunkShift }

    /// Every chunk is full but the last (this copy's view of each: see `visible(_:)`).
    private var chunks: [ChunkStorage<Element>] = []
    /// The number of elements.
    public private(set) var count = 0

    /// An empty array.
    public init() {}

    /// The elements of `elements`, in order.
    public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    /// Adds `element` at the end: in place when this copy can claim the last chunk's next slot, else by copying at
    /// most the last chunk (and the chunk list, when it is shared).
    public mutating func append(_ element: consuming Element) {
        let offset = count & (Self.chunkCapacity - 1)
        // Not reserved: a short transcript stays as small as an array of its items (the chunk grows by doubling).
        if offset == 0 { chunks.append(ChunkStorage(capacity: 1)) }
        let last = chunks.count - 1
        if !chunks[last].claim(offset) {
            replaceLastChunk(prefix: offset)
            let claimed = chunks[last].claim(offset)
            precondition(claimed, "a new chunk has room after its prefix")
        }
        (chunks[last].elements + offset).initialize(to: element)
        count += 1
    }

    /// Replaces the last chunk with one holding its first `prefix` elements and room for more: the old one is full,
    /// or another copy claimed the slot. A chunk that only this copy holds has its elements moved, not copied and
    /// released.
    @inline(never)
    private mutating func replaceLastChunk(prefix: Int) {
        let last = chunks.count - 1
        let unique = isKnownUniquelyReferenced(&chunks[last])
        let old = chunks[last]
        let capacity = prefix < old.capacity ? old.capacity : Swift.min(old.capacity * 2, Self.chunkCapacity)
        chunks[last] = ChunkStorage(capacity: capacity, prefix: prefix, of: old, moving: unique)
    }

    /// Adds the elements of `elements` at the end, in order.
    public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    /// The identity of chunk `index`'s storage (tests: which copies share it).
    func chunkIdentity(_ index: Int) -> ObjectIdentifier { ObjectIdentifier(chunks[index]) }

    /// How many elements of chunk `index` this copy holds.
    private func visible(_ index: Int) -> Int {
        index == chunks.count - 1 ? count - (index << Self.chunkShift) : Self.chunkCapacity
    }
}

/// One chunk of a `ChunkedArray`: room for `capacity` elements, of which the first `claimed` are initialized. Copies
/// of the array that share the chunk each see a prefix of it.
final class ChunkStorage<Element>: @unchecked Sendable {
    // Unchecked: the elements below `claimed` are never written while the chunk is shared (a write to a shared chunk
    // copies it, `ChunkedArray.subscript`'s `_modify`), and a slot at or past `claimed` is written only by the one
    // copy that claimed it through the atomic counter, before any other copy can see it.

    /// Room for this many elements.
    let capacity: Int
    /// Slots filled by any copy of the array, in order.
    private let claimed: Atomic<Int>
    /// The elements.
    let elements: UnsafeMutablePointer<Element>

    /// An empty chunk with room for `capacity` elements.
    ///
    /// The elements are allocated with `malloc`: `UnsafeMutablePointer.allocate` always takes the runtime's aligned
    /// path, `posix_memalign`, which costs about 240 instructions against `malloc`'s 60 to 100.
    init(capacity: Int) {
        precondition(MemoryLayout<Element>.alignment <= 16, "malloc aligns to 16 bytes")
        self.capacity = capacity
        let bytes = Swift.max(1, MemoryLayout<Element>.stride * capacity)
        guard let memory = malloc(bytes) else { fatalError("out of memory allocating \(bytes) bytes") }
        elements = memory.bindMemory(to: Element.self, capacity: capacity)
        claimed = Atomic(0)
    }

    /// A chunk with room for `capacity` elements holding the first `prefix` elements of `source`. With `moving` (the
    /// caller holds `source` alone) and `prefix` all that `source` holds, they are moved out, leaving it empty.
    convenience init(capacity: Int, prefix: Int, of source: ChunkStorage, moving: Bool) {
        self.init(capacity: capacity)
        if moving, source.claimed.load(ordering: .acquiring) == prefix {
            elements.moveInitialize(from: source.elements, count: prefix)
            source.claimed.store(0, ordering: .releasing)
        } else {
            elements.initialize(from: source.elements, count: prefix)
        }
        claimed.store(prefix, ordering: .releasing)
    }

    deinit {
        elements.deinitialize(count: claimed.load(ordering: .acquiring))
        free(elements)
    }

    /// Claims slot `offset` if it is the next free slot and there is room; whether it did. The caller then
    /// initializes the slot, before any other copy can see it.
    func claim(_ offset: Int) -> Bool {
        offset < capacity
            && claimed.compareExchange(expected: offset, desired: offset + 1, ordering: .acquiringAndReleasing)
                .exchanged
    }
}

extension ChunkStorage: CustomReflectable {
    /// The initialized elements (the census of stored fields sees a chunk as what it holds).
    var customMirror: Mirror {
        let filled = claimed.load(ordering: .acquiring)
        return Mirror(
            self,
            children: ["elements": Array(UnsafeBufferPointer(start: elements, count: filled))],
            displayStyle: .class
        )
    }
}

extension ChunkedArray: RandomAccessCollection, MutableCollection {
    /// 0.
    public var startIndex: Int { 0 }
    /// `count`.
    public var endIndex: Int { count }

    /// The element at `position`; writing it copies only its chunk when that chunk is shared.
    ///
    /// Read where it lies: reading one field of an element does not copy the element.
    public subscript(position: Int) -> Element {
        _read {
            precondition(position >= 0 && position < count, "index \(position) out of 0..<\(count)")
            yield chunks[position >> Self.chunkShift].elements[position & (Self.chunkCapacity - 1)]
        }
        _modify {
            precondition(position >= 0 && position < count, "index \(position) out of 0..<\(count)")
            let index = position >> Self.chunkShift
            if !isKnownUniquelyReferenced(&chunks[index]) { copyChunk(index) }
            yield &chunks[index].elements[position & (Self.chunkCapacity - 1)]
        }
    }

    /// Gives chunk `index` to this copy alone. Apart from the accessor, to keep its frame small.
    @inline(never)
    private mutating func copyChunk(_ index: Int) {
        let old = chunks[index]
        chunks[index] = ChunkStorage(capacity: old.capacity, prefix: visible(index), of: old, moving: false)
    }
}

extension ChunkedArray: ExpressibleByArrayLiteral {
    /// The literal's elements.
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension ChunkedArray: Equatable where Element: Equatable {
    /// Equal when they hold equal elements in the same order.
    public static func == (lhs: ChunkedArray, rhs: ChunkedArray) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}

extension ChunkedArray: Encodable where Element: Encodable {
    /// Encodes as an array.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for element in self { try container.encode(element) }
    }
}

extension ChunkedArray: SnapshotCodable where Element: SnapshotCodable {
    /// Writes the count, then the elements in order (as an `Array` does: the bytes are the same).
    public func snapshotEncode(to writer: inout BinaryWriter) {
        writer.write(varUInt: UInt64(count))
        for element in self { element.snapshotEncode(to: &writer) }
    }

    /// Reads what `snapshotEncode` (or an `Array`'s encoding) wrote.
    public init(snapshotFrom reader: inout BinaryReader) throws(DecodeError) {
        self.init()
        let count = try reader.readCount()
        for _ in 0..<count { append(try Element(snapshotFrom: &reader)) }
    }
}
