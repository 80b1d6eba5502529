import EventLog
import Foundation
import Logging

/// How a server runs: where its data lives, where it listens and how it writes. Read from an optional JSON file,
/// then overridden by command-line flags (see `resolve(file:overrides:)`).
///
/// The JSON file is one object with any of the fields below (unknown fields are refused, so a typo is not silently
/// ignored):
///
/// ```json
/// {"dataDirectory": "/var/lib/parley", "host": "127.0.0.1", "port": 8321, "socketPath": "/run/parley.sock",
///  "durability": "always", "logLevel": "info", "maxBodyBytes": 1048576, "maxReadWaitMilliseconds": 10000,
///  "checkpointEveryEvents": 50000, "concurrentActiveChats": 500, "segmentBytes": 67108864,
///  "preallocationBytes": 4194304,
///  "accessKeys": {"AKIDPARLEYEXAMPLE": "a-secret-of-at-least-16-characters"}}
/// ```
///
/// `accessKeys` maps AWS access key ids to their secret keys: the Connect control plane accepts requests signed
/// (SigV4) with any of them and refuses every other request.
///
/// Relative paths are relative to the working directory of the process.
public struct ServerConfiguration: Codable, Sendable, Equatable {
    /// The data directory; the log lives in its `log/` subdirectory. Required.
    public var dataDirectory: String
    /// The address the HTTP API listens on (TCP).
    public var host: String
    /// The TCP port; 0 picks a free one (the listening line tells which).
    public var port: Int
    /// The query socket; nil means `<dataDirectory>/parley.sock`.
    public var socketPath: String?
    /// When the log syncs: `always`, `none` or `interval:MS` (see `Durability`).
    public var durability: String
    /// The lowest level logged: trace, debug, info, notice, warning, error or critical.
    public var logLevel: String
    /// The largest request body accepted, in bytes.
    public var maxBodyBytes: Int
    /// How long a query with `atLeast=<position>` waits for the engine to reach that position.
    public var maxReadWaitMilliseconds: Int
    /// Write a checkpoint (state and projections) after this many events; 0 writes one only at shutdown.
    public var checkpointEveryEvents: Int
    /// Concurrent active chats allowed in an instance created by CreateInstance (Amazon's default: 500).
    public var concurrentActiveChats: Int64
    /// A log segment is sealed and a new one begun when the next frame would make it larger than this.
    public var segmentBytes: Int64
    /// How far ahead of the write position the active segment is filled with zeros (0: not at all). The space is
    /// taken when the zeros are written, so a full disk shows when the log grows past them.
    public var preallocationBytes: Int64
    /// Access key id → secret access key: the credentials the control plane accepts SigV4 signatures from.
    public var accessKeys: [String: String]
    /// How long an agent desktop session lasts after its login, in seconds; then the agent logs in again.
    public var agentSessionSeconds: Int
    /// Failed logins to one user name within 5 minutes after which its logins are refused (429) until the oldest
    /// failure is 5 minutes old; 0 turns the guard off.
    public var maxFailedLogins: Int
    /// Create (on first start) and announce the demo instance; with no `accessKeys`, accept the demo key.
    public var demo: Bool
    /// Throttle the chat operations per instance (`ThrottlingException` 429 over the rate).
    public var throttling: Bool
    /// Rates that replace Amazon's defaults, by operation: `CreateParticipantConnection`, `SendMessage` (shared with
    /// SendEvent), `GetTranscript`, `DisconnectParticipant`, and every control-plane operation (`StartChatContact`,
    /// `CreateUser`, `GetMetricData`, …).
    public var throttles: [String: Throttles.Rate]
    /// Add `GET /bench/hello`, a fixed 13-byte answer on the same listener and middleware as the API, and
    /// `POST /bench/echo`, SendMessage's request and answer without the engine: the baselines the benchmark
    /// (`log-bench --only api`) sets SendMessage against. Off by default.
    public var benchHello: Bool

