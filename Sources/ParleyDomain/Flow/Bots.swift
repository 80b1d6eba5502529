// The built-in bot behind ConnectParticipantWithLexBot: its definition (a resource, published as events), the
// events of the bot (tags 0x0130–0x0137) and the classifier. The runtime is in FlowBot.swift.

/// How a slot's value is found in a customer message.
public enum BotSlotType: Sendable, Hashable, Encodable {
    /// A whole or decimal number (`42`, `-3`, `2.5`); `#` and currency signs around it are ignored.
    case number
    /// An email address (`ana@example.com`).
    case email
    /// A calendar date written `yyyy-mm-dd`.
    case date
    /// One of these values, matched case- and punctuation-insensitively; the value is recorded as defined.
    case values([String])
    /// A regular expression (Swift `Regex` syntax); the first non-empty match is the value.
    case pattern(String)

    /// A key naming the kind and its parameters: slots with the same key take successive matches.
    var key: String {
        switch self {
        case .number: "number"
        case .email: "email"
        case .date: "date"
        case .values(let values): "values:" + values.joined(separator: "\u{1F}")
        case .pattern(let pattern): "pattern:" + pattern
        }
    }
}

/// A slot of an intent: a named value filled from the message.
public struct BotSlot: Sendable, Hashable, Encodable {
    /// The slot name (`$.Lex.Slots.<name>`).
    public var name: String
    /// How its value is found.
    public var type: BotSlotType

    /// Creates a slot.
    public init(name: String, type: BotSlotType) {
        self.name = name
        self.type = type
    }
}

/// An intent: what a customer may want, recognised by sample utterances and keywords.
public struct BotIntent: Sendable, Hashable, Encodable {
    /// The intent name: the block's result, compared by its `Equals` conditions.
    public var name: String
    /// Sample utterances; `{SlotName}` placeholders are ignored when scoring.
    public var utterances: [String]
    /// Words or phrases that point to this intent on their own.
    public var keywords: [String]
    /// The slots filled when this intent is chosen.
    public var slots: [BotSlot]
    /// What the bot answers when it chooses this intent (`{SlotName}` is replaced by the slot's value), if anything.
    public var reply: String?

    /// Creates an intent.
    public init(
        name: String,
        utterances: [String] = [],
        keywords: [String] = [],
        slots: [BotSlot] = [],
        reply: String? = nil
    ) {
        self.name = name
        self.utterances = utterances
        self.keywords = keywords
        self.slots = slots
        self.reply = reply
    }
}

/// A bot: its intents, the fallback, and its session settings.
public struct BotDefinition: Sendable, Hashable, Encodable {
    /// The default Lex session timeout (5 minutes), in seconds.
    public static let defaultSessionTimeoutSeconds: Int64 = 300
    /// Allowed session timeouts: 1 minute to 24 hours, in seconds.
    public static let sessionTimeoutRange: ClosedRange<Int64> = 60...86_400
    /// The most intents a bot may have.
    public static let maxIntents = 100
    /// The most utterances, keywords or slot values an intent may list.
    public static let maxEntries = 1_000
    /// The longest utterance, keyword, slot value or pattern, in characters.
    public static let maxEntryLength = 500

    /// The intents, in priority order (a tie goes to the earlier one).
    public var intents: [BotIntent]
    /// The intent chosen when no intent scores at least `BotClassifier.threshold`.
    public var fallbackIntent: String
    /// What the bot answers when it falls back, if anything.
    public var fallbackReply: String?
    /// The session timeout in seconds: the default chat timeout of a block without `LexTimeoutSeconds.Text`.
    public var sessionTimeoutSeconds: Int64
    /// The prompt sent when the block has no `Text`, if any.
    public var greeting: String?

    /// Creates a definition.
    public init(
        intents: [BotIntent],
        fallbackIntent: String = "FallbackIntent",
        fallbackReply: String? = nil,
        sessionTimeoutSeconds: Int64 = BotDefinition.defaultSessionTimeoutSeconds,
        greeting: String? = nil
    ) {
        self.intents = intents
        self.fallbackIntent = fallbackIntent
        self.fallbackReply = fallbackReply
        self.sessionTimeoutSeconds = sessionTimeoutSeconds
        self.greeting = greeting
    }

