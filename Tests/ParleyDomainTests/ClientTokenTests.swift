import Foundation
import ParleyDomain
import Testing

/// `MessageSent` and `EventSent` version 2 keep a ClientToken in its form: a UUID in one case as 16 bytes, anything
/// else as its text. Every text must come back as given, version-1 payloads (the token as a string) must decode to
/// the same events, and each token has exactly one encoding.
@Suite struct ClientTokenTests {
    static let id = Identifier(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
    static let digits = Identifier(high: 0x0123_4567_8901_2345, low: 0x6789_0123_4567_8901)

    /// Every form: lower and upper case UUIDs (16 bytes), and texts: mixed case, digits alone, a UUID with a
    /// character too many, empty, non-ASCII.
    static let tokens: [(text: String, uuid: Bool)] = [
        (id.description, true), (id.description.uppercased(), true), (digits.description, true),
        (id.description.prefix(20).uppercased() + id.description.dropFirst(20), false),
        (id.description + "0", false), ("token-1", false), ("", false), ("jeton-été-漢", false),
    ]

    static func message(_ token: String?) -> MessageSent {
        MessageSent(
            chatId: Identifier(high: 1, low: 1),
            contactId: Identifier(high: 1, low: 2),
            participantId: Identifier(high: 1, low: 3),
            messageId: Identifier(high: 1, low: 4),
            contentType: ContentTypes.plainText,
            content: "Hello",
            clientToken: token
        )
    }

    static func event(_ token: String?) -> EventSent {
        EventSent(
            chatId: Identifier(high: 2, low: 1),
            contactId: Identifier(high: 2, low: 2),
            participantId: Identifier(high: 2, low: 3),
            eventId: Identifier(high: 2, low: 4),
            contentType: ContentTypes.typing,
            content: nil,
            receiptMessageId: nil,
            clientToken: token
        )
    }

    /// The payload a version-1 build wrote: the same fields, the token as an optional string.
    static func version1(_ event: MessageSent) -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(byte: 1)
        writer.write(identifier: event.chatId)
        writer.write(identifier: event.contactId)
        writer.write(optionalIdentifier: event.participantId)
        writer.write(optionalString: event.systemDisplayName)
        writer.write(identifier: event.messageId)
        writer.write(string: event.contentType)
        writer.write(string: event.content)
        writer.write(optionalString: event.clientToken)
        return writer.bytes
    }