    /// The TCP port used when none is configured.
    public static let defaultPort = 8321
    /// The file name of the query socket inside the data directory.
    public static let defaultSocketName = "parley.sock"
    /// The body limit used when none is configured (1 MiB).
    public static let defaultMaxBodyBytes = 1 << 20
    /// The read-your-writes wait used when none is configured.
    public static let defaultMaxReadWaitMilliseconds = 10_000
    /// The checkpoint interval used when none is configured.
    public static let defaultCheckpointEveryEvents = 50_000
    /// The segment size used when none is configured (64 MiB).
    public static let defaultSegmentBytes: Int64 = 64 << 20
    /// The smallest segment size accepted (64 KiB: one frame of LZ4's window).
    public static let minimumSegmentBytes: Int64 = 64 << 10
    /// The preallocation used when none is configured (4 MiB).
    public static let defaultPreallocationBytes: Int64 = 4 << 20
    /// The agent session length used when none is configured (12 hours).
    public static let defaultAgentSessionSeconds = 12 * 3600
    /// The failed-login allowance used when none is configured.
    public static let defaultMaxFailedLogins = 5
    /// The concurrent chat quota of new instances when none is configured.
    public static let defaultConcurrentActiveChats: Int64 = 500
    /// The longest path a Unix domain socket address holds (`sun_path` less its terminating zero).
    public static let maxSocketPathBytes = 107

    /// A configuration with the defaults for everything but the data directory.
    public init(
        dataDirectory: String,
        host: String = "127.0.0.1",
        port: Int = ServerConfiguration.defaultPort,
        socketPath: String? = nil,
        durability: String = "always",
        logLevel: String = "info",
        maxBodyBytes: Int = ServerConfiguration.defaultMaxBodyBytes,
        maxReadWaitMilliseconds: Int = ServerConfiguration.defaultMaxReadWaitMilliseconds,
        checkpointEveryEvents: Int = ServerConfiguration.defaultCheckpointEveryEvents,
        concurrentActiveChats: Int64 = ServerConfiguration.defaultConcurrentActiveChats,
        segmentBytes: Int64 = ServerConfiguration.defaultSegmentBytes,
        preallocationBytes: Int64 = ServerConfiguration.defaultPreallocationBytes,
        accessKeys: [String: String] = [:],
        agentSessionSeconds: Int = ServerConfiguration.defaultAgentSessionSeconds,
        maxFailedLogins: Int = ServerConfiguration.defaultMaxFailedLogins,
        demo: Bool = false,
        throttling: Bool = true,
        throttles: [String: Throttles.Rate] = [:],
        benchHello: Bool = false
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.socketPath = socketPath
        self.durability = durability
        self.logLevel = logLevel
        self.maxBodyBytes = maxBodyBytes
        self.maxReadWaitMilliseconds = maxReadWaitMilliseconds
        self.checkpointEveryEvents = checkpointEveryEvents
        self.concurrentActiveChats = concurrentActiveChats
        self.segmentBytes = segmentBytes
        self.preallocationBytes = preallocationBytes
        self.accessKeys = accessKeys
        self.agentSessionSeconds = agentSessionSeconds
        self.maxFailedLogins = maxFailedLogins
        self.demo = demo
        self.throttling = throttling
        self.throttles = throttles
        self.benchHello = benchHello
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataDirectory, host, port, socketPath, durability, logLevel, maxBodyBytes, maxReadWaitMilliseconds
        case checkpointEveryEvents, concurrentActiveChats, segmentBytes, preallocationBytes, accessKeys, demo
        case throttling, throttles, agentSessionSeconds, maxFailedLogins, benchHello
    }

