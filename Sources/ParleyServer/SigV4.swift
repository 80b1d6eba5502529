import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ParleyEngine

// AWS Signature Version 4 verification for the Connect control-plane API: the server side of what botocore's
// `SigV4Auth` (and every other AWS SDK) does to a rest-json request.
//
// The canonical request is rebuilt from the request exactly as botocore builds it for a non-S3 service:
// - the path as sent on the wire (already percent-encoded by the SDK), with dot segments and empty segments removed
//   (botocore's `normalize_url_path`), then percent-encoded again keeping only unreserved characters and `/`
//   (`quote(path, safe='/~')`): an ARN sent as `arn%3Aaws%3A…` is canonicalised as `arn%253Aaws%253A…`. A raw
//   character that was never encoded (the published suite's `get-space` and `get-utf8` send them raw) is encoded
//   once, so those vectors verify too;
// - the query parameters percent-decoded, re-encoded (RFC 3986 unreserved characters kept, everything else `%XX`
//   upper-case; a `+` is a literal plus, not a space), sorted by name and then value; a parameter without `=` has an
//   empty value;
// - the headers named in SignedHeaders, lower-cased, each value trimmed with inner whitespace runs collapsed,
//   repeated headers joined with `,`;
// - the payload hash: `x-amz-content-sha256` when sent (it must then be the body's hash; `UNSIGNED-PAYLOAD` and the
//   streaming forms are refused), otherwise the hex SHA-256 of the body.

extension APIError.Code {
    /// The request carries no `Authorization` header (403, as AWS answers an unsigned request).
    public static let missingAuthenticationToken = APIError.Code(
        name: "MissingAuthenticationTokenException",
        httpStatus: 403
    )
    /// The `Authorization` header is malformed or lacks a part (Credential, SignedHeaders, Signature, a date).
    public static let incompleteSignature = APIError.Code(name: "IncompleteSignatureException", httpStatus: 400)
    /// The access key id is not known to the server.
    public static let unrecognizedClient = APIError.Code(name: "UnrecognizedClientException", httpStatus: 403)
    /// The signature does not match, the scope is wrong, or the signing date is outside the allowed skew.
    public static let invalidSignature = APIError.Code(name: "InvalidSignatureException", httpStatus: 403)
}

/// The secret access keys the server accepts, by access key id.
public struct SigV4Credentials: Sendable, CustomStringConvertible {
    private let secrets: [String: String]

    /// Creates the lookup from secret access keys keyed by access key id.
    public init(_ secretsByAccessKeyId: [String: String]) {
        secrets = secretsByAccessKeyId
    }

    /// The secret access key of `accessKeyId`, nil when the id is unknown.
    public func secretAccessKey(for accessKeyId: String) -> String? { secrets[accessKeyId] }

    /// The access key ids only: the secrets never appear in logs.
    public var description: String { "SigV4Credentials(\(secrets.keys.sorted().joined(separator: ", ")))" }
}

/// Verifies AWS Signature Version 4 (`AWS4-HMAC-SHA256` in the `Authorization` header) on one request.
public struct SigV4Verifier: Sendable {
    /// The keys that may sign.
    public let credentials: SigV4Credentials
    /// The service name the credential scope must carry (`connect`).
    public let service: String
    /// How far the signing time may be from the server's clock, either way, in seconds.
    public let maxSkewSeconds: Int64

    /// Creates a verifier for `service`, accepting signing times within `maxSkewSeconds` of the clock.
    public init(credentials: SigV4Credentials, service: String = "connect", maxSkewSeconds: Int64 = 300) {
        self.credentials = credentials
        self.service = service
        // Bounded so that the skew in µs, added to any clock reading, cannot overflow.
        self.maxSkewSeconds = min(max(0, maxSkewSeconds), SigV4.Time.maxSeconds)
    }

