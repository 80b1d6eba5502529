import EventLog
import Foundation
import Logging
import ParleyDomain
import ParleyEngine
import ParleyServer
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A temporary data directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        // Short, so that the socket path stays well inside sun_path's 107 bytes.
        path = "/tmp/parley-srv-" + UUID().uuidString.prefix(13).lowercased()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var socketPath: String { path + "/parley.sock" }
}

/// A server running in this process on port 0, with its task.
struct RunningServer {
    let server: ParleyServer
    let task: Task<Void, any Error>
    let addresses: ListeningAddresses

    /// Starts a server on `directory` and waits until both listeners are bound.
    static func start(
        in directory: TemporaryDirectory,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> RunningServer {
        var configuration = ServerConfiguration(
            dataDirectory: directory.path,
            port: 0,
            durability: "none",
            accessKeys: [testSigner.accessKeyId: testSigner.secretAccessKey],
            // Tests make calls faster than Amazon's per-instance rates; ThrottleTests turn them on.
            throttling: false
        )
        configure(&configuration)
        let server = ParleyServer(
            configuration: configuration,
            logger: testLogger,
            lambdaTransport: { _ in .failure("no Lambda in tests") }
        )
        let task = Task { try await server.run() }
        do {
            let addresses = try await server.listening()
            return RunningServer(server: server, task: task, addresses: addresses)
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
    }

    /// Shuts the server down gracefully and waits until `run()` returned.
    func stop() async throws {
        await server.shutdown()
        try await task.value
    }

    /// GET (or another method) over the query socket.
    func query(_ target: String, method: String = "GET", body: String? = nil) async throws -> LocalHTTPResponse {
        try await LocalHTTPClient.send(method, target, body: body.map { Array($0.utf8) }, socketPath: addresses.socket)
    }

    /// GET over TCP with URLSession.
    func http(_ path: String) async throws -> (status: Int, headers: [String: String], body: Data) {
        let url = try #require(URL(string: addresses.http + path))
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        let headers = http.lowercasedHeaders
        return (http.statusCode, headers, data)
    }
}

extension HTTPURLResponse {
    /// The response headers, names lower-cased.
    var lowercasedHeaders: [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in allHeaderFields {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return headers
    }
}

/// The access key every test server accepts, and the signer of `RunningServer.connect`.
let testSigner = SigV4Signer(accessKeyId: "AKIDPARLEYTESTS0001", secretAccessKey: "parley-test-secret-0001")

/// Logs warnings and worse to standard error.
let testLogger: Logger = {
    var logger = Logger(label: "parley.tests")
    logger.logLevel = .warning
    return logger
}()

/// Writes an instance with the sample flows and `chats` chats (each with an initial message) into `directory`.
@discardableResult
func seed(_ directory: TemporaryDirectory, chats: Int = 1) async throws -> [Identifier] {
    let engine = try await Engine<ChatMachine>.open(dataDirectory: directory.path)
    var contacts: [Identifier] = []
    do {
        _ = try await engine.submit(.configureInstance(instanceId: "test-instance", concurrentActiveChats: 100)).get()
        for command in SampleFlows.setup(instanceId: "test-instance") { _ = try await engine.submit(command).get() }
        for index in 0..<chats {
            let start = StartChatContactRequest(
                instanceId: "test-instance",
                contactFlowId: SampleFlows.inboundId,
                displayName: "Customer \(index)",
                attributes: [:],
                initialMessage: .init(contentType: ContentTypes.plainText, content: "Hello \(index)")
            )
            guard case .chatStarted(let started) = try await engine.submit(.startChatContact(start)).get() else {
                throw TestFailure("startChatContact did not start a chat")
            }
            contacts.append(started.contactId)
        }
    } catch {
        await engine.close()
        throw error
    }
    await engine.close()
    return contacts
}

/// Decodes a JSON object.
func object(_ bytes: some Sequence<UInt8>) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(bytes))
    return try #require(value as? [String: Any])
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The answer of a control-plane call.
struct ConnectAnswer {
    /// The HTTP status.
    var status: Int
    /// The response headers, names lower-cased.
    var headers: [String: String]
    /// The JSON body (an empty object when the body is empty).
    var json: [String: Any]

    /// `x-amzn-errortype`, for an error answer.
    var errorType: String? { headers["x-amzn-errortype"] }
}

extension RunningServer {
    /// Calls the Connect control plane over TCP the way the AWS SDKs do (JSON body, `Content-Type:
    /// application/x-amz-json-1.1`), signed with the test credentials once the server checks SigV4.
    /// - Parameters:
    ///   - method: GET, PUT, POST or DELETE.
    ///   - path: The path and query, already percent-encoded.
    ///   - body: A JSON object, or nil for no body.
    func connect(
        _ method: String,
        _ path: String,
        _ body: [String: Any]? = nil,
        raw: String? = nil,
        signer: SigV4Signer? = testSigner
    ) async throws -> ConnectAnswer {
        let url = try #require(URL(string: addresses.http + path))
        var request = URLRequest(url: url)
        request.httpMethod = method
        var bytes: [UInt8] = []
        if let body { bytes = Array(try JSONSerialization.data(withJSONObject: body)) }
        if let raw { bytes = Array(raw.utf8) }
        if body != nil || raw != nil {
            request.httpBody = Data(bytes)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let signer {
            let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
            let headers = signer.headers(
                method: method,
                rawPath: parts[0],
                rawQuery: parts.count > 1 ? parts[1] : nil,
                host: "\(url.host ?? "127.0.0.1"):\(addresses.port)",
                contentType: body == nil && raw == nil ? nil : "application/json",
                body: bytes,
                now: Int64(Date().timeIntervalSince1970 * 1_000_000)
            )
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        let json = (try? object(data)) ?? [:]
        return ConnectAnswer(status: http.statusCode, headers: http.lowercasedHeaders, json: json)
    }

    /// Creates an instance through CreateInstance and returns its id.
    func createInstance(alias: String? = nil) async throws -> String {
        var body: [String: Any] = [
            "IdentityManagementType": "CONNECT_MANAGED", "InboundCallsEnabled": true, "OutboundCallsEnabled": false,
        ]
        if let alias { body["InstanceAlias"] = alias }
        let answer = try await connect("PUT", "/instance", body)
        guard answer.status == 200, let id = answer.json["Id"] as? String else {
            throw TestFailure("CreateInstance answered \(answer.status): \(answer.json)")
        }
        return id
    }
}
