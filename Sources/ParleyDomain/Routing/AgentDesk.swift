// The agent desktop's domain side: passwords (PBKDF2-HMAC-SHA256 digests, derived outside the writer), login
// sessions (only the SHA-256 of a session token is recorded), a per-agent feed of contact-state and status changes
// (a projection the agent API streams), and agent actions addressed by contact id. Tags 0x014E–0x0150.

import Crypto
import CryptoExtras

/// A salted PBKDF2-HMAC-SHA256 password digest; the password itself is never recorded.
public struct PasswordCredential: Sendable, Equatable, Encodable {
    /// The salt (16 random bytes, chosen by whoever derives it).
    public var salt: [UInt8]
    /// PBKDF2 rounds.
    public var rounds: Int64
    /// The 32-byte derived key.
    public var digest: [UInt8]

    /// OWASP's figure for PBKDF2-HMAC-SHA256.
    public static let defaultRounds: Int64 = 600_000

    /// Creates a credential from its parts.
    public init(salt: [UInt8], rounds: Int64, digest: [UInt8]) {
        self.salt = salt
        self.rounds = rounds
        self.digest = digest
    }

    /// Derives a credential after checking Amazon Connect's password rules (8–64 characters with an upper-case
    /// letter, a lower-case letter and a digit). Slow by design: call it outside the writer.
    public static func derive(
        password: String,
        salt: [UInt8],
        rounds: Int64 = defaultRounds
    ) throws(ChatError) -> PasswordCredential {
        try checkPolicy(password)
        guard salt.count >= 8 else { throw ChatError(.invalidParameter, "the salt must be at least 8 bytes") }
        guard (1...10_000_000).contains(rounds) else {
            throw ChatError(.invalidParameter, "PBKDF2 rounds must be 1–10,000,000")
        }
        return PasswordCredential(salt: salt, rounds: rounds, digest: Self.key(password, salt, rounds))
    }

    /// Amazon Connect's password rules.
    public static func checkPolicy(_ password: String) throws(ChatError) {
        guard (8...64).contains(password.count) else {
            throw ChatError(.invalidParameter, "Password must be 8–64 characters")
        }
        guard password.contains(where: \.isUppercase), password.contains(where: \.isLowercase),
            password.contains(where: \.isNumber)
        else {
            throw ChatError(
                .invalidParameter,
                "Password must contain an upper-case letter, a lower-case letter and a number"
            )
        }
    }

    /// Whether `password` derives this digest (compared in constant time). Slow by design.
    public func matches(_ password: String) -> Bool {
        let candidate = Self.key(password, salt, rounds)
        guard candidate.count == digest.count else { return false }
        return zip(candidate, digest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func key(_ password: String, _ salt: [UInt8], _ rounds: Int64) -> [UInt8] {
        let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            using: .sha256,
            outputByteCount: 32,
            unsafeUncheckedRounds: Int(rounds)
        )
        return key.map { $0.withUnsafeBytes { Array($0) } } ?? []
    }
}

/// A login session: who, and since when (µs).
public struct AgentLogin: Sendable, Equatable, Encodable {
    /// The user.
    public var userId: String
    /// When the session began (µs).
    public var since: Int64
}

/// What an entry of an agent's feed is about.
public enum AgentFeedKind: UInt8, Sendable, Encodable, CustomStringConvertible {
    /// Encodes as its name.
    public func encode(to encoder: any Encoder) throws { try encodeDescription(self, to: encoder) }
    /// A contact's agent-side state changed.
    case contact = 1
    /// The agent's status changed.
    case status = 2
    /// The agent logged in or out.
    case session = 3

    /// `CONTACT`, `STATUS` or `SESSION`.
    public var description: String {
        switch self {
        case .contact: "CONTACT"
        case .status: "STATUS"
        case .session: "SESSION"
        }
    }
}

/// One entry of an agent's feed.
public struct AgentFeedEntry: Sendable, Equatable, Encodable {
    /// Position in the agent's feed (1, 2, …): clients resume after the last one they saw.
    public var sequence: Int64 = 0
    /// When it happened (µs).
    public var timestamp: Int64 = 0
    /// What it is about.
    public var kind: AgentFeedKind
    /// The contact, for contact entries.
    public var contactId: Identifier?
    /// The contact state (CONNECTING, CONNECTED, ENDED, MISSED, REJECTED, CLEARED), the status type, or
    /// LOGGED_IN / LOGGED_OUT.
    public var state: String
    /// The queue an offer came from.
    public var queueId: String?
    /// The status set, for status entries.
    public var statusId: String?
    /// The agent's participant token once CONNECTED (for CreateParticipantConnection).
    public var participantToken: String?
    /// Why (AGENT_NON_RESPONSE, AGENT_REJECTED, CUSTOMER_ABANDONED).
    public var reason: String?

    /// A contact entry.
    public init(
        contactId: Identifier,
        state: String,
        queueId: String? = nil,
        participantToken: String? = nil,
        reason: String? = nil
    ) {
        self.kind = .contact
        self.contactId = contactId
        self.state = state
        self.queueId = queueId
        self.participantToken = participantToken
        self.reason = reason
    }