    /// Checks the signature of a request with its whole body and returns the access key id that signed it.
    /// - Parameters:
    ///   - method: The HTTP method, e.g. `PUT`.
    ///   - rawPath: The path as sent on the wire (percent-encoded, not decoded), without the query.
    ///   - rawQuery: The query as sent, without `?`; nil when there is none.
    ///   - headers: Every request header, names in any case, repeated names as separate entries; `host` included.
    ///   - body: The request body.
    ///   - now: The server's time in µs since the Unix epoch.
    public func verify(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: [(name: String, value: String)],
        body: [UInt8],
        now: Int64
    ) throws(APIError) -> String {
        try verify(
            method: method,
            rawPath: rawPath,
            rawQuery: rawQuery,
            headers: headers,
            bodySHA256: SigV4.hex(Array(SHA256.hash(data: body))),
            now: now
        )
    }

    /// Checks the signature of a request whose body's SHA-256 (lower-case hex) is already known; see the body form.
    public func verify(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: [(name: String, value: String)],
        bodySHA256: String,
        now: Int64
    ) throws(APIError) -> String {
        let headerMap = SigV4.HeaderMap(headers)
        let authorizations = headerMap.values(of: "authorization")
        guard !authorizations.isEmpty else {
            throw APIError(.missingAuthenticationToken, "Missing Authentication Token")
        }
        guard authorizations.count == 1 else {
            throw APIError(.incompleteSignature, "The request has more than one Authorization header.")
        }
        let authorization = authorizations[0]

        // The parts, and the date: every missing one is named, as AWS does.
        let parsed = try SigV4.Authorization.parse(authorization)
        let amzDates = headerMap.values(of: "x-amz-date")
        let httpDates = headerMap.values(of: "date")
        var missing: [String] = []
        if parsed.credential == nil { missing.append("Authorization header requires 'Credential' parameter.") }
        if parsed.signature == nil { missing.append("Authorization header requires 'Signature' parameter.") }
        if parsed.signedHeaders == nil { missing.append("Authorization header requires 'SignedHeaders' parameter.") }
        if amzDates.isEmpty && httpDates.isEmpty {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard missing.isEmpty, let credential = parsed.credential, let signature = parsed.signature,
            let signedHeaderList = parsed.signedHeaders
        else {
            throw APIError(
                .incompleteSignature,
                missing.joined(separator: " ") + " Authorization=" + SigV4.echo(authorization)
            )
        }

        let scope = try SigV4.Scope.parse(credential)
        let signedHeaders = try SigV4.signedHeaderNames(signedHeaderList)

        // The signing time, in the ISO 8601 basic form the string to sign carries.
        let signedAt: Int64
        if !amzDates.isEmpty {
            let text = amzDates.joined(separator: ",")
            guard let seconds = SigV4.Time.parseBasic(text) else {
                throw APIError(
                    .incompleteSignature,
                    "Date must be in ISO-8601 'basic format'. Got '\(SigV4.echo(text))'. "
                        + "See http://en.wikipedia.org/wiki/ISO_8601"
                )
            }
            signedAt = seconds
        } else {
            let text = httpDates.joined(separator: ",")
            guard let seconds = SigV4.Time.parseHTTPDate(text) else {
                throw APIError(
                    .incompleteSignature,
                    "Date must be an RFC 1123 date (e.g. 'Sun, 22 Nov 2026 10:20:00 GMT'). Got '\(SigV4.echo(text))'."
                )
            }
            signedAt = seconds
        }
        let timestamp = SigV4.Time.basic(signedAt)

        // The scope: the terminator, the service, the date; any non-empty region.
        guard scope.terminator == "aws4_request" else {
            throw APIError(
                .invalidSignature,
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                    + "not '\(SigV4.echo(scope.terminator))'."
            )
        }
        guard scope.service == service else {
            throw APIError(.invalidSignature, "Credential should be scoped to correct service: '\(service)'. ")
        }
        guard !scope.region.isEmpty else {
            throw APIError(.invalidSignature, "Credential should be scoped to a valid region, not ''. ")
        }
        let dateStamp = String(timestamp.prefix(8))
        guard scope.date == dateStamp else {
            throw APIError(
                .invalidSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    + "'\(SigV4.echo(scope.date))' != '\(dateStamp)', from '\(timestamp)'."
            )
        }
        guard signedHeaders.contains("host") else {
            throw APIError(
                .incompleteSignature,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            )
        }

        guard let secret = credentials.secretAccessKey(for: scope.accessKeyId) else {
            throw APIError(.unrecognizedClient, "The security token included in the request is invalid.")
        }

        // The skew, compared in µs so that a fraction of a second past the limit already counts. The clock reading
        // is bounded (±36,000 years) so that no sum below overflows.
        let now = min(max(now, -SigV4.Time.maxMicroseconds), SigV4.Time.maxMicroseconds)
        let skew = maxSkewSeconds * 1_000_000
        let nowSeconds = SigV4.Time.floorDiv(now, 1_000_000)
        if signedAt * 1_000_000 < now - skew {
            throw APIError(
                .invalidSignature,
                "Signature expired: \(timestamp) is now earlier than \(SigV4.Time.basic(nowSeconds - maxSkewSeconds)) "
                    + "(\(SigV4.Time.basic(nowSeconds)) - \(SigV4.Time.span(maxSkewSeconds)))"
            )
        }
        if signedAt * 1_000_000 > now + skew {
            throw APIError(
                .invalidSignature,
                "Signature not yet current: \(timestamp) is still later than "
                    + "\(SigV4.Time.basic(nowSeconds + maxSkewSeconds)) "
                    + "(\(SigV4.Time.basic(nowSeconds)) + \(SigV4.Time.span(maxSkewSeconds)))"
            )
        }

        // The payload hash: the signed header when present (it must be the body's), otherwise the body's.
        let payloadHash: String
        let declared = headerMap.values(of: "x-amz-content-sha256")
        if declared.isEmpty {
            payloadHash = bodySHA256
        } else {
            let value = declared.joined(separator: ",")
            if value == "UNSIGNED-PAYLOAD" || value.hasPrefix("STREAMING-") {
                throw APIError(
                    .invalidSignature,
                    "x-amz-content-sha256 '\(SigV4.echo(value))' is not accepted by this service: "
                        + "the payload must be signed (the hex SHA-256 of the body)."
                )
            }
            guard value.lowercased() == bodySHA256.lowercased() else {
                throw APIError(
                    .invalidSignature,
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                )
            }
            payloadHash = value
        }

        let canonicalRequest = SigV4.canonicalRequest(
            method: method,
            rawPath: rawPath,
            rawQuery: rawQuery,
            headers: headerMap,
            signedHeaders: signedHeaders,
            payloadHash: payloadHash
        )
        let expected = SigV4.signature(
            canonicalRequest: canonicalRequest,
            timestamp: timestamp,
            scope: "\(scope.date)/\(scope.region)/\(scope.service)/\(scope.terminator)",
            key: SigV4.signingKey(secret: secret, date: scope.date, region: scope.region, service: scope.service)
        )
        guard SigV4.constantTimeEqual(Array(expected.utf8), Array(signature.lowercased().utf8)) else {
            throw APIError(
                .invalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                    + "Secret Access Key and signing method. Consult the service documentation for details."
            )
        }
        return scope.accessKeyId
    }
}

/// The pieces of Signature Version 4, shared by the verifier and its tests.
enum SigV4 {
    /// The only algorithm accepted.
    static let algorithm = "AWS4-HMAC-SHA256"