    /// Throws `InvalidParameterException` unless the definition is usable (see docs/flows.md, "Bots").
    public func validate() throws(ChatError) {
        guard (1...Self.maxIntents).contains(intents.count) else {
            throw ChatError(.invalidParameter, "a bot needs 1–\(Self.maxIntents) intents")
        }
        try Self.checkName(fallbackIntent, "the fallback intent name")
        var names: Set<String> = [fallbackIntent]
        for intent in intents {
            try Self.checkName(intent.name, "intent name \"\(intent.name.prefix(100))\"")
            guard names.insert(intent.name).inserted else {
                throw ChatError(.invalidParameter, "intent name \(intent.name) is used twice (or is the fallback)")
            }
            guard !intent.utterances.isEmpty || !intent.keywords.isEmpty else {
                throw ChatError(.invalidParameter, "intent \(intent.name) needs an utterance or a keyword")
            }
            guard intent.utterances.count <= Self.maxEntries, intent.keywords.count <= Self.maxEntries else {
                throw ChatError(.invalidParameter, "intent \(intent.name) lists more than \(Self.maxEntries) entries")
            }
            for text in intent.utterances + intent.keywords {
                try Self.checkEntry(text, "an utterance or keyword of intent \(intent.name)")
            }
            var slotNames: Set<String> = []
            for slot in intent.slots {
                try Self.checkName(slot.name, "slot name \"\(slot.name.prefix(100))\" of intent \(intent.name)")
                guard slotNames.insert(slot.name).inserted else {
                    throw ChatError(.invalidParameter, "slot \(slot.name) of intent \(intent.name) is used twice")
                }
                try Self.checkSlotType(slot.type, "slot \(slot.name) of intent \(intent.name)")
            }
            try Self.checkMessage(intent.reply, "the reply of intent \(intent.name)")
        }
        try Self.checkMessage(fallbackReply, "the fallback reply")
        try Self.checkMessage(greeting, "the greeting")
        guard Self.sessionTimeoutRange.contains(sessionTimeoutSeconds) else {
            throw ChatError(.invalidParameter, "the session timeout must be 60–86400 seconds (1 minute to 24 hours)")
        }
    }

    /// Bot, intent and slot names: 1–100 letters, digits, `_` and `-`, starting with a letter or digit.
    static func checkName(_ name: String, _ what: String) throws(ChatError) {
        guard (1...100).contains(name.count), let first = name.unicodeScalars.first, first.isASCIIAlphanumeric,
            name.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "_" || $0 == "-" })
        else {
            throw ChatError(.invalidParameter, "\(what) must be 1–100 letters, digits, _ and -, starting alphanumeric")
        }
    }

    static func checkEntry(_ text: String, _ what: String) throws(ChatError) {
        guard text.count <= Self.maxEntryLength else {
            throw ChatError(.invalidParameter, "\(what) is longer than \(Self.maxEntryLength) characters")
        }
        guard !BotClassifier.tokens(BotClassifier.removingPlaceholders(text)).isEmpty else {
            throw ChatError(.invalidParameter, "\(what) is empty (it has no letters or digits)")
        }
    }

    static func checkSlotType(_ type: BotSlotType, _ what: String) throws(ChatError) {
        switch type {
        case .number, .email, .date:
            return
        case .values(let values):
            guard (1...Self.maxEntries).contains(values.count) else {
                throw ChatError(.invalidParameter, "\(what) needs 1–\(Self.maxEntries) values")
            }
            for value in values { try checkEntry(value, "a value of \(what)") }
        case .pattern(let pattern):
            guard (1...Self.maxEntryLength).contains(pattern.count) else {
                throw ChatError(.invalidParameter, "the pattern of \(what) must be 1–\(Self.maxEntryLength) characters")
            }
            do {
                _ = try Regex(pattern)
            } catch {
                throw ChatError(.invalidParameter, "the pattern of \(what) does not compile: \(error)")
            }
        }
    }

    static func checkMessage(_ text: String?, _ what: String) throws(ChatError) {
        guard let text else { return }
        guard !text.trimmingWhitespace().isEmpty, text.utf8.count <= ContentTypes.maxContentBytes else {
            throw ChatError(.invalidParameter, "\(what) must be 1–\(ContentTypes.maxContentBytes) bytes")
        }
    }
}