    static func version1(_ event: EventSent) -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(byte: 1)
        writer.write(identifier: event.chatId)
        writer.write(identifier: event.contactId)
        writer.write(identifier: event.participantId)
        writer.write(identifier: event.eventId)
        writer.write(string: event.contentType)
        writer.write(optionalString: event.content)
        writer.write(optionalIdentifier: event.receiptMessageId)
        writer.write(optionalString: event.clientToken)
        return writer.bytes
    }

    /// The bytes `write(optionalClientToken:)` gives the token.
    static func tokenBytes(_ token: String?) -> [UInt8] {
        var writer = BinaryWriter()
        writer.write(optionalClientToken: token.map(ClientToken.init))
        return writer.bytes
    }

    @Test(arguments: tokens.map(\.text) + [nil])
    func everyTokenComesBackAsGivenFromBothVersions(token: String?) throws {
        let message = Self.message(token)
        #expect(message.clientToken == token)
        let (tag, payload) = EventCodec.encode(message)
        #expect(tag == MessageSent.tag && payload.first == 2)
        let decoded = try EventCodec.decode(MessageSent.self, payload: payload)
        #expect(decoded == message && decoded.clientToken == token)
        #expect(try EventCodec.decode(MessageSent.self, payload: Self.version1(message)) == message)

        let event = Self.event(token)
        let (eventTag, eventPayload) = EventCodec.encode(event)
        #expect(eventTag == EventSent.tag && eventPayload.first == 2)
        let decodedEvent = try EventCodec.decode(EventSent.self, payload: eventPayload)
        #expect(decodedEvent == event && decodedEvent.clientToken == token)
        #expect(try EventCodec.decode(EventSent.self, payload: Self.version1(event)) == event)
        // The token is the payload's end.
        #expect(payload.suffix(Self.tokenBytes(token).count) == Self.tokenBytes(token)[...])
    }

    @Test func aUUIDInOneCaseTakesSixteenBytesAndAnythingElseItsText() {
        for (text, uuid) in Self.tokens {
            let bytes = Self.tokenBytes(text)
            if uuid {
                #expect(bytes.count == 17, "\(text)")
                #expect(bytes.first == (text.contains(where: \.isUppercase) ? 2 : 1), "\(text)")
            } else {
                #expect(bytes.first == 3, "\(text)")
                #expect(bytes.count == 2 + text.utf8.count, "\(text)")
            }
        }
        #expect(Self.tokenBytes(nil) == [0])
        // Lower and upper case spell one UUID but are different tokens; the same text is one token.
        let lower = ClientToken(Self.id.description)
        #expect(lower != ClientToken(Self.id.description.uppercased()))
        #expect(lower == ClientToken(String(Self.id.description)) && lower.text == Self.id.description)
    }

    @Test func eachTokenHasOneEncoding() throws {
        let message = Self.message(nil)
        let (_, payload) = EventCodec.encode(message)
        let head = Array(payload.dropLast())  // without the absent token's 0
        func decode(_ token: [UInt8]) throws -> MessageSent {
            try EventCodec.decode(MessageSent.self, payload: head + token)
        }
        var lowerAsText = BinaryWriter()
        lowerAsText.write(byte: 3)
        lowerAsText.write(string: Self.id.description)
        var upperAsText = BinaryWriter()
        upperAsText.write(byte: 3)
        upperAsText.write(string: Self.id.description.uppercased())
        var digitsAsUpper = BinaryWriter()
        digitsAsUpper.write(byte: 2)
        digitsAsUpper.write(identifier: Self.digits)
        var unknownForm = BinaryWriter()
        unknownForm.write(byte: 4)
        unknownForm.write(identifier: Self.id)
        for bytes in [lowerAsText.bytes, upperAsText.bytes, digitsAsUpper.bytes, unknownForm.bytes] {
            let error = #expect(throws: DecodeError.self) { try decode(bytes) }
            #expect(error?.code == .invalidValue, "\(bytes.prefix(3))")
        }
        // Upper case needs a letter: one nibble of 8 to 15 anywhere in an id of digits decides it.
        for position in 0..<32 {
            for nibble: UInt64 in 8...15 {
                let shift = UInt64(position % 16) * 4
                let cleared = (position < 16 ? Self.digits.high : Self.digits.low) & ~(0xF << shift)
                let word = cleared | nibble << shift
                let id =
                    position < 16
                    ? Identifier(high: word, low: Self.digits.low) : Identifier(high: Self.digits.high, low: word)
                var upper = BinaryWriter()
                upper.write(byte: 2)
                upper.write(identifier: id)
                if nibble >= 10 {
                    #expect(try decode(upper.bytes).clientToken == id.description.uppercased(), "\(id)")
                } else {
                    #expect(throws: DecodeError.self, "\(id)") { try decode(upper.bytes) }
                }
            }
        }
        // The same tokens in their own forms decode.
        #expect(try decode(Self.tokenBytes(Self.id.description)).clientToken == Self.id.description)
        #expect(try decode(Self.tokenBytes(Self.digits.description)).clientToken == Self.digits.description)
        #expect(try decode(Self.tokenBytes("x")).clientToken == "x")
    }

    @Test func jsonShowsTheTokenAsText() throws {
        let upper = Self.id.description.uppercased()
        for (event, token) in [(Self.message(upper) as any Encodable, upper), (Self.event("t-1"), "t-1")] {
            let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any]
            #expect(object?["clientToken"] as? String == token)
            #expect(object?["token"] == nil)
        }
        let none = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.message(nil))) as? [String: Any]
        #expect(none?["clientToken"] == nil && none?["content"] as? String == "Hello")
    }
}