    /// The parameters of an `Authorization: AWS4-HMAC-SHA256 …` header.
    struct Authorization {
        var credential: String?
        var signedHeaders: String?
        var signature: String?

        /// Parses the header: the algorithm, then `Name=value` parameters in any order, separated by commas
        /// and/or whitespace. Unknown parameters are ignored; a repeated one is refused.
        static func parse(_ header: String) throws(APIError) -> Authorization {
            let text = header.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix(algorithm) else {
                let scheme = text.prefix { $0 != " " && $0 != "\t" }
                throw APIError(
                    .incompleteSignature,
                    "Unsupported Authorization Type '\(echo(String(scheme)))': only \(algorithm) is accepted. "
                        + "Authorization=\(echo(header))"
                )
            }
            let rest = text.dropFirst(algorithm.count)
            if let first = rest.first, first != " " && first != "\t" {
                let scheme = text.prefix { $0 != " " && $0 != "\t" }
                throw APIError(
                    .incompleteSignature,
                    "Unsupported Authorization Type '\(echo(String(scheme)))': only \(algorithm) is accepted. "
                        + "Authorization=\(echo(header))"
                )
            }
            var result = Authorization()
            let tokens = rest.split { $0 == "," || $0 == " " || $0 == "\t" }
            for token in tokens {
                guard let equals = token.firstIndex(of: "=") else {
                    throw APIError(
                        .incompleteSignature,
                        "Authorization header parameter '\(echo(String(token)))' is not a Name=value pair. "
                            + "Authorization=\(echo(header))"
                    )
                }
                let name = String(token[..<equals])
                let value = String(token[token.index(after: equals)...])
                let previous: String?
                switch name {
                case "Credential":
                    previous = result.credential
                    result.credential = value
                case "SignedHeaders":
                    previous = result.signedHeaders
                    result.signedHeaders = value
                case "Signature":
                    previous = result.signature
                    result.signature = value
                default:
                    continue
                }
                guard previous == nil else {
                    throw APIError(
                        .incompleteSignature,
                        "Authorization header has more than one '\(name)' parameter. Authorization=\(echo(header))"
                    )
                }
            }
            return result
        }
    }