    /// Decodes the fields present; absent ones keep their defaults (`dataDirectory` may come from a flag later).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dataDirectory: try container.decodeIfPresent(String.self, forKey: .dataDirectory) ?? "")
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? port
        socketPath = try container.decodeIfPresent(String.self, forKey: .socketPath)
        durability = try container.decodeIfPresent(String.self, forKey: .durability) ?? durability
        logLevel = try container.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
        maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        maxReadWaitMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .maxReadWaitMilliseconds) ?? maxReadWaitMilliseconds
        checkpointEveryEvents =
            try container.decodeIfPresent(Int.self, forKey: .checkpointEveryEvents) ?? checkpointEveryEvents
        concurrentActiveChats =
            try container.decodeIfPresent(Int64.self, forKey: .concurrentActiveChats) ?? concurrentActiveChats
        segmentBytes = try container.decodeIfPresent(Int64.self, forKey: .segmentBytes) ?? segmentBytes
        preallocationBytes =
            try container.decodeIfPresent(Int64.self, forKey: .preallocationBytes) ?? preallocationBytes
        accessKeys = try container.decodeIfPresent([String: String].self, forKey: .accessKeys) ?? accessKeys
        agentSessionSeconds =
            try container.decodeIfPresent(Int.self, forKey: .agentSessionSeconds) ?? agentSessionSeconds
        maxFailedLogins = try container.decodeIfPresent(Int.self, forKey: .maxFailedLogins) ?? maxFailedLogins
        demo = try container.decodeIfPresent(Bool.self, forKey: .demo) ?? demo
        throttling = try container.decodeIfPresent(Bool.self, forKey: .throttling) ?? throttling
        throttles = try container.decodeIfPresent([String: Throttles.Rate].self, forKey: .throttles) ?? throttles
        benchHello = try container.decodeIfPresent(Bool.self, forKey: .benchHello) ?? benchHello
    }

    /// Values given on the command line; each one that is set replaces the file's.
    public struct Overrides: Sendable, Equatable {
        /// `--data`.
        public var dataDirectory: String?
        /// `--host`.
        public var host: String?
        /// `--port`.
        public var port: Int?
        /// `--socket`.
        public var socketPath: String?
        /// `--durability`.
        public var durability: String?
        /// `--log-level`.
        public var logLevel: String?
        /// `--demo`.
        public var demo: Bool?

        /// Creates overrides; nil leaves a value as configured.
        public init(
            dataDirectory: String? = nil,
            host: String? = nil,
            port: Int? = nil,
            socketPath: String? = nil,
            durability: String? = nil,
            logLevel: String? = nil,
            demo: Bool? = nil
        ) {
            self.dataDirectory = dataDirectory
            self.host = host
            self.port = port
            self.socketPath = socketPath
            self.durability = durability
            self.logLevel = logLevel
            self.demo = demo
        }
    }

    /// Reads `file` (if given), applies `overrides` and validates the result.
    /// - Parameters:
    ///   - file: A JSON configuration file, or nil for the defaults.
    ///   - overrides: Values from the command line.
    public static func resolve(file: String?, overrides: Overrides) throws(ServerError) -> ServerConfiguration {
        var configuration = ServerConfiguration(dataDirectory: "")
        if let file { configuration = try load(file: file) }
        if let value = overrides.dataDirectory { configuration.dataDirectory = value }
        if let value = overrides.host { configuration.host = value }
        if let value = overrides.port { configuration.port = value }
        if let value = overrides.socketPath { configuration.socketPath = value }
        if let value = overrides.durability { configuration.durability = value }
        if let value = overrides.logLevel { configuration.logLevel = value }
        if let value = overrides.demo { configuration.demo = value }
        try configuration.validate()
        return configuration
    }

    /// Reads a JSON configuration file (not yet validated: `dataDirectory` may still come from a flag).
    /// - Parameter file: The file's path.
    public static func load(file: String) throws(ServerError) -> ServerConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ServerError(
                .configurationFile,
                "cannot read \(file): \(error.localizedDescription)",
                underlying: error
            )
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ServerError(.configurationFile, "\(file) is not valid JSON", underlying: error)
        }
        guard let fields = object as? [String: Any] else {
            throw ServerError(.configurationFile, "\(file) must hold one JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServerError(
                .invalidConfiguration,
                "\(file): unknown field \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))",
                field: unknown
            )
        }
        do {
            return try JSONDecoder().decode(ServerConfiguration.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ServerError(
                .invalidConfiguration,
                "\(file): \(field) must be \(Self.describe(type))",
                field: field,
                underlying: DecodingError.typeMismatch(type, context)
            )
        } catch let DecodingError.valueNotFound(type, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ServerError(
                .invalidConfiguration,
                "\(file): \(field) must be \(Self.describe(type)), not null",
                field: field,
                underlying: DecodingError.valueNotFound(type, context)
            )
        } catch {
            throw ServerError(.configurationFile, "\(file): \(error)", underlying: error)
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        type == Int.self || type == Int64.self
            ? "an integer"
            : type == String.self
                ? "a string"
                : type == [String: String].self
                    ? "an object of strings" : type == Bool.self ? "true or false" : "\(type)"
    }

    /// Checks every field; the error names the first bad one.
    public func validate() throws(ServerError) {
        guard !dataDirectory.isEmpty else {
            throw ServerError(
                .invalidConfiguration,
                "dataDirectory is required (--data DIR or \"dataDirectory\" in the configuration file)",
                field: "dataDirectory"
            )
        }
        guard !host.isEmpty else {
            throw ServerError(.invalidConfiguration, "host must not be empty", field: "host")
        }
        guard (0...65_535).contains(port) else {
            throw ServerError(.invalidConfiguration, "port must be 0–65535, not \(port)", field: "port")
        }
        let socket = resolvedSocketPath
        guard !socket.isEmpty, socket.utf8.count <= Self.maxSocketPathBytes else {
            throw ServerError(
                .invalidConfiguration,
                "socketPath must be 1–\(Self.maxSocketPathBytes) bytes long, not \(socket.utf8.count): \(socket)",
                field: "socketPath"
            )
        }
        guard Durability(durability) != nil else {
            throw ServerError(
                .invalidConfiguration,
                "durability must be always, none or interval:MS, not \(durability)",
                field: "durability"
            )
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ServerError(
                .invalidConfiguration,
                "logLevel must be one of \(levels), not \(logLevel)",
                field: "logLevel"
            )
        }
        guard maxBodyBytes > 0 else {
            throw ServerError(.invalidConfiguration, "maxBodyBytes must be positive", field: "maxBodyBytes")
        }
        guard checkpointEveryEvents >= 0 else {
            throw ServerError(
                .invalidConfiguration,
                "checkpointEveryEvents must not be negative",
                field: "checkpointEveryEvents"
            )
        }
        guard concurrentActiveChats >= 1 else {
            throw ServerError(
                .invalidConfiguration,
                "concurrentActiveChats must be at least 1",
                field: "concurrentActiveChats"
            )
        }
        guard segmentBytes >= Self.minimumSegmentBytes else {
            throw ServerError(
                .invalidConfiguration,
                "segmentBytes must be at least \(Self.minimumSegmentBytes), not \(segmentBytes)",
                field: "segmentBytes"
            )
        }
        guard agentSessionSeconds >= 60 else {
            throw ServerError(
                .invalidConfiguration,
                "agentSessionSeconds must be at least 60, not \(agentSessionSeconds)",
                field: "agentSessionSeconds"
            )
        }
        guard maxFailedLogins >= 0 else {
            throw ServerError(.invalidConfiguration, "maxFailedLogins must not be negative", field: "maxFailedLogins")
        }
        guard preallocationBytes >= 0 else {
            throw ServerError(
                .invalidConfiguration,
                "preallocationBytes must not be negative",
                field: "preallocationBytes"
            )
        }
        if demo, accessKeys.isEmpty, !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw ServerError(
                .invalidConfiguration,
                "demo mode without accessKeys accepts a published key: it listens on 127.0.0.1, localhost or ::1 "
                    + "only, not \(host) (configure accessKeys to serve the demo elsewhere)",
                field: "host"
            )
        }
        for (operation, rate) in throttles.sorted(by: { $0.key < $1.key }) {
            guard Throttles.operations.contains(operation) else {
                let known = Throttles.operations.sorted().joined(separator: ", ")
                throw ServerError(
                    .invalidConfiguration,
                    "throttles: \(operation) is not a throttled operation (known: \(known))",
                    field: "throttles"
                )
            }
            guard rate.rate > 0, rate.rate.isFinite, rate.burst >= 1 else {
                throw ServerError(
                    .invalidConfiguration,
                    "throttles: \(operation) needs a positive rate and a burst of at least 1",
                    field: "throttles"
                )
            }
        }
        for (keyId, secret) in accessKeys.sorted(by: { $0.key < $1.key }) {
            guard (16...128).contains(keyId.count), keyId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else {
                throw ServerError(
                    .invalidConfiguration,
                    "accessKeys: an access key id must be 16–128 letters and digits, not \(keyId)",
                    field: "accessKeys"
                )
            }
            guard secret.count >= 16 else {
                throw ServerError(
                    .invalidConfiguration,
                    "accessKeys: the secret of \(keyId) must be at least 16 characters",
                    field: "accessKeys"
                )
            }
        }
        guard maxReadWaitMilliseconds >= 0 else {
            throw ServerError(
                .invalidConfiguration,
                "maxReadWaitMilliseconds must not be negative",
                field: "maxReadWaitMilliseconds"
            )
        }
    }

    /// The query socket's path: `socketPath`, or `parley.sock` in the data directory.
    public var resolvedSocketPath: String {
        if let socketPath { return socketPath }
        let directory = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        return directory + "/" + Self.defaultSocketName
    }

    /// The log options this configuration asks for.
    public var logOptions: EventLogOptions {
        var options = EventLogOptions()
        options.durability = Durability(durability) ?? .always
        options.segmentSize = segmentBytes
        options.preallocationBytes = preallocationBytes
        return options
    }

    /// The access keys the control plane accepts: the configured ones, or in demo mode without any, the demo key.
    public var effectiveAccessKeys: [String: String] {
        guard accessKeys.isEmpty, demo else { return accessKeys }
        return [DemoInstance.demoAccessKeyId: DemoInstance.demoSecretAccessKey]
    }

    /// The configured log level (info if the name is unknown; `validate()` refuses that).
    public var loggerLevel: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }
}