    /// A status or session entry.
    public init(kind: AgentFeedKind, state: String, statusId: String? = nil) {
        self.kind = kind
        self.state = state
        self.statusId = statusId
    }
}

/// The newest entries of one agent's feed.
public struct AgentFeed: Sendable, Equatable, Encodable {
    /// Entries kept per agent; older ones drop off (the client then reloads the agent's state).
    public static let limit = 256
    /// The sequence of the newest entry (0: none yet).
    public var lastSequence: Int64 = 0
    /// The newest entries, oldest first.
    public var entries: [AgentFeedEntry] = []

    /// An empty feed.
    public init() {}

    /// The entries after `sequence`.
    public func entries(after sequence: Int64) -> ArraySlice<AgentFeedEntry> {
        let start = entries.firstIndex { $0.sequence > sequence } ?? entries.endIndex
        return entries[start...]
    }
}

/// Credentials, login sessions and feeds.
public struct AgentDesk: Sendable, Equatable, Encodable {
    /// Password digests by user id.
    public var credentials: TreeDictionary<String, PasswordCredential> = [:]
    /// Open sessions by the hex SHA-256 of their token.
    public var sessions: TreeDictionary<String, AgentLogin> = [:]
    /// Feeds by user id.
    public var feeds: TreeDictionary<String, AgentFeed> = [:]

    /// Drops everything of a deleted user.
    mutating func forget(_ userId: String) {
        credentials[userId] = nil
        feeds[userId] = nil
        sessions = sessions.filter { $0.value.userId != userId }
    }

    /// The hex SHA-256 of a session token: what the log and the state keep.
    public static func digest(ofToken token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}

/// A user's password was set (CreateUser's `Password`, or a reset).
public struct UserCredentialSet: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014E
    public static let name = "UserCredentialSet"
    public static let currentVersion: UInt8 = 1
    /// The user.
    public var userId: String
    /// The digest.
    public var credential: PasswordCredential

    /// Creates the event.
    public init(userId: String, credential: PasswordCredential) {
        self.userId = userId
        self.credential = credential
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: userId)
        writer.write(bytes: credential.salt)
        writer.write(int: credential.rounds)
        writer.write(bytes: credential.digest)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(
            userId: try reader.readString(),
            credential: PasswordCredential(
                salt: try reader.readBytes(),
                rounds: try reader.readInt(),
                digest: try reader.readBytes()
            )
        )
    }
}

/// An agent logged in; only the SHA-256 of the session token is recorded.
public struct AgentLoggedIn: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x014F
    public static let name = "AgentLoggedIn"
    public static let currentVersion: UInt8 = 1
    /// The user.
    public var userId: String
    /// Hex SHA-256 of the session token.
    public var sessionDigest: String

    /// Creates the event.
    public init(userId: String, sessionDigest: String) {
        self.userId = userId
        self.sessionDigest = sessionDigest
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: userId)
        writer.write(string: sessionDigest)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(userId: try reader.readString(), sessionDigest: try reader.readString())
    }
}

/// An agent logged out (or its session was ended).
public struct AgentLoggedOut: VersionedEvent, Encodable {
    public static let tag: UInt16 = 0x0150
    public static let name = "AgentLoggedOut"
    public static let currentVersion: UInt8 = 1
    /// The user.
    public var userId: String
    /// Hex SHA-256 of the session token.
    public var sessionDigest: String

    /// Creates the event.
    public init(userId: String, sessionDigest: String) {
        self.userId = userId
        self.sessionDigest = sessionDigest
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(string: userId)
        writer.write(string: sessionDigest)
    }

    public static func decode(version: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> Self {
        Self(userId: try reader.readString(), sessionDigest: try reader.readString())
    }
}

extension ChatMachine {
    /// Appends an entry to a user's feed (users only: a `joinAgent` with an unknown agent id has no feed).
    static func appendAgentFeed(
        _ userId: String,
        _ entry: AgentFeedEntry,
        at timestamp: Int64,
        to state: inout ChatState
    ) {
        guard state.users[userId] != nil else { return }
        var feed = state.agentDesk.feeds[userId] ?? AgentFeed()
        var entry = entry
        feed.lastSequence += 1
        entry.sequence = feed.lastSequence
        entry.timestamp = timestamp
        feed.entries.append(entry)
        if feed.entries.count > AgentFeed.limit { feed.entries.removeFirst(feed.entries.count - AgentFeed.limit) }
        state.agentDesk.feeds[userId] = feed
    }