/// A published bot and all its versions (a conversation keeps the version it started with).
public struct BotResource: Sendable, Equatable, Encodable {
    /// The bot id.
    public var botId: String
    /// The bot name.
    public var name: String
    /// Every version's definition, oldest first (version n is `definitions[n - 1]`).
    public var definitions: [BotDefinition]
    /// When each version was published (µs).
    public var publishedAt: [Int64]

    /// The newest version number.
    public var latestVersion: Int { definitions.count }

    /// The definition of `version` (1-based).
    public func definition(version: Int) -> BotDefinition? {
        definitions.indices.contains(version - 1) ? definitions[version - 1] : nil
    }
}

// MARK: - Events

/// A bot version was published (`createBot` / `updateBot`).
public struct BotPublished: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0130
    public static let name = "BotPublished"
    public static let currentVersion: UInt8 = 1
    /// The bot id.
    public var botId: String
    /// The bot name.
    public var botName: String
    /// The version this publishes (1 for a new bot).
    public var version: Int64
    /// The definition.
    public var definition: BotDefinition

    /// Creates the event.
    public init(botId: String, botName: String, version: Int64, definition: BotDefinition) {
        self.botId = botId
        self.botName = botName
        self.version = version
        self.definition = definition
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: botId)
        writer.write(string: botName)
        writer.write(int: version)
        let definition = definition
        writer.write(array: definition.intents) { writer, intent in
            writer.write(string: intent.name)
            writer.write(strings: intent.utterances)
            writer.write(strings: intent.keywords)
            writer.write(array: intent.slots) { writer, slot in
                writer.write(string: slot.name)
                switch slot.type {
                case .number: writer.write(string: "number")
                case .email: writer.write(string: "email")
                case .date: writer.write(string: "date")
                case .values(let values):
                    writer.write(string: "values")
                    writer.write(strings: values)
                case .pattern(let pattern):
                    writer.write(string: "pattern")
                    writer.write(string: pattern)
                }
            }
            writer.write(optionalString: intent.reply)
        }
        writer.write(string: definition.fallbackIntent)
        writer.write(optionalString: definition.fallbackReply)
        writer.write(int: definition.sessionTimeoutSeconds)
        writer.write(optionalString: definition.greeting)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        let botId = try reader.readString()
        let botName = try reader.readString()
        let botVersion = try reader.readInt()
        let intents = try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in
            BotIntent(
                name: try reader.readString(),
                utterances: try reader.readStrings(),
                keywords: try reader.readStrings(),
                slots: try reader.readArray { (reader: inout BinaryReader) throws(DecodeError) in
                    let name = try reader.readString()
                    let start = reader.offset
                    switch try reader.readString() {
                    case "number": return BotSlot(name: name, type: .number)
                    case "email": return BotSlot(name: name, type: .email)
                    case "date": return BotSlot(name: name, type: .date)
                    case "values": return BotSlot(name: name, type: .values(try reader.readStrings()))
                    case "pattern": return BotSlot(name: name, type: .pattern(try reader.readString()))
                    case let other:
                        throw DecodeError(.invalidValue, "slot type \(other.prefix(40)) is unknown", offset: start)
                    }
                },
                reply: try reader.readOptionalString()
            )
        }
        let definition = BotDefinition(
            intents: intents,
            fallbackIntent: try reader.readString(),
            fallbackReply: try reader.readOptionalString(),
            sessionTimeoutSeconds: try reader.readInt(),
            greeting: try reader.readOptionalString()
        )
        return Self(botId: botId, botName: botName, version: botVersion, definition: definition)
    }
}

