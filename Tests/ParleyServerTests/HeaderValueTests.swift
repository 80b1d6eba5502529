import HTTPTypes
import Testing

@testable import ParleyServer

/// `HTTPFields.value(of:)`, the direct read of a header, gives what the library's subscript gives.
@Suite struct HeaderValueTests {
    @Test func readsAsTheSubscriptReads() {
        let bearer = HTTPField.Name.amazonBearer
        let cases: [[HTTPField]] = [
            [],
            [HTTPField(name: .contentType, value: "application/json")],
            [HTTPField(name: bearer, value: "token-1")],
            [HTTPField(name: .accept, value: "*/*"), HTTPField(name: HTTPField.Name("x-amz-BEARER")!, value: "t")],
            [HTTPField(name: bearer, value: "")],
            [
                HTTPField(name: bearer, value: "a"), HTTPField(name: .accept, value: "*/*"),
                HTTPField(name: bearer, value: "b"),
            ],
            [
                HTTPField(name: bearer, value: "a"), HTTPField(name: bearer, value: "b"),
                HTTPField(name: bearer, value: "c"),
            ],
            [HTTPField(name: .cookie, value: "a=1"), HTTPField(name: .cookie, value: "b=2")],
        ]
        for fields in cases {
            let headers = HTTPFields(fields)
            for name in [bearer, .cookie, .contentType, .authorization] {
                #expect(headers.value(of: name) == headers[name], "\(fields), \(name)")
            }
        }
        #expect(
            HTTPFields([HTTPField(name: bearer, value: "a"), HTTPField(name: bearer, value: "b")]).value(of: bearer)
                == "a, b"
        )
    }
}
