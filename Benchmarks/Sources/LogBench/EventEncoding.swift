import BenchChat
import EventLog

/// The two encodings of a chat event that the benchmark compares: the compact binary form the log stores, and the
/// JSON line a person (or `parley log dump`) reads.
enum EventEncoding {
    /// The compact binary form: a format version byte, the contact id, then the body's fields in a fixed order;
    /// ids as 16 bytes, enums as one byte, strings and counts as LEB128 length + UTF-8. The timestamp and the event
    /// type travel in the log record's header, not here.
    static func binary(_ event: ChatEvent) -> [UInt8] {
        var out = BinaryWriter()
        out.byte(1)
        out.id(event.contact)
        switch event.body {
        case .contactStarted(let customerName, let queue, let attributes):
            out.byte(1)  // channel CHAT
            out.byte(1)  // initiation method API
            out.string(customerName)
            out.string(queue)
            out.attributes(attributes)
        case .participantJoined(let item, let participant):
            out.id(item)
            out.participant(participant)
        case .messageSent(let participant, let message, let content, let clientToken):
            out.participant(participant)
            out.id(message)
            out.byte(1)  // text/plain
            out.string(content)
            out.string(clientToken)
        case .eventSent(let item, let participant, let signal, let message, let clientToken):
            out.id(item)
            out.participant(participant)
            out.byte(signal.rawValue)
            if let message { out.id(message) }
            out.string(clientToken)
        case .attributesUpdated(let attributes):
            out.attributes(attributes)
        case .contactTransferred(let queue, let agent):
            out.string(queue)
            out.id(agent)
        case .participantLeft(let item, let participant):
            out.id(item)
            out.participant(participant)
        case .chatEnded(let item, let reason, let durationSeconds):
            out.id(item)
            out.byte(UInt8(ChatText.endReasons.firstIndex(of: reason) ?? 255))
            out.varint(UInt64(durationSeconds))
        }
        return out.bytes
    }

    /// One JSON line (with its newline), in the shape of `Tools/demo/chat-events.jsonl` plus the event's time.
    static func jsonLine(_ event: ChatEvent) -> [UInt8] {
        var out = JSONLineWriter(event: event.name)
        out.field("time", LogTime.iso8601(event.time))
        out.field("contactId", event.contact)
        switch event.body {
        case .contactStarted(let customerName, let queue, let attributes):
            out.field("channel", "CHAT")
            out.field("initiationMethod", "API")
            out.field("customerDisplayName", customerName)
            out.field("queue", queue)
            out.field("attributes", attributes)
        case .participantJoined(let item, let participant):
            out.field("id", item)
            out.field(participant)
        case .messageSent(let participant, let message, let content, let clientToken):
            out.field(participant)
            out.field("messageId", message)
            out.field("contentType", "text/plain")
            out.field("content", content)
            out.field("clientToken", clientToken)
        case .eventSent(let item, let participant, let signal, let message, let clientToken):
            out.field("id", item)
            out.field(participant)
            out.field("contentType", signal.contentType)
            if let message {
                // Amazon Connect's receipt content: a JSON document in a string.
                var inner = [UInt8]("{\"messageId\":\"".utf8)
                message.appendUUID(to: &inner)
                inner += Array("\"}".utf8)
                out.field("content", String(decoding: inner, as: UTF8.self))
            }
            out.field("clientToken", clientToken)
        case .attributesUpdated(let attributes):
            out.field("attributes", attributes)
        case .contactTransferred(let queue, let agent):
            out.field("queue", queue)
            out.field("fromAgentId", agent)
        case .participantLeft(let item, let participant):
            out.field("id", item)
            out.field(participant)
        case .chatEnded(let item, let reason, let durationSeconds):
            out.field("id", item)
            out.field("disconnectReason", reason)
            out.field("durationSeconds", durationSeconds)
        }
        return out.finish()
    }
}

extension ID128 {
    /// Appends the 16 bytes, big-endian.
    func appendBytes(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: high.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: low.bigEndian) { bytes += $0 }
    }

    /// Appends the lower-case UUID text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    func appendUUID(to bytes: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        for (index, shift) in stride(from: 124, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { bytes.append(UInt8(ascii: "-")) }
            let word = shift >= 64 ? high >> UInt64(shift - 64) : low >> UInt64(shift)
            bytes.append(digits[Int(word & 0xF)])
        }
    }
}

/// Builds a binary event.
private struct BinaryWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func id(_ value: ID128) { value.appendBytes(to: &bytes) }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func string(_ value: String) {
        varint(UInt64(value.utf8.count))
        bytes += value.utf8
    }

    mutating func participant(_ participant: Participant) {
        id(participant.id)
        byte(participant.role.rawValue)
        string(participant.displayName)
    }

    mutating func attributes(_ attributes: [ContactAttribute]) {
        varint(UInt64(attributes.count))
        for attribute in attributes {
            string(attribute.key)
            string(attribute.value)
        }
    }
}

/// Builds one JSON object on one line.
private struct JSONLineWriter {
    private var bytes: [UInt8] = []

    init(event: String) {
        bytes.reserveCapacity(512)
        bytes += Array("{\"event\":".utf8)
        quoted(event)
    }

    mutating func field(_ key: String, _ value: String) {
        name(key)
        quoted(value)
    }

    mutating func field(_ key: String, _ value: ID128) {
        name(key)
        bytes.append(UInt8(ascii: "\""))
        value.appendUUID(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func field(_ key: String, _ value: Int) {
        name(key)
        bytes += String(value).utf8
    }

    mutating func field(_ participant: Participant) {
        field("participantId", participant.id)
        field("role", participant.role.name)
        field("displayName", participant.displayName)
    }

    mutating func field(_ key: String, _ attributes: [ContactAttribute]) {
        name(key)
        bytes.append(UInt8(ascii: "{"))
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            quoted(attribute.key)
            bytes.append(UInt8(ascii: ":"))
            quoted(attribute.value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func finish() -> [UInt8] {
        bytes += Array("}\n".utf8)
        return bytes
    }

    private mutating func name(_ key: String) {
        bytes.append(UInt8(ascii: ","))
        quoted(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON string: quotes, backslashes and control characters escaped.
    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