    /// The credential scope `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`.
    struct Scope {
        var accessKeyId: String
        var date: String
        var region: String
        var service: String
        var terminator: String

        /// Splits the Credential parameter into its five parts.
        static func parse(_ credential: String) throws(APIError) -> Scope {
            let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 5, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw APIError(
                    .incompleteSignature,
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                        + "got '\(echo(credential))'"
                )
            }
            return Scope(
                accessKeyId: parts[0],
                date: parts[1],
                region: parts[2],
                service: parts[3],
                terminator: parts[4]
            )
        }
    }

    /// The SignedHeaders list as lower-case names, in the order given.
    static func signedHeaderNames(_ list: String) throws(APIError) -> [String] {
        let names = list.split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw APIError(
                .incompleteSignature,
                "SignedHeaders must be a ';'-separated list of header names, got '\(echo(list))'."
            )
        }
        return names
    }

    /// Request headers by lower-cased name, repeated names keeping their order.
    struct HeaderMap {
        private var byName: [String: [String]] = [:]

        init(_ headers: [(name: String, value: String)]) {
            for header in headers {
                byName[header.name.lowercased(), default: []].append(header.value)
            }
        }

        /// Every value of `name` (lower-case), in the order received.
        func values(of name: String) -> [String] { byName[name] ?? [] }
    }

    /// The canonical request, as botocore's `SigV4Auth.canonical_request` builds it.
    static func canonicalRequest(
        method: String,
        rawPath: String,
        rawQuery: String?,
        headers: HeaderMap,
        signedHeaders: [String],
        payloadHash: String
    ) -> String {
        var canonicalHeaders = ""
        for name in signedHeaders {
            let value = headers.values(of: name).map(trimAll).joined(separator: ",")
            canonicalHeaders += name + ":" + value + "\n"
        }
        return [
            method.uppercased(),
            canonicalURI(rawPath),
            canonicalQuery(rawQuery),
            canonicalHeaders,
            signedHeaders.joined(separator: ";"),
            payloadHash,
        ].joined(separator: "\n")
    }

    /// The canonical URI: dot and empty segments removed, then percent-encoded (again) keeping `/` and unreserved.
    static func canonicalURI(_ rawPath: String) -> String {
        percentEncode(Array(removeDotSegments(rawPath.isEmpty ? "/" : rawPath).utf8), keepingSlash: true)
    }

    /// RFC 3986 section 5.2.4, plus the removal of empty segments (botocore's `remove_dot_segments`).
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// The canonical query string: each name and value decoded and re-encoded, sorted by name then value.
    static func canonicalQuery(_ rawQuery: String?) -> String {
        guard let rawQuery, !rawQuery.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for component in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = component.firstIndex(of: "=") {
                name = component[..<equals]
                value = component[component.index(after: equals)...]
            } else {
                name = component
                value = ""
            }
            pairs.append(
                (
                    percentEncode(percentDecode(name), keepingSlash: false),
                    percentEncode(percentDecode(value), keepingSlash: false)
                )
            )
        }
        pairs.sort { $0.name != $1.name ? $0.name < $1.name : $0.value < $1.value }
        return pairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// The bytes `text` percent-decodes to; a `%` not followed by two hex digits stays a literal `%`.
    static func percentDecode(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = Hex.value(bytes[index + 1]), let low = Hex.value(bytes[index + 2])
            {
                result.append(high << 4 | low)
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    /// `%XX` (upper case) for every byte but the RFC 3986 unreserved characters (and `/` when `keepingSlash`).
    static func percentEncode(_ bytes: [UInt8], keepingSlash: Bool) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                result.append(byte)
            } else {
                result.append(UInt8(ascii: "%"))
                result.append(Hex.upperDigits[Int(byte >> 4)])
                result.append(Hex.upperDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static let headerWhitespace: Set<Character> = [" ", "\t", "\r", "\n", "\r\n", "\u{0B}", "\u{0C}"]

    /// A header value with leading and trailing whitespace removed and inner runs collapsed to one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { headerWhitespace.contains($0) }).joined(separator: " ")
    }

    /// Lower-case hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            result.append(Hex.lowerDigits[Int(byte >> 4)])
            result.append(Hex.lowerDigits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// The lower-case hex SHA-256 of a buffer's readable bytes.
    static func sha256Hex(_ buffer: ByteBuffer) -> String {
        let digest = buffer.withUnsafeReadableBytes { bytes in SHA256.hash(data: bytes) }
        return hex(Array(digest))
    }

    /// HMAC-SHA256 of `message` under `key`.
    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// The signing key: `"AWS4" + secret` → date → region → service → `aws4_request`.
    static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        var key = hmac(key: Array(("AWS4" + secret).utf8), Array(date.utf8))
        key = hmac(key: key, Array(region.utf8))
        key = hmac(key: key, Array(service.utf8))
        return hmac(key: key, Array("aws4_request".utf8))
    }

    /// Whether `a` and `b` are equal, in a time that depends on their lengths only.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Client text quoted back in a message, cut to a sane length.
    static func echo(_ text: String) -> String {
        text.count <= 256 ? text : String(text.prefix(256)) + "…"
    }

    /// Times in the forms SigV4 uses; every parser returns nil for anything malformed, never traps.
    enum Time {
        /// The largest clock reading, in µs either side of the epoch, that the verifier computes with (2⁶⁰).
        static let maxMicroseconds: Int64 = 1 << 60
        /// The same bound in seconds: also the largest skew.
        static let maxSeconds: Int64 = maxMicroseconds / 1_000_000

        /// `YYYYMMDD'T'HHMMSS'Z'` to seconds since the Unix epoch.
        static func parseBasic(_ text: String) -> Int64? {
            let bytes = Array(text.utf8)
            guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z"),
                let year = number(bytes[0..<4]), let month = number(bytes[4..<6]), let day = number(bytes[6..<8]),
                let hour = number(bytes[9..<11]), let minute = number(bytes[11..<13]),
                let second = number(bytes[13..<15])
            else { return nil }
            return seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }

        /// An RFC 1123 date (`Sun, 22 Nov 2026 10:20:00 GMT`; the weekday optional; `GMT`, `UTC`, `Z` or a
        /// `±HHMM` offset, which is what Python's `formatdate` writes) to seconds since the Unix epoch.
        static func parseHTTPDate(_ text: String) -> Int64? {
            var fields = text.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.hasSuffix(",") { fields.removeFirst() }
            guard fields.count == 5,
                (1...2).contains(fields[0].utf8.count), let day = number(Array(fields[0].utf8)[...]),
                let month = monthNames.firstIndex(of: fields[1].lowercased()),
                fields[2].utf8.count == 4, let year = number(Array(fields[2].utf8)[...])
            else { return nil }
            let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false)
            guard clock.count == 3, clock.allSatisfy({ $0.utf8.count == 2 }),
                let hour = number(Array(clock[0].utf8)[...]), let minute = number(Array(clock[1].utf8)[...]),
                let second = number(Array(clock[2].utf8)[...]),
                let local = seconds(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
            else { return nil }
            let zone = fields[4]
            if zone == "GMT" || zone == "UTC" || zone == "UT" || zone == "Z" { return local }
            let zoneBytes = Array(zone.utf8)
            guard zoneBytes.count == 5, zoneBytes[0] == UInt8(ascii: "+") || zoneBytes[0] == UInt8(ascii: "-"),
                let hours = number(zoneBytes[1..<3]), let minutes = number(zoneBytes[3..<5]), hours < 24, minutes < 60
            else { return nil }
            let offset = Int64(hours * 3_600 + minutes * 60)
            return zoneBytes[0] == UInt8(ascii: "+") ? local - offset : local + offset
        }

        /// Seconds since the Unix epoch as `YYYYMMDD'T'HHMMSS'Z'`.
        static func basic(_ seconds: Int64) -> String {
            let days = floorDiv(seconds, 86_400)
            let time = seconds - days * 86_400
            let (year, month, day) = civil(fromDays: days)
            func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let yearDigits = "\(year)"
            let yearText = String(repeating: "0", count: max(0, 4 - yearDigits.count)) + yearDigits
            return yearText + two(month) + two(day) + "T" + two(time / 3_600) + two(time % 3_600 / 60)
                + two(time % 60) + "Z"
        }

        /// `5 min.` for whole minutes, `90 sec.` otherwise.
        static func span(_ seconds: Int64) -> String {
            seconds % 60 == 0 ? "\(seconds / 60) min." : "\(seconds) sec."
        }

        /// Division rounding towards negative infinity.
        static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
            let quotient = value / divisor
            return value % divisor < 0 ? quotient - 1 : quotient
        }

        private static let monthNames = [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ]

        /// The value of 1 to 9 ASCII digits; anything else (a sign, a space, too many digits to be a date part) is nil.
        private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
            guard !digits.isEmpty, digits.count <= 9 else { return nil }
            var value = 0
            for digit in digits {
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(digit - UInt8(ascii: "0"))
            }
            return value
        }

        private static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
            guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24,
                minute < 60, second < 60
            else { return nil }
            let days = daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
            return days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
        }

        private static func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
        private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
            let shifted = month <= 2 ? year - 1 : year
            let era = floorDiv(shifted, 400)
            let yearOfEra = shifted - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        /// The proleptic Gregorian date of a day count since 1970-01-01 (`civil_from_days`).
        private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
            let shifted = days + 719_468
            let era = floorDiv(shifted, 146_097)
            let dayOfEra = shifted - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthIndex = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
            let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
            return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
        }
    }
}