    /// Folds the agent desk's events.
    static func applyAgentDesk(_ event: ChatEvent, at timestamp: Int64, to state: inout ChatState) {
        switch event {
        case .userCredentialSet(let event):
            state.agentDesk.credentials[event.userId] = event.credential
        case .agentLoggedIn(let event):
            state.agentDesk.sessions[event.sessionDigest] = AgentLogin(userId: event.userId, since: timestamp)
            appendAgentFeed(event.userId, AgentFeedEntry(kind: .session, state: "LOGGED_IN"), at: timestamp, to: &state)
        case .agentLoggedOut(let event):
            state.agentDesk.sessions[event.sessionDigest] = nil
            appendAgentFeed(
                event.userId,
                AgentFeedEntry(kind: .session, state: "LOGGED_OUT"),
                at: timestamp,
                to: &state
            )
        default:
            break
        }
    }
}

extension Transaction {
    /// Sets a user's password digest (derived by the caller with `PasswordCredential.derive`).
    mutating func setUserCredential(
        _ instanceId: String,
        _ userId: String,
        _ credential: PasswordCredential
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        _ = try existingUser(userId)
        guard credential.digest.count == 32, credential.salt.count >= 8, credential.rounds > 0 else {
            throw ChatError(.invalidParameter, "the credential is not a PBKDF2-HMAC-SHA256 digest")
        }
        emit(.userCredentialSet(UserCredentialSet(userId: userId, credential: credential)))
        return .done
    }

    /// Opens a session for a user whose password the caller has verified against `credential` (the digest it
    /// checked: a password changed in between refuses the login). Returns the session token once.
    mutating func agentLogin(
        _ instanceId: String,
        _ userId: String,
        verified credential: PasswordCredential
    ) throws(ChatError) -> ChatReply {
        try checkInstance(instanceId)
        _ = try existingUser(userId)
        guard state.agentDesk.credentials[userId] == credential else {
            throw ChatError(.unauthorized, "wrong username or password")
        }
        let token = newToken()
        emit(.agentLoggedIn(AgentLoggedIn(userId: userId, sessionDigest: AgentDesk.digest(ofToken: token))))
        return .agentSession(userId: userId, sessionToken: token)
    }

    /// Ends a session. The agent's last session ending sets the instance's OFFLINE status; refused while the agent
    /// has a chat ringing or connected.
    mutating func agentLogout(_ sessionToken: String) throws(ChatError) -> ChatReply {
        let digest = AgentDesk.digest(ofToken: sessionToken)
        guard let login = state.agentDesk.sessions[digest] else {
            throw ChatError(.unauthorized, "the session is not valid")
        }
        if let busy = state.agents[login.userId]?.slots.first(where: {
            [.offered, .connected].contains($0.value.state)
        }) {
            throw ChatError(.invalidRequest, "contact \(busy.key) is still \(busy.value.state); end it first")
        }
        emit(.agentLoggedOut(AgentLoggedOut(userId: login.userId, sessionDigest: digest)))
        let others = state.agentDesk.sessions.values.contains { $0.userId == login.userId }
        if !others, let offline = state.agentStatuses.values.first(where: { $0.type == .offline }),
            state.agents[login.userId].map({ $0.statusType != .offline }) == true
        {
            emit(
                .agentStatusChanged(
                    AgentStatusChanged(userId: login.userId, statusId: offline.statusId, statusType: .offline)
                )
            )
        }
        return .done
    }

    /// The agent's own participant in the contact it is connected to.
    func agentParticipant(_ userId: String, _ contactText: String) throws(ChatError) -> (ChatSession, Participant) {
        let contact = try contact(contactText)
        guard contact.agentId == userId, let participantId = contact.agentParticipantId,
            let chat = state.chats[contact.chatId], let participant = chat.participants[participantId]
        else { throw ChatError(.accessDenied, "\(userId) is not the agent of contact \(contactText)") }
        guard state.isActive(chat, at: now) else { throw ChatError(.accessDenied, "the chat has ended") }
        guard participant.isPresent else { throw ChatError(.accessDenied, "\(userId) has left contact \(contactText)") }
        return (chat, participant)
    }

    /// The agent leaves the chat (the agent desktop's "End chat"); after-contact work follows.
    mutating func agentDisconnect(_ userId: String, _ contactId: String) throws(ChatError) -> ChatReply {
        let (chat, participant) = try agentParticipant(userId, contactId)
        disconnect(chat, participant)
        return .done
    }

    /// The agent transfers the chat to a queue or an agent (the agent desktop's quick connect).
    mutating func agentTransfer(
        _ userId: String,
        _ contactId: String,
        queueId: String?,
        agentId: String?,
        flowId: String?
    ) throws(ChatError) -> ChatReply {
        let (chat, participant) = try agentParticipant(userId, contactId)
        return try transfer(chat, participant, queueId: queueId, agentId: agentId, flowId: flowId)
    }
}

extension ChatQueries {
    /// The user a session token belongs to, if the session is open.
    public static func agentUser(sessionToken: String, in state: ChatState) -> String? {
        agentLogin(sessionToken: sessionToken, in: state)?.userId
    }

    /// The open session of a token: its user and when it began.
    public static func agentLogin(sessionToken: String, in state: ChatState) -> AgentLogin? {
        state.agentDesk.sessions[AgentDesk.digest(ofToken: sessionToken)]
    }

    /// The user with `username`.
    public static func user(named username: String, in state: ChatState) -> AgentUser? {
        state.users.values.first { $0.username == username }
    }
}
