import Testing

@testable import ParleyDomain

/// Whether `a` and `b` are one stored string (the same UTF-8 bytes in memory), not merely equal ones.
private func sameStorage(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { first in b.withUTF8 { second in first.baseAddress == second.baseAddress } }
}

/// Reads one length-prefixed string from `bytes` through the table, requiring every byte to be consumed.
private func interned(_ bytes: [UInt8], _ table: StringTable) throws(DecodeError) -> String {
    let result: Result<String, DecodeError> = bytes.withUnsafeBytes { raw in
        var reader = BinaryReader(raw)
        do throws(DecodeError) {
            let value = try reader.readString(interning: table)
            try reader.expectEnd()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
    return try result.get()
}

/// `string` as `BinaryWriter.write(string:)` writes it.
private func encoded(_ string: String) -> [UInt8] {
    var writer = BinaryWriter()
    writer.write(string: string)
    return writer.bytes
}

/// `event` encoded as the log stores it and decoded through the catalogue, as a replay reads it.
private func decodedAgain<Event: VersionedEvent>(_ event: Event) throws(DecodeError) -> ChatEvent? {
    let (tag, payload) = EventCodec.encode(event)
    return try ChatEventCatalogue.decode(tag: tag, payload: payload)
}

@Suite struct StringTableTests {
    @Test func aStringInTheTableDecodesAsTheTablesOwnCopy() throws {
        for type in ContentTypes.table.strings where type.utf8.count > 15 {
            let decoded = try interned(encoded(type), ContentTypes.table)
            #expect(decoded == type)
            #expect(sameStorage(decoded, type), "\(type)")
            // Without the table the same bytes are a new string.
            var writer = BinaryWriter()
            writer.write(string: type)
            let fresh = try writer.bytes.withUnsafeBytes { raw throws(DecodeError) in
                var reader = BinaryReader(raw)
                return try reader.readString()
            }
            #expect(!sameStorage(fresh, type))
        }
    }

    @Test func stringsNotInTheTableDecodeAsThemselves() throws {
        let table = StringTable(["abc", "abd", String(repeating: "x", count: 65), "", "é", "a", "abf"])
        for string in [
            "abe", "ab", "abcd", "x", String(repeating: "x", count: 1), String(repeating: "y", count: 65),
            "text/plain", "e", "ü",
        ] {
            #expect(try interned(encoded(string), table) == string)
            #expect(
                string.utf8.withContiguousStorageIfAvailable { table.string(matching: UnsafeRawBufferPointer($0)) }
                    == .some(nil),
                "\(string)"
            )
        }
        // Strings of one length, lengths that fall in one bucket (1 and 65 bytes modulo 64) and the empty string are
        // each found.
        for string in table.strings {
            #expect(try interned(encoded(string), table) == string)
            #expect(
                string.utf8.withContiguousStorageIfAvailable { table.string(matching: UnsafeRawBufferPointer($0)) }
                    == string,
                "\(string)"
            )
        }
        #expect(table.strings.count == 7)
        #expect(StringTable(["a", "b", "a"]).strings == ["a", "b"])
    }

    @Test func badBytesAreRefusedAsReadStringRefusesThem() {
        #expect(throws: DecodeError(.invalidUTF8, "string is not valid UTF-8", offset: 0)) {
            try interned([2, 0xC3, 0x28], ContentTypes.table)
        }
        #expect(throws: DecodeError(.truncated, "input ends inside 46 bytes", offset: 1)) {
            try interned(Array(encoded(ContentTypes.typing).dropLast()), ContentTypes.table)
        }
    }

    @Test func theEventContentTypesAreThePrefixAndTheirNames() {
        let names = [
            (ContentTypes.typing, "typing"), (ContentTypes.delivered, "message.delivered"),
            (ContentTypes.read, "message.read"), (ContentTypes.connectionAcknowledged, "connection.acknowledged"),
            (ContentTypes.participantJoined, "participant.joined"), (ContentTypes.participantLeft, "participant.left"),
            (ContentTypes.chatEnded, "chat.ended"), (ContentTypes.chatRehydrated, "chat.rehydrated"),
            (ContentTypes.participantIdle, "participant.idle"),
            (ContentTypes.participantReturned, "participant.returned"),
            (ContentTypes.participantAutoDisconnection, "participant.autodisconnection"),
            (ContentTypes.transferSucceeded, "transfer.succeeded"), (ContentTypes.transferFailed, "transfer.failed"),
        ]
        for (type, name) in names {
            #expect(type == ContentTypes.eventPrefix + name)
            #expect(ContentTypes.table.strings.contains(type), "\(name)")
        }
        #expect(ContentTypes.table.strings.count == names.count + ContentTypes.supportable.count)
    }

    @Test func eventsAndTranscriptsDecodeTheirContentTypesShared() throws {
        let id = Identifier(high: 1, low: 2)
        let sent = EventSent(
            chatId: id,
            contactId: id,
            participantId: id,
            eventId: id,
            contentType: ContentTypes.read,
            content: nil,
            receiptMessageId: id,
            clientToken: nil
        )
        guard case .eventSent(let decoded)? = try decodedAgain(sent) else {
            Issue.record("not an EventSent")
            return
        }
        #expect(decoded == sent)
        #expect(sameStorage(decoded.contentType, ContentTypes.read))
        let message = MessageSent(
            chatId: id,
            contactId: id,
            participantId: id,
            messageId: id,
            contentType: ContentTypes.interactiveResponse,
            content: "{}",
            clientToken: nil
        )
        guard case .messageSent(let decodedMessage)? = try decodedAgain(message) else {
            Issue.record("not a MessageSent")
            return
        }
        #expect(decodedMessage == message)
        #expect(sameStorage(decodedMessage.contentType, ContentTypes.interactiveResponse))

        let item = TranscriptItem(
            id: id,
            timestamp: 7,
            type: "EVENT",
            contentType: ContentTypes.participantJoined,
            content: nil,
            participantId: id,
            displayName: "Ann",
            role: .customer,
            contactId: id,
            receipts: [:]
        )
        var writer = BinaryWriter()
        item.snapshotEncode(to: &writer)
        let read = try writer.bytes.withUnsafeBytes { raw throws(DecodeError) in
            var reader = BinaryReader(raw)
            return try TranscriptItem(snapshotFrom: &reader)
        }
        #expect(read == item)
        #expect(sameStorage(read.contentType, ContentTypes.participantJoined))
    }
}
