// A chat's transcript grows by one item per message while earlier states of the chat stay published (the engine's
// snapshot, a batch's rollback copy). A Swift array shared that way is copied whole by the next append: every
// message then cost O(transcript) to copy and later to free. `ChunkedArray` keeps the elements in fixed-size chunks,
// so an append or a change copies one chunk and the list of chunk references, not every element.

/// An array kept in chunks of 16 elements: copies share the chunks, and a write copies only the chunk it touches.
public struct ChunkedArray<Element> {
    /// Elements per chunk (a power of two). 16 rather than 64: an append to a shared last chunk copies half a chunk
    /// on average, and with 400-message chats 16 took 4 % fewer instructions per command than 64 (`replay-profile
    /// --commands 400 --messages-per-chat 1000`) at no cost for short chats or replay; docs/performance.md.
    static var chunkShift: Int { 4 }
    static var chunkCapacity: Int { 1 << chunkShift }

    /// Every chunk is full but the last.
    private var chunks: [[Element]] = []
    /// The number of elements.
    public private(set) var count = 0

    /// An empty array.
    public init() {}

    /// The elements of `elements`, in order.
    public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    /// Adds `element` at the end: copies at most the last chunk (when it is shared) and the chunk list.
    public mutating func append(_ element: Element) {
        if count & (Self.chunkCapacity - 1) == 0 {
            // Not reserved: a short transcript stays as small as an array of its items (the chunk grows by doubling).
            chunks.append([element])
        } else {
            chunks[chunks.count - 1].append(element)
        }
        count += 1
    }

    /// Adds the elements of `elements` at the end, in order.
    public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }
}

extension ChunkedArray: RandomAccessCollection, MutableCollection {
    /// 0.
    public var startIndex: Int { 0 }
    /// `count`.
    public var endIndex: Int { count }

    /// The element at `position`; writing it copies only its chunk when that chunk is shared.
    public subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < count, "index \(position) out of 0..<\(count)")
            return chunks[position >> Self.chunkShift][position & (Self.chunkCapacity - 1)]
        }
        _modify {
            precondition(position >= 0 && position < count, "index \(position) out of 0..<\(count)")
            yield &chunks[position >> Self.chunkShift][position & (Self.chunkCapacity - 1)]
        }
    }
}

extension ChunkedArray: ExpressibleByArrayLiteral {
    /// The literal's elements.
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension ChunkedArray: Equatable where Element: Equatable {
    /// Equal when they hold equal elements in the same order.
    public static func == (lhs: ChunkedArray, rhs: ChunkedArray) -> Bool {
        lhs.count == rhs.count && lhs.chunks == rhs.chunks
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
