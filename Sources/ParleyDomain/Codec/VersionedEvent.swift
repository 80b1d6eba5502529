/// A domain event type with a stable tag and a schema version whose old versions stay decodable forever.
///
/// In the log, an event is one record: the record's type tag is `tag`; its payload is one version byte followed by
/// the fields of that version. A new version only adds a decoding branch: `decode(version:from:)` reads every
/// version from 1 to `currentVersion` and upcasts older ones, so the log is never rewritten.
public protocol VersionedEvent: Sendable, Equatable {
    /// The record type tag; never reused for another event.
    static var tag: UInt16 { get }
    /// A readable name for dumps, e.g. "MessageSent".
    static var name: String { get }
    /// The schema version `encode(into:)` writes.
    static var currentVersion: UInt8 { get }
    /// Writes the fields of `currentVersion`.
    func encode(into writer: inout BinaryWriter)
    /// Reads the fields of `version` (1…`currentVersion`), upcasting older versions to the current shape.
    static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self
}

/// Turning events into log record payloads and back.
public enum EventCodec {
    /// The record type tag and payload (version byte + fields) of `event`.
    public static func encode<Event: VersionedEvent>(_ event: Event) -> (tag: UInt16, payload: [UInt8]) {
        var writer = BinaryWriter()
        writer.write(byte: Event.currentVersion)
        event.encode(into: &writer)
        return (Event.tag, writer.bytes)
    }

    /// Decodes a payload of `Event`: checks the version range and that every byte was consumed.
    public static func decode<Event: VersionedEvent>(
        _ type: Event.Type,
        payload: UnsafeRawBufferPointer
    ) throws(DecodeError) -> Event {
        var reader = BinaryReader(payload)
        let version = try reader.readByte()
        guard version >= 1, version <= Event.currentVersion else {
            throw DecodeError(
                .unsupportedVersion,
                "\(Event.name) version \(version); this build reads 1…\(Event.currentVersion)",
                offset: 0
            )
        }
        let event = try Event.decode(version: version, from: &reader)
        try reader.expectEnd()
        return event
    }

    /// Decodes a payload held in an array.
    public static func decode<Event: VersionedEvent>(
        _ type: Event.Type,
        payload: [UInt8]
    ) throws(DecodeError)
        -> Event
    {
        let result: Result<Event, DecodeError> = payload.withUnsafeBytes { bytes in
            do throws(DecodeError) {
                return .success(try decode(type, payload: bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