/// A ConnectParticipantWithLexBot block handed the chat to a bot: the bot version is pinned for the conversation.
public struct BotSessionStarted: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0131
    public static let name = "BotSessionStarted"
    public static let currentVersion: UInt8 = 1
    /// The contact.
    public var contactId: Identifier
    /// The block's `Identifier`.
    public var action: String
    /// The bot.
    public var botId: String
    /// The bot version the conversation uses.
    public var botVersion: Int64
    /// The block's `LexSessionAttributes`, templated (`$.Lex.SessionAttributes.<name>`).
    public var sessionAttributes: [String: String]

    /// Creates the event.
    public init(
        contactId: Identifier,
        action: String,
        botId: String,
        botVersion: Int64,
        sessionAttributes: [String: String] = [:]
    ) {
        self.contactId = contactId
        self.action = action
        self.botId = botId
        self.botVersion = botVersion
        self.sessionAttributes = sessionAttributes
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(identifier: contactId)
        writer.write(string: action)
        writer.write(string: botId)
        writer.write(int: botVersion)
        writer.write(stringMap: sessionAttributes)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            contactId: try reader.readIdentifier(),
            action: try reader.readString(),
            botId: try reader.readString(),
            botVersion: try reader.readInt(),
            sessionAttributes: try reader.readStringMap()
        )
    }
}

// MARK: - Resources

extension Transaction {
    /// A bot by id, by name, or by a part of an alias ARN (`…:bot-alias/<bot id>/<alias id>`), last part first.
    func resolveBot(_ reference: String) -> BotResource? {
        let reference = String(reference.trimmingWhitespace())
        guard !reference.isEmpty else { return nil }
        func find(_ key: String) -> BotResource? {
            state.bots[key] ?? state.bots.values.sorted { $0.botId < $1.botId }.first { $0.name == key }
        }
        if let bot = find(reference) { return bot }
        for part in reference.split(separator: "/").reversed() where !part.contains(":") {
            if let bot = find(String(part)) { return bot }
        }
        return nil
    }

    mutating func createBot(
        _ instanceId: String,
        _ botId: String?,
        _ name: String,
        _ definition: BotDefinition
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        try BotDefinition.checkName(name, "the bot name")
        if let botId {
            guard (1...256).contains(botId.count), !botId.contains("/"), !botId.contains(":") else {
                throw ChatError(.invalidParameter, "the bot id must be 1–256 characters without / or :")
            }
        }
        if state.bots.values.contains(where: { $0.name == name }) {
            throw ChatError(.duplicateResource, "a bot named \(name) exists already")
        }
        try definition.validate()
        let id = botId ?? newId().description
        guard state.bots[id] == nil else { throw ChatError(.duplicateResource, "bot \(id) exists already") }
        emit(.botPublished(BotPublished(botId: id, botName: name, version: 1, definition: definition)))
        return .botPublished(botId: id, version: 1)
    }

    mutating func updateBot(
        _ instanceId: String,
        _ botId: String,
        _ definition: BotDefinition
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        guard let bot = resolveBot(botId) else {
            throw ChatError(.resourceNotFound, "bot \(botId) does not exist", resourceId: botId, resourceType: "BOT")
        }
        try definition.validate()
        let version = bot.latestVersion + 1
        emit(
            .botPublished(
                BotPublished(botId: bot.botId, botName: bot.name, version: Int64(version), definition: definition)
            )
        )
        return .botPublished(botId: bot.botId, version: version)
    }
}

extension ChatMachine {
    static func applyBotPublished(_ event: BotPublished, at timestamp: Int64, to state: inout ChatState) {
        var bot =
            state.bots[event.botId]
            ?? BotResource(botId: event.botId, name: event.botName, definitions: [], publishedAt: [])
        bot.name = event.botName
        bot.definitions.append(event.definition)
        bot.publishedAt.append(timestamp)
        state.bots[event.botId] = bot
    }

    static func applyBotSessionStarted(_ event: BotSessionStarted, to state: inout ChatState) {
        guard var run = state.contacts[event.contactId]?.flowRun else { return }
        // The results of an earlier bot stay readable until this conversation classifies something.
        let previous = run.lex
        run.lex = BotSession(
            botId: event.botId,
            botVersion: Int(event.botVersion),
            action: event.action,
            sessionAttributes: event.sessionAttributes,
            intent: previous?.intent,
            confidence: previous?.confidence,
            slots: previous?.slots ?? [:]
        )
        state.contacts[event.contactId]?.flowRun = run
    }
}

