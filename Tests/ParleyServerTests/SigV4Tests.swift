import Foundation
import Hummingbird
import Logging
import NIOCore
import ParleyEngine
import ParleyServer
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One request as the verifier sees it: method, wire path and query, every header, body.
private struct SignedRequest: Sendable {
    var method: String
    var path: String
    var query: String?
    var headers: [(name: String, value: String)]
    var body: String

    /// The same request with header `name` replaced (every occurrence, any case), or removed when `value` is nil.
    func with(_ name: String, _ value: String?) -> SignedRequest {
        var copy = self
        let index = copy.headers.firstIndex { $0.name.lowercased() == name.lowercased() }
        copy.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { copy.headers.insert((name, value), at: index ?? copy.headers.count) }
        return copy
    }

    /// The value of header `name`.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The request as HTTP/1.1 bytes (a `Content-Length` for the body and `Connection: close` added).
    var wire: [UInt8] {
        var text = "\(method) \(path)\(query.map { "?\($0)" } ?? "") HTTP/1.1\r\n"
        for header in headers where header.name.lowercased() != "content-length" {
            text += "\(header.name): \(header.value)\r\n"
        }
        text += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + Array(body.utf8)
    }

    /// Runs `verifier` on the request.
    func verify(with verifier: SigV4Verifier, now: Int64) throws(APIError) -> String {
        try verifier.verify(
            method: method,
            rawPath: path,
            rawQuery: query,
            headers: headers,
            body: Array(body.utf8),
            now: now
        )
    }
}

/// A vector of the published AWS Signature Version 4 test suite.
struct SuiteVector: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var path: String
    var query: String?
    var headers: [(name: String, value: String)]
    var body: String
    var signedHeaders: String
    var signature: String

    var testDescription: String { name }
}

/// Signature Version 4 verification: AWS's published test-suite vectors, requests signed by real botocore, every
/// refusal with AWS's error type and status, and the middleware in a real Hummingbird application.
@Suite struct SigV4Tests {
    // MARK: - The published AWS test suite