/// Refuses requests that need a Signature Version 4 and do not carry a valid one; passes the rest on.
///
/// For a request that needs a signature, the body is collected (at most `maxBodyBytes`), verified with the headers,
/// and put back on the request, so the handler still decodes it. Errors are `APIError`s, for `APIErrorMiddleware`
/// (added before this one) to render. The access key id that signed is added to the request logger's metadata.
public struct SigV4Middleware<Context: RequestContext>: RouterMiddleware {
    /// The verifier with the accepted keys.
    public let verifier: SigV4Verifier
    private let clock: any EngineClock
    private let maxBodyBytes: Int
    private let requiresSignature: @Sendable (Request) -> Bool

    /// Creates the middleware.
    /// - Parameters:
    ///   - verifier: Checks the signatures.
    ///   - clock: The server's clock (µs since the Unix epoch), for the signing-time skew.
    ///   - maxBodyBytes: The largest body collected; a larger one is `RequestEntityTooLargeException`.
    ///   - requiresSignature: Which requests must be signed; the others pass straight through.
    public init(
        verifier: SigV4Verifier,
        clock: any EngineClock,
        maxBodyBytes: Int,
        requiresSignature: @escaping @Sendable (Request) -> Bool = { _ in true }
    ) {
        self.verifier = verifier
        self.clock = clock
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.requiresSignature = requiresSignature
    }

