import ParleyDomain

/// The event codec target: the input is one event record, decoded as replay decodes the log.
///
/// Input layout: byte 0 below the number of event types picks that type's tag and the rest is the payload (version
/// byte and fields); any other byte 0 takes the tag from bytes 1–2 (little-endian) and the payload from byte 3 on,
/// so unknown tags and non-domain records are covered too.
///
/// Properties checked for every record that decodes: encoding the event and decoding that gives an equal event
/// with the same tag, and encoding is stable (the second encoding equals the first), so an event survives any
/// number of rewrites (checkpoints, exports). The event's JSON rendering (`parley log dump`) must not trap either.
public enum EventCodecTarget {
    /// Builds the input for a record of `tag` with `payload`.
    public static func input(tag: UInt16, payload: [UInt8]) -> [UInt8] {
        if let index = ChatEventCatalogue.types.firstIndex(where: { $0.tag == tag }) {
            return [UInt8(index)] + payload
        }
        return [0xFF, UInt8(tag & 0xFF), UInt8(tag >> 8)] + payload
    }

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let selector = input.first else { return }
        let types = ChatEventCatalogue.types
        let tag: UInt16
        let payload: ArraySlice<UInt8>
        if Int(selector) < types.count {
            tag = types[Int(selector)].tag
            payload = input.dropFirst()
        } else {
            guard input.count >= 3 else { return }
            tag = UInt16(input[1]) | UInt16(input[2]) << 8
            payload = input.dropFirst(3)
        }
        let event: ChatEvent
        do {
            guard let decoded = try ChatEventCatalogue.decode(tag: tag, payload: Array(payload)) else { return }
            event = decoded
        } catch {
            return
        }
        try checkRoundTrip(event, what: "a record of tag 0x\(String(tag, radix: 16))")
        _ = ChatEventCatalogue.json(event)
        _ = event.name
    }

    /// Encodes `event`, decodes it again and checks the result against the original and its encoding.
    static func checkRoundTrip(_ event: ChatEvent, what: String) throws(FuzzFinding) {
        func fail(_ message: String) -> FuzzFinding { FuzzFinding(.eventCodec, .propertyViolated, message) }
        let first = event.encoded()
        let again: ChatEvent?
        do {
            again = try ChatEventCatalogue.decode(tag: first.tag, payload: first.payload)
        } catch {
            throw fail("\(event.name) from \(what) encodes to bytes that do not decode: \(error)")
        }
        guard let again else { throw fail("\(event.name) encodes to tag \(first.tag), not a domain event tag") }
        let second = again.encoded()
        guard second.tag == first.tag, second.payload == first.payload else {
            throw fail(
                "\(event.name) from \(what) re-encodes differently: \(hex(first.payload)) then \(hex(second.payload))"
            )
        }
        guard again == event else {
            throw fail("\(event.name) from \(what) decodes to a different value after encoding: \(hex(first.payload))")
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes.prefix(256) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self) + (bytes.count > 256 ? "…" : "")
    }
}
