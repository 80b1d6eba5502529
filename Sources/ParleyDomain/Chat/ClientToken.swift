/// A SendMessage or SendEvent `ClientToken`: 16 bytes when it is a UUID written in one case (what the SDKs fill in),
/// else its text.
///
/// Each text has exactly one form, so two tokens are equal when their forms are, and `text` gives back the very
/// text that was given. Events from version 2 of `MessageSent` and `EventSent` on store the form (`write(into:)`),
/// so a replay neither allocates the token's string nor parses it again.
public struct ClientToken: Hashable, Sendable, Encodable {
    /// The form the token is kept in.
    enum Form: Hashable, Sendable {
        /// `8-4-4-4-12` lower-case hex.
        case lowerUUID(Identifier)
        /// `8-4-4-4-12` upper-case hex.
        case upperUUID(Identifier)
        /// Anything else.
        case text(String)
    }

    /// The form.
    let form: Form

    /// The token `text`.
    public init(_ text: String) {
        var text = text
        // Digits alone are both cases; mixed case stays text.
        form =
            switch text.withUTF8({ Identifier.parse($0) }) {
            case let parsed? where !parsed.hasUpper: .lowerUUID(parsed.id)
            case let parsed? where !parsed.hasLower: .upperUUID(parsed.id)
            default: .text(text)
            }
    }

    /// A token in `form`.
    init(form: Form) { self.form = form }

    /// The token's text, exactly as it was given.
    public var text: String {
        switch form {
        case .lowerUUID(let id): id.description
        case .upperUUID(let id): id.description.uppercased()
        case .text(let text): text
        }
    }

    /// Whether the two tokens' texts order as `<` does: UUIDs in the same case order as their values (fixed-width
    /// hex, the dashes in the same places), anything else by the texts.
    static func textOrder(_ lhs: ClientToken, _ rhs: ClientToken) -> Bool {
        switch (lhs.form, rhs.form) {
        case (.lowerUUID(let left), .lowerUUID(let right)), (.upperUUID(let left), .upperUUID(let right)):
            left < right
        default:
            lhs.text < rhs.text
        }
    }

    /// The hash `Dictionary`, `Set` and `TreeDictionary` use within a `ClientTokenKey`: a UUID's identifier hash
    /// (`Identifier`'s keyed mix, no SipHash), a text's string hash, seeded with `seed`.
    func rawHashValue(seed: Int) -> Int {
        switch form {
        case .lowerUUID(let id): id._rawHashValue(seed: seed)
        case .upperUUID(let id): id._rawHashValue(seed: ~seed)
        case .text(let text): text._rawHashValue(seed: seed)
        }
    }

    /// A word equal tokens share, for a `CompactMap`'s filter: a UUID's bits (the case flips one), a text's hash.
    var filterWord: UInt64 {
        switch form {
        case .lowerUUID(let id): id.filterWord
        case .upperUUID(let id): ~id.filterWord
        case .text(let text): UInt64(UInt(bitPattern: text.hashValue))
        }
    }

    /// Encodes the text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// The form byte of an absent token, of the two UUID forms and of a text.
    enum Code {
        static let absent: UInt8 = 0
        static let lowerUUID: UInt8 = 1
        static let upperUUID: UInt8 = 2
        static let text: UInt8 = 3
    }
}

extension BinaryWriter {
    /// An optional ClientToken: a form byte (0 absent, 1 lower-case UUID, 2 upper-case UUID, 3 text), then the 16
    /// bytes of a UUID or the text as a string.
    public mutating func write(optionalClientToken token: ClientToken?) {
        switch token?.form {
        case nil: write(byte: ClientToken.Code.absent)
        case .lowerUUID(let id)?:
            write(byte: ClientToken.Code.lowerUUID)
            write(identifier: id)
        case .upperUUID(let id)?:
            write(byte: ClientToken.Code.upperUUID)
            write(identifier: id)
        case .text(let text)?:
            write(byte: ClientToken.Code.text)
            write(string: text)
        }
    }
}

extension BinaryReader {
    /// An optional ClientToken written by `BinaryWriter.write(optionalClientToken:)`. An unknown form byte, or a
    /// text that spells a UUID in one case (which has the UUID form), is an error: each token has one encoding.
    public mutating func readOptionalClientToken() throws(DecodeError) -> ClientToken? {
        let start = offset
        switch try readByte() {
        case ClientToken.Code.absent: return nil
        case ClientToken.Code.lowerUUID: return ClientToken(form: .lowerUUID(try readIdentifier()))
        case ClientToken.Code.upperUUID:
            let id = try readIdentifier()
            // Digits alone spell the same text in both cases, and such a text has the lower-case form.
            guard Self.hasHexLetter(id.high) || Self.hasHexLetter(id.low) else {
                throw DecodeError(.invalidValue, "an upper-case ClientToken UUID without letters", offset: start)
            }
            return ClientToken(form: .upperUUID(id))
        case ClientToken.Code.text:
            let token = ClientToken(try readString())
            guard case .text = token.form else {
                throw DecodeError(.invalidValue, "a ClientToken text spells a UUID in one case", offset: start)
            }
            return token
        case let code:
            throw DecodeError(.invalidValue, "ClientToken form \(code)", offset: start)
        }
    }

    /// Whether a hex digit of `word` is a letter (a–f): a nibble of 10 or more has its top bit and one of the two
    /// below it set.
    private static func hasHexLetter(_ word: UInt64) -> Bool {
        word & (word << 1 | word << 2) & 0x8888_8888_8888_8888 != 0
    }

    /// The ClientToken of a `MessageSent` or `EventSent` of `version`: version 1 wrote it as an optional string.
    mutating func readClientToken(version: UInt8) throws(DecodeError) -> ClientToken? {
        version >= 2 ? try readOptionalClientToken() : try readOptionalString().map(ClientToken.init)
    }
}
