import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The query socket's file: refusing a live server's, replacing a stale one, restricting the mode.
enum QuerySocketFile {
    /// Gets `path` ready to bind: nothing there, or a stale socket (removed). A socket a live server answers on, or
    /// a file that is not a socket, is refused.
    static func prepare(_ path: String) throws(ServerError) {
        try checkDirectory(of: path)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw ServerError(.socketPath, "cannot inspect \(path): \(describe(errno: code))")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ServerError(.socketPath, "\(path) exists and is not a socket; remove it or choose another path")
        }
        switch LocalSocketConnection.probe(path) {
        case .live:
            throw ServerError(.socketInUse, "a server is already answering on \(path)")
        case .stale:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw ServerError(.socketPath, "cannot remove the stale socket \(path): \(describe(errno: errno))")
            }
        case .failed(let code):
            throw ServerError(.socketPath, "cannot check \(path): \(describe(errno: code))")
        }
    }

    /// Refuses a socket whose directory others can write to: they could replace the socket (or race its `chmod`)
    /// and answer in the server's place.
    static func checkDirectory(of path: String) throws(ServerError) {
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(parent, &info) == 0 else {
            throw ServerError(.socketPath, "cannot inspect the socket's directory \(parent): \(describe(errno: errno))")
        }
        guard info.st_mode & S_IWOTH == 0 else {
            throw ServerError(
                .socketPath,
                "the socket's directory \(parent) is writable by others (mode \(String(info.st_mode & 0o7777, radix: 8))); "
                    + "choose a directory only its owner can write (--socket PATH)"
            )
        }
    }

    /// Which file a path names: device and inode.
    struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    /// Makes the socket readable and writable by its owner only (0600) and returns which file it is.
    static func restrict(_ path: String) throws(ServerError) -> Identity {
        guard chmod(path, 0o600) == 0 else {
            throw ServerError(.socketPath, "cannot set the mode of \(path) to 0600: \(describe(errno: errno))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ServerError(.socketPath, "cannot inspect \(path): \(describe(errno: errno))")
        }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Removes the socket file at `path` if it is still the one this server bound.
    static func remove(_ path: String, identity: Identity) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK,
            Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) == identity
        else { return }
        unlink(path)
    }
}

/// The text of an `errno` value.
func describe(errno code: Int32) -> String {
    String(cString: strerror(code))
}

/// One answer of `LocalHTTPClient`.
public struct LocalHTTPResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The header fields, names lowercased, in order.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first value of the header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    /// Compares status, headers and body.
    public static func == (lhs: LocalHTTPResponse, rhs: LocalHTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }
}

/// A minimal HTTP/1.1 client over a Unix domain socket, for `parley query` and tests: one request per connection,
/// blocking system calls on a thread of its own (never on the cooperative pool or Dispatch's threads).
public enum LocalHTTPClient {
    /// Sends one request to the server on `socketPath` and returns its answer.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - target: The request target, e.g. `/v1/status?atLeast=3`.
    ///   - body: The request body (sent with a Content-Length), if any.
    ///   - socketPath: The server's socket.
    ///   - timeoutSeconds: How long each read or write may block.
    public static func send(
        _ method: String = "GET",
        _ target: String,
        body: [UInt8]? = nil,
        socketPath: String,
        timeoutSeconds: Int = 30
    ) async throws(ServerError) -> LocalHTTPResponse {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<LocalHTTPResponse, ServerError>, Never>) in
            // A thread of its own rather than a Dispatch queue: when Dispatch's threads are busy (a server in the
            // same process opening its log, say), Dispatch adds threads for blocked work only about once a second.
            let thread = Thread {
                continuation.resume(
                    returning: Result { () throws(ServerError) -> LocalHTTPResponse in
                        try sendBlocking(method, target, body: body, socketPath: socketPath, timeout: timeoutSeconds)
                    }
                )
            }
            thread.name = "parley.local-http-client"
            thread.start()
        }
        return try result.get()
    }

    /// `send`, blocking the calling thread.
    static func sendBlocking(
        _ method: String,
        _ target: String,
        body: [UInt8]?,
        socketPath: String,
        timeout: Int
    ) throws(ServerError) -> LocalHTTPResponse {
        let connection = try LocalSocketConnection(path: socketPath, timeoutSeconds: timeout)
        defer { connection.close() }
        var request = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if let body {
            request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        }
        request += "\r\n"
        try connection.write(Array(request.utf8) + (body ?? []))
        var parser = ResponseParser()
        while true {
            let chunk = try connection.read()
            if chunk.isEmpty { break }
            parser.received.append(contentsOf: chunk)
            if let response = try parser.complete() { return response }
        }
        if let response = try parser.complete(atEnd: true) { return response }
        throw ServerError(.client, "the connection closed before a whole response arrived")
    }
}