    /// AKIDEXAMPLE's secret, 2015-08-30T12:36:00Z, us-east-1, service `service`.
    static let suiteVerifier = SigV4Verifier(
        credentials: SigV4Credentials(["AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]),
        service: "service"
    )
    static let suiteNow: Int64 = 1_440_938_160_000_000

    static let host = (name: "Host", value: "example.amazonaws.com")
    static let date = (name: "X-Amz-Date", value: "20150830T123600Z")

    /// The vectors, with the signatures AWS published (the original aws-sig-v4-test-suite, as carried by the AWS
    /// SDKs; `get-vanilla-query-order-encoded` is from the newer aws-c-auth suite). The normalize-path vectors are
    /// the "normalized" variants: the path is normalised (dot segments and empty segments removed) as botocore does
    /// for every service but S3. Their paths are raw, not percent-encoded (`/example space/`, `/ሴ`): the one
    /// encoding the canonical URI applies turns them into `%20` and `%E1%88%B4`, which is exactly what the suite
    /// expects; a path that arrives already encoded (every SDK request) is encoded a second time, as botocore does.
    static let suite: [SuiteVector] = [
        vector("get-vanilla", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        vector(
            "get-vanilla-empty-query-key",
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
            query: "Param1=value1"
        ),
        vector(
            "get-vanilla-query-order-key-case",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            query: "Param2=value2&Param1=value1"
        ),
        vector(
            "get-vanilla-query-unreserved",
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
            query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
                + "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        ),
        vector(
            "get-vanilla-utf8-query",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
            query: "\u{1234}=bar"
        ),
        vector(
            "get-vanilla-query-order-encoded",
            "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
            query: "Param-3=Value3&Param=Value2&%E1%88%B4=Value1"
        ),
        vector(
            "get-unreserved",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
            path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        ),
        vector("get-utf8", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", path: "/\u{1234}"),
        vector(
            "get-space",
            "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
            path: "/example space/"
        ),
        vector(
            "get-slashes (normalized)",
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
            path: "//example//"
        ),
        vector(
            "get-slash-dot-slash (normalized)",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            path: "/./"
        ),
        vector(
            "get-slash-pointless-dot (normalized)",
            "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
            path: "/./example"
        ),
        vector(
            "get-relative (normalized)",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            path: "/example/.."
        ),
        vector(
            "get-relative-relative (normalized)",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            path: "/example1/example2/../.."
        ),
        vector(
            "get-header-key-duplicate",
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date"
        ),
        vector(
            "get-header-value-order",
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
            headers: [
                ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"),
                ("My-Header1", "value2"),
            ],
            signedHeaders: "host;my-header1;x-amz-date"
        ),
        vector(
            "get-header-value-trim",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
            headers: [("My-Header1", " value1"), ("My-Header2", #" "a   b   c""#)],
            signedHeaders: "host;my-header1;my-header2;x-amz-date"
        ),
        vector("post-vanilla", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", method: "POST"),
        vector(
            "post-vanilla-query",
            "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
            method: "POST",
            query: "Param1=value1"
        ),
        vector(
            "post-vanilla-query-nonunreserved",
            "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e",
            method: "POST",
            query: "%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D"
        ),
        SuiteVector(
            name: "post-header-key-case (names sent in capitals)",
            method: "POST",
            path: "/",
            headers: [("HOST", "example.amazonaws.com"), ("X-AMZ-DATE", "20150830T123600Z")],
            body: "",
            signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        vector(
            "post-header-key-sort",
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
            method: "POST",
            headers: [("My-Header1", "value1")],
            signedHeaders: "host;my-header1;x-amz-date"
        ),
        vector(
            "post-header-value-case",
            "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
            method: "POST",
            headers: [("My-Header1", "VALUE1")],
            signedHeaders: "host;my-header1;x-amz-date"
        ),
        vector(
            "post-sts-header-before",
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            method: "POST",
            headers: [
                (
                    "X-Amz-Security-Token",
                    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAe"
                        + "MicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZ"
                        + "ampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7Z"
                        + "D0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
                )
            ],
            signedHeaders: "host;x-amz-date;x-amz-security-token"
        ),
        vector(
            "post-x-www-form-urlencoded",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date"
        ),
        vector(
            "post-x-www-form-urlencoded-parameters",
            "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
            method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")],
            body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date"
        ),
    ]

    private static func vector(
        _ name: String,
        _ signature: String,
        method: String = "GET",
        path: String = "/",
        query: String? = nil,
        headers: [(String, String)] = [],
        body: String = "",
        signedHeaders: String = "host;x-amz-date"
    ) -> SuiteVector {
        SuiteVector(
            name: name,
            method: method,
            path: path,
            query: query,
            headers: [host] + headers.map { (name: $0.0, value: $0.1) } + [date],
            body: body,
            signedHeaders: signedHeaders,
            signature: signature
        )
    }

    private static func suiteRequest(_ vector: SuiteVector, signature: String? = nil) -> SignedRequest {
        let authorization =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=\(vector.signedHeaders), Signature=\(signature ?? vector.signature)"
        return SignedRequest(
            method: vector.method,
            path: vector.path,
            query: vector.query,
            headers: vector.headers + [(name: "Authorization", value: authorization)],
            body: vector.body
        )
    }

    @Test(arguments: SigV4Tests.suite)
    func theAWSTestSuiteVectorsVerify(_ vector: SuiteVector) throws {
        let request = Self.suiteRequest(vector)
        #expect(try request.verify(with: Self.suiteVerifier, now: Self.suiteNow) == "AKIDEXAMPLE")
    }

    @Test(arguments: SigV4Tests.suite)
    func aSuiteVectorWithOneSignatureDigitChangedIsRefused(_ vector: SuiteVector) {
        let last = vector.signature.last == "0" ? "1" : "0"
        let request = Self.suiteRequest(vector, signature: String(vector.signature.dropLast()) + last)
        let error = refusal(request, verifier: Self.suiteVerifier, now: Self.suiteNow)
        #expect(error?.code == .invalidSignature)
    }

    // MARK: - Requests signed by botocore 1.43.11

    // Made once with boto3's `connect` client (endpoint http://localhost:8080, region eu-west-2, the clock fixed at
    // 2026-11-22T10:20:00Z by patching `botocore.auth.get_current_datetime`, the request captured in `before-send`),
    // and with `botocore.auth.SigV4Auth` directly for the Date-header and x-amz-content-sha256 forms. Headers are
    // the ones botocore sent, signed or not.

    static let botoVerifier = SigV4Verifier(
        credentials: SigV4Credentials([
            "AKIAPARLEYTEST000001": "parley/Secret+Key0123456789abcdefGHIJKL",
            "ASIAPARLEYTEMP000002": "tempSecret/Key",
        ])
    )
    /// 2026-11-22T10:20:00Z.
    static let botoNow: Int64 = 1_795_342_800_000_000
    static let userAgent =
        "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v669 md/arch#x86_64 lang/python#3.11.7 "
        + "md/pyimpl#CPython m/b,N,D,Z,e cfg/retry-mode#legacy Botocore/1.43.11"
    static let scope = "AKIAPARLEYTEST000001/20261122/eu-west-2/connect/aws4_request"
    static let chatBody =
        #"{"InstanceId": "11111111-2222-3333-4444-555555555555", "#
        + #""ContactFlowId": "ffffffff-0000-1111-2222-333333333333", "#
        + #""ParticipantDetails": {"DisplayName": "Ana  Mar\u00eda"}, "ClientToken": "tok-1", "Attributes": "#
        + #"{"customer": "a b+c/d"}, "InitialMessage": {"ContentType": "text/plain", "Content": "h\u00e9llo \u2713"}}"#
    static let arnPath =
        "/tags/arn%3Aaws%3Aconnect%3Aeu-west-2%3A123456789012%3Ainstance%2F11111111-2222-3333-4444-555555555555"

    /// `start_chat_contact`: a rest-json PUT with a JSON body.
    fileprivate static let startChat = SignedRequest(
        method: "PUT",
        path: "/contact/chat",
        headers: [
            ("Host", "localhost:8080"),
            ("Content-Type", "application/json"),
            ("User-Agent", userAgent),
            ("X-Amz-Date", "20261122T102000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=content-type;host;x-amz-date, "
                    + "Signature=299d3ed151eb2cc31be800b31c01fcf7a229848a0d7271a136617e288cc5f8c2"
            ),
            ("amz-sdk-invocation-id", "51bdf783-916b-4d33-8a94-dcaf3339305a"),
            ("amz-sdk-request", "attempt=1"),
            ("Content-Length", "313"),
        ],
        body: chatBody
    )

    /// `list_queues` with a repeated parameter and a next token full of reserved characters.
    fileprivate static let listQueues = SignedRequest(
        method: "GET",
        path: "/queues-summary/11111111-2222-3333-4444-555555555555",
        query: "queueTypes=STANDARD&queueTypes=AGENT&maxResults=10&nextToken=a%2Bb%2Fc%3D%20d~%C3%A9",
        headers: [
            ("Host", "localhost:8080"),
            ("User-Agent", userAgent),
            ("X-Amz-Date", "20261122T102000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host;x-amz-date, "
                    + "Signature=b45c377d369d2cd5b4bd43d0377cb0160f510727f68394efd98033fa8679ab82"
            ),
            ("amz-sdk-invocation-id", "339e39cb-cd55-4362-b11b-a00886c5d9b2"),
            ("amz-sdk-request", "attempt=1"),
        ],
        body: ""
    )

    /// `tag_resource`: an ARN in the path, sent percent-encoded and canonicalised encoded twice (`%253A`).
    fileprivate static let tagResource = SignedRequest(
        method: "POST",
        path: arnPath,
        headers: [
            ("Host", "localhost:8080"),
            ("Content-Type", "application/json"),
            ("User-Agent", userAgent),
            ("X-Amz-Date", "20261122T102000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=content-type;host;x-amz-date, "
                    + "Signature=13018d5c7f68d3384a2b22f2b74f08abd5bf55bf8a21e29043dbfa03ae019c11"
            ),
            ("amz-sdk-invocation-id", "58e939cd-fcf2-4610-8568-f3817f62e40a"),
            ("amz-sdk-request", "attempt=1"),
            ("Content-Length", "26"),
        ],
        body: #"{"tags": {"team": "blue"}}"#
    )

    /// `list_tags_for_resource`: the same ARN path, a GET.
    fileprivate static let listTags = SignedRequest(
        method: "GET",
        path: arnPath,
        headers: [
            ("Host", "localhost:8080"),
            ("User-Agent", userAgent),
            ("X-Amz-Date", "20261122T102000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host;x-amz-date, "
                    + "Signature=46da4336e5facd40c75cdf7cf7cf7e1a35f263461d2716d5e01881446e3fe267"
            ),
            ("amz-sdk-invocation-id", "8aae6af7-fcdc-45b9-aaf7-2a5ef064f350"),
            ("amz-sdk-request", "attempt=1"),
        ],
        body: ""
    )

    /// `describe_contact` with temporary credentials: the session token is one more signed header.
    fileprivate static let describeContactWithToken = SignedRequest(
        method: "GET",
        path: "/contacts/11111111-2222-3333-4444-555555555555/c0ffee00-0000-4000-8000-000000000001",
        headers: [
            ("Host", "127.0.0.1:9000"),
            ("User-Agent", userAgent),
            ("X-Amz-Date", "20261122T102000Z"),
            ("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE//token+value=="),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=ASIAPARLEYTEMP000002/20261122/us-east-1/connect/aws4_request, "
                    + "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                    + "Signature=4e9e6e5859c21e7a405e6088fc42e89ba0db13c604a63440c5998f976d62ab54"
            ),
            ("amz-sdk-invocation-id", "5cea20bf-a64b-415f-87c8-c095a4baebc9"),
            ("amz-sdk-request", "attempt=1"),
        ],
        body: ""
    )

    /// SigV4Auth with a `Date` header: botocore signs Python's `formatdate` (`-0000`, no X-Amz-Date).
    fileprivate static let withDateHeader = SignedRequest(
        method: "POST",
        path: "/contact/attributes",
        headers: [
            ("Host", "localhost:8080"),
            ("Content-Type", "application/json"),
            ("Date", "Sun, 22 Nov 2026 10:20:00 -0000"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=content-type;date;host, "
                    + "Signature=20535ef92fa403ddf36b04fd2307f7258abd77147d82d8675358bacd9aa5e82a"
            ),
        ],
        body: #"{"a":1}"#
    )

    /// SigV4Auth with `X-Amz-Content-SHA256` set to the body's hash.
    fileprivate static let withContentSHA256 = SignedRequest(
        method: "POST",
        path: "/contact/attributes",
        headers: [
            ("Host", "localhost:8080"),
            ("Content-Type", "application/json"),
            ("X-Amz-Content-SHA256", "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"),
            ("X-Amz-Date", "20261122T102000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), "
                    + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, "
                    + "Signature=7ae5c6d12da2e89f70e85d735d0eb3964b1062f371ad2fd9876ca1149d8bb54f"
            ),
        ],
        body: #"{"a":1}"#
    )

    /// SigV4Auth over https with payload signing disabled: `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`.
    fileprivate static let unsignedPayload = SignedRequest(
        method: "POST",
        path: "/contact/attributes",
        headers: [
            ("Host", "localhost:8443"),
            ("Content-Type", "application/json"),
            ("X-Amz-Date", "20261122T102000Z"),
            ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(scope), "
                    + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, "
                    + "Signature=b10f2e7ee3d52d03e209140cb7ebeca4a88ee58daecfbe6d643b302405054d78"
            ),
        ],
        body: #"{"a":1}"#
    )

    @Test func botocoreRequestsVerify() throws {
        #expect(try Self.startChat.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
        #expect(try Self.listQueues.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
        #expect(try Self.tagResource.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
        #expect(try Self.listTags.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
        #expect(
            try Self.describeContactWithToken.verify(with: Self.botoVerifier, now: Self.botoNow)
                == "ASIAPARLEYTEMP000002"
        )
        #expect(try Self.withDateHeader.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
        #expect(
            try Self.withContentSHA256.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001"
        )
    }

    @Test func theARNPathIsEncodedTwiceNotDecoded() {
        // botocore signed `arn%253Aaws%253A…` (both ARN requests verify above); the decoded path is another request.
        var decoded = Self.tagResource
        decoded.path = "/tags/arn:aws:connect:eu-west-2:123456789012:instance/11111111-2222-3333-4444-555555555555"
        #expect(refusal(decoded)?.code == .invalidSignature)
    }

    @Test func theAuthorizationHeaderMayBeSpacedAndOrderedFreely() throws {
        let hexSignature = "299d3ed151eb2cc31be800b31c01fcf7a229848a0d7271a136617e288cc5f8c2"
        let signature = "Signature=\(hexSignature)"
        let credential = "Credential=\(Self.scope)"
        let signed = "SignedHeaders=content-type;host;x-amz-date"
        for header in [
            "AWS4-HMAC-SHA256 \(credential),\(signed),\(signature)",
            "AWS4-HMAC-SHA256 \(signature), \(credential), \(signed)",
            "AWS4-HMAC-SHA256   \(signed) ,  \(credential),\t\(signature)  ",
            "  AWS4-HMAC-SHA256 \(credential), \(signed), Signature=\(hexSignature.uppercased())",
        ] {
            let request = Self.startChat.with("Authorization", header)
            #expect(
                try request.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001",
                "\(header)"
            )
        }
    }

    // MARK: - Refusals

    @Test func noAuthorizationHeaderIsAMissingAuthenticationToken() {
        let error = refusal(Self.startChat.with("Authorization", nil))
        #expect(error?.code == .missingAuthenticationToken)
        #expect(error?.code.name == "MissingAuthenticationTokenException")
        #expect(error?.code.httpStatus == 403)
        #expect(error?.message == "Missing Authentication Token")
    }

    @Test(arguments: [
        ("AWS4-HMAC-SHA256", "requires 'Credential' parameter"),
        (
            "AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), SignedHeaders=host;x-amz-date",
            "requires 'Signature' parameter"
        ),
        ("AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), Signature=00", "requires 'SignedHeaders' parameter"),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00", "requires 'Credential' parameter"),
        ("Bearer abc.def", "Unsupported Authorization Type 'Bearer'"),
        (
            "AWS4-HMAC-SHA512 Credential=\(SigV4Tests.scope), SignedHeaders=host, Signature=00",
            "Unsupported Authorization Type"
        ),
        ("AWS4-HMAC-SHA256Credential=\(SigV4Tests.scope)", "Unsupported Authorization Type"),
        ("", "Unsupported Authorization Type"),
        (
            "AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), SignedHeaders, Signature=00",
            "'SignedHeaders' is not a Name=value"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), Credential=\(SigV4Tests.scope), SignedHeaders=host, "
                + "Signature=00",
            "more than one 'Credential'"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAPARLEYTEST000001/20261122/eu-west-2/connect, SignedHeaders=host, "
                + "Signature=00",
            "exactly 5 slash-delimited elements"
        ),
        ("AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=00", "exactly 5 slash-delimited elements"),
        (
            "AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), SignedHeaders=host;;x-amz-date, Signature=00",
            "SignedHeaders must"
        ),
        (
            "AWS4-HMAC-SHA256 Credential=\(SigV4Tests.scope), SignedHeaders=content-type;x-amz-date, Signature=00",
            "'Host' or ':authority' must be a 'SignedHeader'"
        ),
    ])
    func aMalformedAuthorizationHeaderIsAnIncompleteSignature(header: String, message: String) {
        let error = refusal(Self.startChat.with("Authorization", header))
        #expect(error?.code == .incompleteSignature)
        #expect(error?.code.name == "IncompleteSignatureException")
        #expect(error?.code.httpStatus == 400)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "accepted")")
    }

    @Test func everyMissingPartIsNamedWithTheHeader() {
        let error = refusal(Self.startChat.with("Authorization", "AWS4-HMAC-SHA256 Foo=bar").with("X-Amz-Date", nil))
        #expect(
            error?.message
                == "Authorization header requires 'Credential' parameter. "
                + "Authorization header requires 'Signature' parameter. "
                + "Authorization header requires 'SignedHeaders' parameter. "
                + "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                + "Authorization=AWS4-HMAC-SHA256 Foo=bar"
        )
    }

    @Test func aMissingOrMalformedDateIsAnIncompleteSignature() {
        let missing = refusal(Self.startChat.with("X-Amz-Date", nil))
        #expect(missing?.code == .incompleteSignature)
        #expect(missing?.message.contains("'X-Amz-Date' or a 'Date' header") == true)
        for bad in [
            "2026-11-22T10:20:00Z", "20261122T102000", "20261322T102000Z", "20261131T102000Z", "20261122T246000Z",
        ] {
            let error = refusal(Self.startChat.with("X-Amz-Date", bad))
            #expect(error?.code == .incompleteSignature, "\(bad)")
            #expect(error?.message.contains("ISO-8601 'basic format'. Got '\(bad)'") == true, "\(bad)")
        }
        let badHTTPDate = refusal(Self.withDateHeader.with("Date", "yesterday"))
        #expect(badHTTPDate?.code == .incompleteSignature)
    }

    @Test func anUnknownAccessKeyIsAnUnrecognizedClient() {
        let header = Self.startChat.header("Authorization")!.replacingOccurrences(
            of: "AKIAPARLEYTEST000001",
            with: "AKIAUNKNOWN"
        )
        let error = refusal(Self.startChat.with("Authorization", header))
        #expect(error?.code == .unrecognizedClient)
        #expect(error?.code.name == "UnrecognizedClientException")
        #expect(error?.code.httpStatus == 403)
        #expect(error?.message == "The security token included in the request is invalid.")
    }

    @Test func theWrongSecretIsASignatureMismatch() {
        let verifier = SigV4Verifier(credentials: SigV4Credentials(["AKIAPARLEYTEST000001": "not-the-secret"]))
        let error = refusal(Self.startChat, verifier: verifier)
        #expect(error?.code == .invalidSignature)
        #expect(error?.code.name == "InvalidSignatureException")
        #expect(error?.code.httpStatus == 403)
        #expect(
            error?.message
                == "The request signature we calculated does not match the signature you provided. Check your AWS "
                + "Secret Access Key and signing method. Consult the service documentation for details."
        )
    }

    @Test func anythingChangedAfterSigningIsASignatureMismatch() throws {
        var body = Self.startChat
        body.body = body.body.replacingOccurrences(of: "tok-1", with: "tok-2")
        var method = Self.startChat
        method.method = "POST"
        var path = Self.startChat
        path.path = "/contact/chat/"
        var query = Self.listQueues
        query.query = query.query!.replacingOccurrences(of: "maxResults=10", with: "maxResults=100")
        var addedQuery = Self.startChat
        addedQuery.query = "x=1"
        let changed: [(String, SignedRequest)] = [
            ("body", body),
            ("method", method),
            ("path", path),
            ("query", query),
            ("added query", addedQuery),
            ("signed header", Self.startChat.with("Content-Type", "application/x-amz-json-1.1")),
            ("host", Self.startChat.with("Host", "localhost:8081")),
            ("date within the skew", Self.startChat.with("X-Amz-Date", "20261122T102001Z")),
            ("signed header removed", Self.startChat.with("Content-Type", nil)),
            ("token", Self.describeContactWithToken.with("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLE//other==")),
        ]
        for (what, request) in changed {
            #expect(refusal(request)?.code == .invalidSignature, "\(what)")
        }
        // Unsigned headers may change freely.
        let unsigned = Self.startChat.with("User-Agent", "something else").with("amz-sdk-request", "attempt=2")
        #expect(try unsigned.verify(with: Self.botoVerifier, now: Self.botoNow) == "AKIAPARLEYTEST000001")
    }

    @Test func theSigningTimeMustBeWithinFiveMinutesOfTheClock() throws {
        let minute: Int64 = 60_000_000
        // Exactly 5 minutes either way, and just inside: accepted.
        for now in [Self.botoNow + 5 * minute, Self.botoNow - 5 * minute, Self.botoNow + 5 * minute - 1] {
            #expect(try Self.startChat.verify(with: Self.botoVerifier, now: now) == "AKIAPARLEYTEST000001")
        }
        // A microsecond past: refused.
        let stale = refusal(Self.startChat, now: Self.botoNow + 5 * minute + 1)
        #expect(stale?.code == .invalidSignature)
        #expect(stale?.message.hasPrefix("Signature expired: 20261122T102000Z is now earlier than") == true)
        let future = refusal(Self.startChat, now: Self.botoNow - 5 * minute - 1)
        #expect(future?.code == .invalidSignature)
        #expect(future?.message.hasPrefix("Signature not yet current: 20261122T102000Z is still later than") == true)

        // AWS's wording, with the clock 10 minutes ahead and behind.
        #expect(
            refusal(Self.startChat, now: Self.botoNow + 10 * minute)?.message
                == "Signature expired: 20261122T102000Z is now earlier than 20261122T102500Z "
                + "(20261122T103000Z - 5 min.)"
        )
        #expect(
            refusal(Self.startChat, now: Self.botoNow - 10 * minute)?.message
                == "Signature not yet current: 20261122T102000Z is still later than 20261122T101500Z "
                + "(20261122T101000Z + 5 min.)"
        )
        // The skew is configurable.
        let strict = SigV4Verifier(credentials: SigV4Credentials(["AKIAPARLEYTEST000001": "x"]), maxSkewSeconds: 90)
        #expect(
            refusal(Self.startChat, verifier: strict, now: Self.botoNow + 2 * minute)?.message
                == "Signature expired: 20261122T102000Z is now earlier than 20261122T102030Z "
                + "(20261122T102200Z - 90 sec.)"
        )
    }

    @Test func theScopeDateMustBeTheSigningDate() {
        let header = Self.startChat.header("Authorization")!.replacingOccurrences(of: "/20261122/", with: "/20261121/")
        let error = refusal(Self.startChat.with("Authorization", header))
        #expect(error?.code == .invalidSignature)
        #expect(
            error?.message
                == "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'20261121' != '20261122', from '20261122T102000Z'."
        )
    }

    @Test func theScopeMustNameThisServiceAndTheTerminator() {
        let header = Self.startChat.header("Authorization")!
        let participant = refusal(
            Self.startChat.with(
                "Authorization",
                header.replacingOccurrences(of: "/connect/", with: "/connectparticipant/")
            )
        )
        #expect(participant?.code == .invalidSignature)
        #expect(participant?.message == "Credential should be scoped to correct service: 'connect'. ")
        let terminator = refusal(
            Self.startChat.with("Authorization", header.replacingOccurrences(of: "aws4_request", with: "aws4_reques"))
        )
        #expect(terminator?.code == .invalidSignature)
        #expect(terminator?.message.contains("valid terminator: 'aws4_request', not 'aws4_reques'") == true)
        // Any region is accepted: the one in the scope is the one the key is derived for (so here, a mismatch).
        let region = refusal(
            Self.startChat.with("Authorization", header.replacingOccurrences(of: "/eu-west-2/", with: "/us-east-1/"))
        )
        #expect(region?.code == .invalidSignature)
        #expect(region?.message.hasPrefix("The request signature we calculated") == true)
    }

    @Test func anUnsignedOrMismatchedPayloadHashIsRefused() {
        let unsigned = refusal(Self.unsignedPayload)
        #expect(unsigned?.code == .invalidSignature)
        #expect(unsigned?.code.httpStatus == 403)
        #expect(unsigned?.message.contains("UNSIGNED-PAYLOAD") == true)
        let streaming = refusal(
            Self.withContentSHA256.with("X-Amz-Content-SHA256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        )
        #expect(streaming?.code == .invalidSignature)
        // A declared hash is signed, but it must also be the body's: a body changed with it is caught.
        var changedBody = Self.withContentSHA256
        changedBody.body = #"{"a":2}"#
        let mismatch = refusal(changedBody)
        #expect(mismatch?.code == .invalidSignature)
        #expect(mismatch?.message == "The provided 'x-amz-content-sha256' header does not match what was computed.")
    }

    @Test func malformedInputAlwaysYieldsATypedError() {
        // A deterministic stream of header soup: every outcome is a typed refusal, never a trap or an acceptance.
        let pieces = [
            "AWS4-HMAC-SHA256", " ", ",", "=", "/", ";", "Credential=", "SignedHeaders=", "Signature=", "host",
            "x-amz-date", "AKIAPARLEYTEST000001", "20261122", "eu-west-2", "connect", "aws4_request", "%", "%zz",
            "\u{1234}", "\t", "é", "0", "ff", "",
        ]
        let dates = ["20261122T102000Z", "", "2026", "20261122T102000Zx", "99999999T999999Z", "\u{1234}"]
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let codes: Set<String> = [
            "IncompleteSignatureException", "InvalidSignatureException", "UnrecognizedClientException",
            "MissingAuthenticationTokenException",
        ]
        for _ in 0..<3_000 {
            var header = ""
            for _ in 0..<(next() % 14) { header += pieces[next() % pieces.count] }
            var request = Self.startChat.with("Authorization", header).with("X-Amz-Date", dates[next() % dates.count])
            request.path = ["/", "", "/a/../..", "/%", "//%2"][next() % 5]
            request.query = [nil, "", "&&", "=", "a=%", "%=%zz&b"][next() % 6]
            let error = refusal(request)
            #expect(error.map { codes.contains($0.code.name) } == true, "\(header)")
        }
    }

    @Test func httpDatesAreReadWithTheirZone() {
        // Python's formatdate writes `-0000`; GMT and a numeric offset are read too. The scope-date message shows the
        // instant each one was read as.
        let offset = refusal(Self.withDateHeader.with("Date", "Sat, 21 Nov 2026 23:59:59 +0100"))
        #expect(offset?.message.hasSuffix("'20261122' != '20261121', from '20261121T225959Z'.") == true)
        let gmt = refusal(Self.withDateHeader.with("Date", "21 Nov 2026 23:59:59 GMT"))
        #expect(gmt?.message.hasSuffix("'20261122' != '20261121', from '20261121T235959Z'.") == true)
        // Read as the same instant, but the Date header is signed as text: another text is another request.
        let same = refusal(Self.withDateHeader.with("Date", "Sun, 22 Nov 2026 10:20:00 GMT"))
        #expect(same?.message.hasPrefix("The request signature we calculated") == true)
    }

    @Test func extremeValuesAreRefusedWithoutTrapping() throws {
        for date in ["Sun, 999999999999999999999 Nov 2026 10:20:00 GMT", "Sun, 22 Nov 99999 10:20:00 GMT"] {
            #expect(refusal(Self.withDateHeader.with("Date", date))?.code == .incompleteSignature, "\(date)")
        }
        #expect(refusal(Self.startChat, now: .max)?.message.hasPrefix("Signature expired") == true)
        #expect(refusal(Self.startChat, now: .min)?.message.hasPrefix("Signature not yet current") == true)
        let lenient = SigV4Verifier(credentials: SigV4Credentials(["AKIAPARLEYTEST000001": "x"]), maxSkewSeconds: .max)
        #expect(refusal(Self.startChat, verifier: lenient, now: .max)?.code == .invalidSignature)
        let any = SigV4Verifier(
            credentials: SigV4Credentials(["AKIAPARLEYTEST000001": "parley/Secret+Key0123456789abcdefGHIJKL"]),
            maxSkewSeconds: .max
        )
        #expect(try Self.startChat.verify(with: any, now: 0) == "AKIAPARLEYTEST000001")
    }

    @Test func credentialsDoNotPrintTheirSecrets() {
        let text = "\(SigV4Credentials(["AKIAPARLEYTEST000001": "parley/Secret+Key0123456789abcdefGHIJKL"]))"
        #expect(text.contains("AKIAPARLEYTEST000001"))
        #expect(!text.contains("Secret+Key"))
    }

    // MARK: - The middleware in a real application

    @Test func theMiddlewareVerifiesSignedRequestsAndKeepsTheBody() async throws {
        try await withSignedApplication { socket in
            let chat = try await exchange(Self.startChat, socket: socket)
            #expect(chat.status == 200, "\(chat.body)")
            #expect(
                chat.body == #"{"accessKeyId":"AKIAPARLEYTEST000001","value":"11111111-2222-3333-4444-555555555555"}"#
            )

            let tags = try await exchange(Self.tagResource, socket: socket)
            #expect(tags.status == 200, "\(tags.body)")
            #expect(tags.body.contains("11111111-2222-3333-4444-555555555555 blue"), "\(tags.body)")

            let queues = try await exchange(Self.listQueues, socket: socket)
            #expect(queues.status == 200, "\(queues.body)")
            #expect(queues.body.contains("nextToken=a%2Bb%2Fc%3D%20d~%C3%A9"), "\(queues.body)")

            let token = try await exchange(Self.describeContactWithToken, socket: socket)
            #expect(token.status == 200, "\(token.body)")
            #expect(token.body.contains("ASIAPARLEYTEMP000002"), "\(token.body)")
        }
    }

    @Test func theMiddlewareRefusesInTheAmazonShape() async throws {
        try await withSignedApplication { socket in
            let unsigned = try await exchange(Self.startChat.with("Authorization", nil), socket: socket)
            #expect(unsigned.status == 403)
            #expect(unsigned.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException")
            #expect(unsigned.body == #"{"message":"Missing Authentication Token"}"#)

            var tampered = Self.startChat
            tampered.body = tampered.body.replacingOccurrences(of: "tok-1", with: "tok-9")
            let mismatch = try await exchange(tampered, socket: socket)
            #expect(mismatch.status == 403)
            #expect(mismatch.headers["x-amzn-errortype"] == "InvalidSignatureException")

            let malformed = try await exchange(
                Self.startChat.with("Authorization", "AWS4-HMAC-SHA256 x"),
                socket: socket
            )
            #expect(malformed.status == 400)
            #expect(malformed.headers["x-amzn-errortype"] == "IncompleteSignatureException")

            var large = Self.startChat
            large.body = String(repeating: " ", count: 5_000)
            let tooLarge = try await exchange(large, socket: socket)
            #expect(tooLarge.status == 400)
            #expect(tooLarge.headers["x-amzn-errortype"] == "RequestEntityTooLargeException")

            // The predicate lets other requests through unsigned.
            let open = try await exchange(
                SignedRequest(method: "GET", path: "/open/ping", headers: [("Host", "localhost")], body: ""),
                socket: socket
            )
            #expect(open.status == 200)
            #expect(open.body == #"{"accessKeyId":"","value":"pong"}"#)
        }
    }

    @Test func theMiddlewareReadsTheServerClock() async throws {
        let clock = ManualClock(Self.botoNow + 6 * 60_000_000)
        try await withSignedApplication(clock: clock) { socket in
            let stale = try await exchange(Self.startChat, socket: socket)
            #expect(stale.status == 403)
            #expect(stale.headers["x-amzn-errortype"] == "InvalidSignatureException")
            #expect(stale.body.contains("Signature expired: 20261122T102000Z is now earlier than 20261122T102100Z"))
            clock.set(Self.botoNow)
            #expect(try await exchange(Self.startChat, socket: socket).status == 200)
        }
    }

    // MARK: - Helpers

    /// The error `verify` throws for `request`; records an issue and returns nil when it is accepted.
    private func refusal(
        _ request: SignedRequest,
        verifier: SigV4Verifier = Self.botoVerifier,
        now: Int64 = Self.botoNow,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> APIError? {
        do {
            let accessKeyId = try request.verify(with: verifier, now: now)
            Issue.record("accepted, signed by \(accessKeyId)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    private struct StartChat: Decodable {
        var InstanceId: String
    }

    private struct Tags: Decodable {
        var tags: [String: String]
    }

    private struct Echo: Encodable {
        var accessKeyId: String
        var value: String
    }

    /// Runs `body` against a real application on a Unix socket: `APIErrorMiddleware`, then `SigV4Middleware` for
    /// everything but `/open/…`, then routes that decode the body the middleware put back.
    private func withSignedApplication(
        clock: ManualClock = ManualClock(SigV4Tests.botoNow),
        _ body: (_ socket: String) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        let router = Router(context: ParleyRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.add(
            middleware: SigV4Middleware(
                verifier: Self.botoVerifier,
                clock: clock,
                maxBodyBytes: 1_024,
                requiresSignature: { !$0.uri.path.hasPrefix("/open/") }
            )
        )
        router.put("/contact/chat") { request, context in
            let start = try await request.decodeJSON(StartChat.self, maxBytes: 1_024)
            return JSONResponse.make(Echo(accessKeyId: SigV4Tests.signer(context), value: start.InstanceId))
        }
        router.post("/tags/{resourceArn}") { request, context in
            let tags = try await request.decodeJSON(Tags.self, maxBytes: 1_024)
            let arn = context.parameters.get("resourceArn") ?? ""
            return JSONResponse.make(
                Echo(accessKeyId: SigV4Tests.signer(context), value: arn + " " + (tags.tags["team"] ?? ""))
            )
        }
        router.get("/queues-summary/{instanceId}") { request, context in
            JSONResponse.make(Echo(accessKeyId: SigV4Tests.signer(context), value: request.uri.query ?? ""))
        }
        router.get("/contacts/{instanceId}/{contactId}") { _, context in
            JSONResponse.make(Echo(accessKeyId: SigV4Tests.signer(context), value: "contact"))
        }
        router.get("/open/ping") { _, context in
            JSONResponse.make(Echo(accessKeyId: SigV4Tests.signer(context), value: "pong"))
        }
        let socket = directory.path + "/sigv4.sock"
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socket)),
            onServerRunning: { _ in readyContinuation.yield() },
            logger: testLogger
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [application], logger: testLogger)
        )
        let task = Task { try await group.run() }
        for await _ in ready { break }
        var failure: (any Error)?
        do {
            try await body(socket)
        } catch {
            failure = error
        }
        await group.triggerGracefulShutdown()
        try await task.value
        if let failure { throw failure }
    }

    /// The access key id the middleware put in the request logger's metadata, "" when none.
    private static func signer(_ context: ParleyRequestContext) -> String {
        context.logger[metadataKey: "aws.access_key_id"].map { "\($0)" } ?? ""
    }

    private struct RawResponse {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Sends `request` byte for byte (its path exactly as written) and reads the answer up to the close.
    private func exchange(_ request: SignedRequest, socket: String) async throws -> RawResponse {
        let bytes = request.wire
        let received: [UInt8] = try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: the server's handlers need the cooperative pool while this one blocks.
            let thread = Thread {
                continuation.resume(with: Result { try Self.exchangeBlocking(bytes, socketPath: socket) })
            }
            thread.start()
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no header end in \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("status \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces
            )
        }
        return RawResponse(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    private static func exchangeBlocking(_ request: [UInt8], socketPath: String) throws -> [UInt8] {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket failed: \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: Array(socketPath.utf8) + [0])
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect failed: \(errno)") }
        var offset = 0
        while offset < request.count {
            let written = request[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            // The server may answer (and close) before it read a body it refuses.
            if written <= 0 { break }
            offset += written
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[..<count])
            } else if count == 0 || !received.isEmpty {
                break
            } else {
                throw TestFailure("recv failed: \(errno)")
            }
        }
        return received
    }
}