    /// Verifies the request (when it needs a signature) and runs the rest of the chain.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard requiresSignature(request) else { return try await next(request, context) }
        let headers = Self.headers(of: request)
        // An unsigned request is refused before its body is read.
        guard headers.contains(where: { $0.name == "authorization" }) else {
            throw APIError(.missingAuthenticationToken, "Missing Authentication Token")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.bodyTooLarge, "the request body is larger than \(maxBodyBytes) bytes")
        } catch {
            throw APIError(.serialization, "the request body could not be read: \(error)")
        }
        request.body = RequestBody(buffer: body)
        let accessKeyId = try verifier.verify(
            method: request.method.rawValue,
            rawPath: request.uri.path,
            rawQuery: request.uri.query,
            headers: headers,
            bodySHA256: SigV4.sha256Hex(body),
            now: clock.now()
        )
        var context = context
        context.logger[metadataKey: "aws.access_key_id"] = .string(accessKeyId)
        return try await next(request, context)
    }

    /// The request's header fields, with `host` from the authority (HTTP/1's `Host` header becomes the authority
    /// pseudo-header in HTTPTypes, and is no longer among the fields).
    static func headers(of request: Request) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        for field in request.headers {
            headers.append((field.name.canonicalName, field.value))
        }
        if let authority = request.head.authority, !headers.contains(where: { $0.name == "host" }) {
            headers.append(("host", authority))
        }
        return headers
    }
}