/// Parses one HTTP/1.1 response (Content-Length, chunked, or up to the end of the connection).
private struct ResponseParser {
    var received: [UInt8] = []

    /// The response, once all of it has arrived; nil while more is needed.
    func complete(atEnd: Bool = false) throws(ServerError) -> LocalHTTPResponse? {
        guard let headerEnd = find([13, 10, 13, 10], in: received, from: 0) else {
            if atEnd { throw ServerError(.client, "the response has no complete header") }
            return nil
        }
        let lines = String(decoding: received[..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw ServerError(.client, "not an HTTP response: \(lines.first ?? "")")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
        let bodyStart = headerEnd + 4
        let available = Array(received[bodyStart...])
        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
        if let length = header("content-length").flatMap(Int.init) {
            guard available.count >= length else {
                if atEnd { throw ServerError(.client, "the body ended after \(available.count) of \(length) bytes") }
                return nil
            }
            return LocalHTTPResponse(status: status, headers: headers, body: Array(available.prefix(length)))
        }
        if header("transfer-encoding")?.lowercased() == "chunked" {
            guard let body = try dechunk(available) else {
                if atEnd { throw ServerError(.client, "the chunked body ended early") }
                return nil
            }
            return LocalHTTPResponse(status: status, headers: headers, body: body)
        }
        return atEnd ? LocalHTTPResponse(status: status, headers: headers, body: available) : nil
    }

    /// The decoded body, or nil if the last chunk has not arrived yet.
    private func dechunk(_ bytes: [UInt8]) throws(ServerError) -> [UInt8]? {
        var body: [UInt8] = []
        var position = 0
        while true {
            guard let lineEnd = find([13, 10], in: bytes, from: position) else { return nil }
            let sizeText =
                String(decoding: bytes[position..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw ServerError(.client, "bad chunk size \(sizeText)")
            }
            let start = lineEnd + 2
            if size == 0 { return body }
            guard bytes.count >= start + size + 2 else { return nil }
            body.append(contentsOf: bytes[start..<start + size])
            position = start + size + 2
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

/// A connected Unix domain stream socket with blocking reads and writes.
struct LocalSocketConnection {
    private let descriptor: Int32

    /// What `probe` found at a socket path.
    enum Probe {
        /// A server accepted the connection.
        case live
        /// Nothing listens there (the file is left over from a process that ended).
        case stale
        /// The check itself failed with this errno.
        case failed(Int32)
    }

    /// Whether a server listens on `path`.
    static func probe(_ path: String) -> Probe {
        do throws(ServerError) {
            let connection = try LocalSocketConnection(path: path, timeoutSeconds: 2)
            connection.close()
            return .live
        } catch {
            guard case .some(let code as ErrnoCode) = error.underlying else { return .failed(EINVAL) }
            return code.value == ECONNREFUSED || code.value == ENOENT ? .stale : .failed(code.value)
        }
    }

    /// Connects to `path`; reads and writes then block at most `timeoutSeconds` each.
    init(path: String, timeoutSeconds: Int) throws(ServerError) {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let descriptor = socket(AF_UNIX, stream, 0)
        guard descriptor >= 0 else {
            let code = errno
            throw ServerError(.client, "socket(): \(describe(errno: code))", underlying: ErrnoCode(value: code))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            closeDescriptor(descriptor)
            throw ServerError(.client, "the socket path is longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        var time = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let timeSize = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, timeSize)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, timeSize)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            closeDescriptor(descriptor)
            throw ServerError(
                .client,
                "cannot connect to \(path): \(describe(errno: code))",
                underlying: ErrnoCode(value: code)
            )
        }
        self.descriptor = descriptor
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(ServerError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ServerError(.client, "write: \(describe(errno: errno))")
            }
            offset += written
        }
    }

    /// Reads what has arrived (up to 64 KiB); empty at the end of the stream.
    func read() throws(ServerError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            if errno == EINTR { continue }
            let code = errno
            let timedOut = code == EAGAIN || code == EWOULDBLOCK
            throw ServerError(
                .client,
                timedOut ? "the server did not answer in time" : "read: \(describe(errno: code))"
            )
        }
    }

    /// Closes the socket.
    func close() { closeDescriptor(descriptor) }
}

/// Closes a file descriptor.
private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(descriptor)
    #else
    _ = Darwin.close(descriptor)
    #endif
}

/// An `errno` value carried as the underlying error of a `ServerError`.
struct ErrnoCode: Error, Sendable {
    var value: Int32
}