// MARK: - Classifier

/// What the classifier chose for one message.
public struct BotClassification: Sendable, Equatable {
    /// The intent name (the fallback intent when nothing scored high enough).
    public var intent: String
    /// The best score, 0–1 in hundredths (for a fallback: the best score that fell short).
    public var confidence: Double
    /// Slot values by slot name (only the slots found).
    public var slots: [String: String]
    /// Whether the fallback intent was chosen.
    public var isFallback: Bool

    /// The confidence as recorded: two decimals (`0.85`, `1.00`).
    public var confidenceText: String {
        let hundredths = Int((confidence * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// The bot's classifier: deterministic and pure (the same text and definition always give the same result).
public enum BotClassifier {
    /// The least score an intent needs; below it the fallback intent is chosen.
    public static let threshold = 0.5

    /// Words that say little about an intent; they are left out of utterance overlap unless nothing else remains.
    static let stopWords: Set<String> = [
        "a", "an", "and", "am", "are", "at", "be", "can", "could", "do", "for", "hi", "hello", "i", "im", "in", "is",
        "it", "me", "my", "of", "on", "or", "please", "so", "that", "the", "this", "to", "would", "you", "your",
    ]

    /// Lower-cased words of letters and digits; everything else separates words. A plural `s` is dropped from words
    /// longer than three letters, so "refunds" matches "refund".
    public static func tokens(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == "'" || character == "’" {
                continue  // "don't" → "dont"
            } else if !current.isEmpty {
                words.append(stem(current))
                current = ""
            }
        }
        if !current.isEmpty { words.append(stem(current)) }
        return words
    }

    static func stem(_ word: String) -> String {
        word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") ? String(word.dropLast()) : word
    }

    /// The text without `{SlotName}` placeholders.
    static func removingPlaceholders(_ text: String) -> String {
        var out = ""
        var depth = 0
        for character in text {
            if character == "{" {
                depth += 1
            } else if character == "}", depth > 0 {
                depth -= 1
                out.append(" ")
            } else if depth == 0 {
                out.append(character)
            }
        }
        return out
    }

    static func contentWords(_ words: [String]) -> Set<String> {
        let content = Set(words.filter { !stopWords.contains($0) })
        return content.isEmpty ? Set(words) : content
    }

    /// Chooses the intent for `text`: keyword hits and overlap with the sample utterances, then slots by pattern.
    public static func classify(_ text: String, with definition: BotDefinition) -> BotClassification {
        let words = tokens(text)
        let content = contentWords(words)
        var best: (index: Int, score: Double)?
        for (index, intent) in definition.intents.enumerated() where !words.isEmpty {
            let score = self.score(intent, words: words, content: content)
            if score > (best?.score ?? 0) { best = (index, score) }
        }
        let rounded = ((best?.score ?? 0) * 100).rounded() / 100
        guard let best, rounded >= threshold else {
            return BotClassification(
                intent: definition.fallbackIntent,
                confidence: rounded,
                slots: [:],
                isFallback: true
            )
        }
        let intent = definition.intents[best.index]
        return BotClassification(
            intent: intent.name,
            confidence: rounded,
            slots: fillSlots(intent.slots, in: text),
            isFallback: false
        )
    }

    /// An intent's score for a message, 0–1: the stronger of its keyword and utterance scores, plus a quarter of
    /// the weaker one.
    static func score(_ intent: BotIntent, words: [String], content: Set<String>) -> Double {
        var hits = 0
        for keyword in intent.keywords where contains(words, tokens(keyword)) { hits += 1 }
        // One keyword is a fair signal, two a strong one, three certain.
        let keywordScore = hits == 0 ? 0 : min(1, 0.7 + 0.15 * Double(hits - 1))
        var utteranceScore = 0.0
        for utterance in intent.utterances {
            let sample = contentWords(tokens(removingPlaceholders(utterance)))
            guard !sample.isEmpty else { continue }
            let shared = Double(sample.intersection(content).count)
            // Mostly how much of the sample the message covers, a little how much of the message is the sample.
            let overlap = 0.8 * shared / Double(sample.count) + 0.2 * shared / Double(max(content.count, 1))
            utteranceScore = max(utteranceScore, overlap)
        }
        return min(1, max(keywordScore, utteranceScore) + 0.25 * min(keywordScore, utteranceScore))
    }

    /// Whether `phrase` occurs in `words` as consecutive words.
    static func contains(_ words: [String], _ phrase: [String]) -> Bool {
        firstIndex(of: phrase, in: words, from: 0) != nil
    }

    static func firstIndex(of phrase: [String], in words: [String], from start: Int) -> Int? {
        guard !phrase.isEmpty, words.count >= phrase.count, start <= words.count - phrase.count else { return nil }
        for index in start...(words.count - phrase.count) where Array(words[index..<index + phrase.count]) == phrase {
            return index
        }
        return nil
    }

    /// The slot values found in `text`. Slots of the same type take successive matches, in slot order.
    public static func fillSlots(_ slots: [BotSlot], in text: String) -> [String: String] {
        var found: [String: String] = [:]
        var used: [String: Int] = [:]
        var matchesByKey: [String: [String]] = [:]
        for slot in slots {
            let key = slot.type.key
            let matches = matchesByKey[key] ?? self.matches(slot.type, in: text)
            matchesByKey[key] = matches
            let position = used[key, default: 0]
            guard position < matches.count else { continue }
            found[slot.name] = matches[position]
            used[key] = position + 1
        }
        return found
    }

    /// Every value of `type` in `text`, in order of appearance.
    static func matches(_ type: BotSlotType, in text: String) -> [String] {
        let pieces = text.split(whereSeparator: \.isWhitespace).map(String.init)
        switch type {
        case .number:
            return pieces.compactMap { number(in: $0) }
        case .email:
            return pieces.compactMap { email(in: $0) }
        case .date:
            return pieces.compactMap { date(in: $0) }
        case .values(let values):
            return valueMatches(values, in: tokens(text))
        case .pattern(let pattern):
            guard let regex = try? Regex(pattern) else { return [] }
            return text.matches(of: regex).map { String(text[$0.range]) }.filter { !$0.isEmpty }
        }
    }

    /// The piece without the punctuation around it.
    static func trimmed(_ piece: String, keeping: Set<Character> = []) -> Substring {
        let isEdge = { (character: Character) in
            !(character.isLetter || character.isNumber) && !keeping.contains(character)
        }
        let start = piece.firstIndex { !isEdge($0) } ?? piece.endIndex
        let end = piece.lastIndex { !isEdge($0) }.map { piece.index(after: $0) } ?? start
        return piece[start..<max(start, end)]
    }

    static func number(in piece: String) -> String? {
        var text = trimmed(piece, keeping: ["-", "+"])
        if text.hasPrefix("+") { text = text.dropFirst() }
        let digits = text.hasPrefix("-") ? text.dropFirst() : text
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        return String(text)
    }

    static func email(in piece: String) -> String? {
        let text = trimmed(piece, keeping: ["_", "-", "+", "@", "."]).drop { $0 == "." }
        let end = text.lastIndex { $0 != "." }.map { text.index(after: $0) } ?? text.startIndex
        let address = text[..<end]
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let domain = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard domain.count >= 2, domain.allSatisfy({ !$0.isEmpty }) else { return nil }
        return String(address)
    }

    static func date(in piece: String) -> String? {
        let text = trimmed(piece)
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day) ? String(text) : nil
    }

    /// The listed values in the words, left to right; at one position the longest value wins, then the earliest
    /// listed. Matches do not overlap.
    static func valueMatches(_ values: [String], in words: [String]) -> [String] {
        let phrases = values.map { tokens($0) }
        var found: [String] = []
        var index = 0
        while index < words.count {
            var chosen: (value: Int, length: Int)?
            for (position, phrase) in phrases.enumerated()
            where !phrase.isEmpty && phrase.count > (chosen?.length ?? 0) && index + phrase.count <= words.count
                && Array(words[index..<index + phrase.count]) == phrase
            {
                chosen = (position, phrase.count)
            }
            if let chosen {
                found.append(values[chosen.value])
                index += chosen.length
            } else {
                index += 1
            }
        }
        return found
    }
}