extension SigV4 {
    /// The hex signature of `canonicalRequest` signed at `timestamp` (`YYYYMMDDTHHMMSSZ`) within `scope`.
    static func signature(canonicalRequest: String, timestamp: String, scope: String, key: [UInt8]) -> String {
        let stringToSign = [
            algorithm,
            timestamp,
            scope,
            hex(Array(SHA256.hash(data: Array(canonicalRequest.utf8)))),
        ].joined(separator: "\n")
        return hex(hmac(key: key, Array(stringToSign.utf8)))
    }
}

/// Signs a request the way the AWS SDKs do (SigV4 with `host`, `x-amz-date` and any `content-type`), for Parley's
/// own clients and tests of the control plane.
public struct SigV4Signer: Sendable {
    /// The access key id.
    public var accessKeyId: String
    /// Its secret.
    public var secretAccessKey: String
    /// The region in the scope.
    public var region: String
    /// The service in the scope.
    public var service: String

    /// Creates a signer for one key.
    public init(accessKeyId: String, secretAccessKey: String, region: String = "us-east-1", service: String = "connect")
    {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.region = region
        self.service = service
    }

    /// The `X-Amz-Date` and `Authorization` headers for a request sent to `host` at `now` (µs since the epoch).
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - rawPath: The path as sent (percent-encoded).
    ///   - rawQuery: The query as sent, without `?`.
    ///   - host: The `Host` header (`127.0.0.1:8321`).
    ///   - contentType: The `Content-Type` header, if the request has one.
    ///   - body: The body.
    ///   - now: The signing time.
    public func headers(
        method: String,
        rawPath: String,
        rawQuery: String?,
        host: String,
        contentType: String?,
        body: [UInt8],
        now: Int64
    ) -> [(name: String, value: String)] {
        let seconds = now / 1_000_000
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        let day = "\(parts.year ?? 1970)\(two(parts.month))\(two(parts.day))"
        let timestamp = "\(day)T\(two(parts.hour))\(two(parts.minute))\(two(parts.second))Z"
        var signed: [(name: String, value: String)] = [("host", host), ("x-amz-date", timestamp)]
        if let contentType { signed.append(("content-type", contentType)) }
        signed.sort { $0.name < $1.name }
        let names = signed.map(\.name)
        let canonical = SigV4.canonicalRequest(
            method: method,
            rawPath: rawPath,
            rawQuery: rawQuery,
            headers: SigV4.HeaderMap(signed),
            signedHeaders: names,
            payloadHash: SigV4.hex(Array(SHA256.hash(data: body)))
        )
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signature = SigV4.signature(
            canonicalRequest: canonical,
            timestamp: timestamp,
            scope: scope,
            key: SigV4.signingKey(secret: secretAccessKey, date: day, region: region, service: service)
        )
        let authorization =
            "\(SigV4.algorithm) Credential=\(accessKeyId)/\(scope), SignedHeaders=\(names.joined(separator: ";")), "
            + "Signature=\(signature)"
        return [("X-Amz-Date", timestamp), ("Authorization", authorization)]
    }
}
