import Foundation
import Testing

@testable import ParleyDomain

/// A chat with a customer, an agent and 25 messages, one second apart: 27 items in all.
private struct Conversation {
    var harness = ChatHarness()
    var chat: StartChatContactResponse
    var customerToken: String
    var agentId: Identifier
    var agentToken: String

    init(messages: Int = 25) throws {
        (chat, customerToken) = try harness.startConnectedChat()
        harness.advance(Duration.second)
        (agentId, agentToken) = try harness.joinAgent(chat.contactId)
        for index in 0..<messages {
            harness.advance(Duration.second)
            try harness.send(index % 2 == 0 ? customerToken : agentToken, "message \(index)")
        }
    }

    /// Every item id, oldest first.
    var ids: [String] {
        get throws { try harness.chat(chat.contactId).items.map(\.id.description) }
    }

    func page(_ request: TranscriptRequest) throws(ChatError) -> TranscriptPage {
        try harness.transcript(customerToken, request)
    }

    /// Follows NextToken from `request` until it runs out; returns every page's ids in order.
    func pages(_ request: TranscriptRequest) throws -> [[String]] {
        var pages: [[String]] = []
        var request = request
        while pages.count < 200 {
            let page = try page(request)
            pages.append(page.items.map(\.id))
            guard let next = page.nextToken else { return pages }
            request.nextToken = next
        }
        throw HarnessError("paging does not end")
    }
}

@Suite struct TranscriptTests {
    @Test(arguments: [-1, 101, 1_000])
    func maxResultsOutsideZeroTo100IsAValidationError(maxResults: Int) throws {
        let conversation = try Conversation()
        let error = #expect(throws: ChatError.self) { try conversation.page(TranscriptRequest(maxResults: maxResults)) }
        #expect(error?.code.name == "ValidationException")
        #expect(error?.httpStatus == 400)
        #expect(try conversation.harness.replayMatches())
    }

    @Test func maxResultsZeroAnd100() throws {
        let conversation = try Conversation()
        #expect(try conversation.page(TranscriptRequest(maxResults: 0)).items.isEmpty)
        let all = try conversation.page(TranscriptRequest(maxResults: 100))
        #expect(all.items.map(\.id) == Array(try conversation.ids.reversed()))
        #expect(all.nextToken == nil)
    }

    @Test func defaultsAreTenItemsScanningBackwardSortedDescending() throws {
        let conversation = try Conversation()
        let page = try conversation.page(TranscriptRequest())
        let ids = try conversation.ids
        #expect(ids.count == 27)
        #expect(page.items.map(\.id) == Array(ids.suffix(10).reversed()))
        #expect(page.nextToken != nil)
        #expect(page.initialContactId == "\(conversation.chat.contactId)")
        // Explicit BACKWARD / DESCENDING is the same page.
        let explicit = try conversation.page(TranscriptRequest(scanDirection: "BACKWARD", sortOrder: "DESCENDING"))
        #expect(explicit.items == page.items)
    }

    @Test(arguments: [1, 3, 10, 26, 27, 100])
    func nextTokenPagingCollectsEveryItemExactlyOnce(pageSize: Int) throws {
        let conversation = try Conversation()
        let ids = try conversation.ids
        let descending = try conversation.pages(TranscriptRequest(maxResults: pageSize))
        #expect(descending.flatMap { $0 } == Array(ids.reversed()))
        #expect(descending.count == (ids.count + pageSize - 1) / pageSize)
        #expect(descending.dropLast().allSatisfy { $0.count == pageSize })

        let ascending = try conversation.pages(TranscriptRequest(maxResults: pageSize, sortOrder: "ASCENDING"))
        #expect(ascending.reversed().flatMap { $0 } == ids)
        for page in ascending { #expect(page == page.sorted { ids.firstIndex(of: $0)! < ids.firstIndex(of: $1)! }) }
    }

    @Test func ascendingSortOrdersEachPageOldestFirst() throws {
        let conversation = try Conversation()
        let page = try conversation.page(TranscriptRequest(sortOrder: "ASCENDING"))
        #expect(page.items.map(\.id) == Array(try conversation.ids.suffix(10)))
    }

    @Test func forwardFromAnItemId() throws {
        let conversation = try Conversation()
        let ids = try conversation.ids
        let anchor = TranscriptRequest.StartPosition(id: ids[5])
        // With a StartPosition the scan goes FORWARD by default.
        let page = try conversation.page(
            TranscriptRequest(maxResults: 4, sortOrder: "ASCENDING", startPosition: anchor)
        )
        #expect(page.items.map(\.id) == Array(ids[5..<9]))
        let pages = try conversation.pages(
            TranscriptRequest(maxResults: 4, scanDirection: "FORWARD", sortOrder: "ASCENDING", startPosition: anchor)
        )
        #expect(pages.flatMap { $0 } == Array(ids[5...]))
        // BACKWARD from the same item.
        let backward = try conversation.page(
            TranscriptRequest(maxResults: 3, scanDirection: "BACKWARD", startPosition: anchor)
        )
        #expect(backward.items.map(\.id) == [ids[5], ids[4], ids[3]])
    }

    @Test func forwardFromAnAbsoluteTime() throws {
        let conversation = try Conversation()
        let items = try conversation.harness.chat(conversation.chat.contactId).items
        let time = ISOTime.format(items[10].timestamp)
        let forward = try conversation.pages(
            TranscriptRequest(
                maxResults: 7,
                scanDirection: "FORWARD",
                sortOrder: "ASCENDING",
                startPosition: .init(absoluteTime: time)
            )
        )
        #expect(forward.flatMap { $0 } == items[10...].map(\.id.description))
        // Half a second earlier still starts at the same item; BACKWARD from there ends before it.
        let earlier = ISOTime.format(items[10].timestamp - 500_000)
        let first = try conversation.page(
            TranscriptRequest(maxResults: 1, scanDirection: "FORWARD", startPosition: .init(absoluteTime: earlier))
        )
        #expect(first.items.map(\.id) == ["\(items[10].id)"])
        let backward = try conversation.page(
            TranscriptRequest(maxResults: 2, scanDirection: "BACKWARD", startPosition: .init(absoluteTime: earlier))
        )
        #expect(backward.items.map(\.id) == ["\(items[9].id)", "\(items[8].id)"])
        // After the last item there is nothing yet.
        let future = ISOTime.format(items[26].timestamp + Duration.second)
        let empty = try conversation.page(
            TranscriptRequest(scanDirection: "FORWARD", startPosition: .init(absoluteTime: future))
        )
        #expect(empty.items.isEmpty)
        #expect(empty.nextToken == nil)
    }

    @Test func formattedTimesAreThePaddedInterpolation() {
        // Years 0–9999 are written in place; the interpolation stays the reference (and writes the rest).
        var seed: UInt64 = 42
        var samples: [Int64] = [
            0, -1, 999, 1000, -62_167_219_200_000_000, -62_167_219_200_000_001, 253_402_300_799_999_999,
            253_402_300_800_000_000,
        ]
        for _ in 0..<20_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(bitPattern: seed >> 1) % 300_000_000_000_000_000 - 80_000_000_000_000_000)
        }
        for micros in samples { #expect(ISOTime.format(micros) == ISOTime.paddedFormat(micros), "\(micros)") }
        #expect(ISOTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ISOTime.format(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        ("2025-01-02T03:04:05.6789012Z", "2025-01-02T03:04:05.678Z"),
        ("2025-01-02T03:04:05.5Z", "2025-01-02T03:04:05.500Z"),
        ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05.000Z"),
        ("2025-01-02T03:04:05.123456+00:00", "2025-01-02T03:04:05.123Z"),
    ])
    func absoluteTimesParseWithAnyFractionLength(text: String, formatted: String) throws {
        let parsed = try #require(ISOTime.parse(text))
        #expect(ISOTime.format(parsed) == formatted)
        let conversation = try Conversation()
        // Long before the chat: everything comes FORWARD from the first item.
        let page = try conversation.page(
            TranscriptRequest(maxResults: 2, scanDirection: "FORWARD", startPosition: .init(absoluteTime: text))
        )
        #expect(page.items.count == 2)
    }

    @Test func forwardFromMostRecent() throws {
        let conversation = try Conversation()
        let ids = try conversation.ids
        let latest = try conversation.page(
            TranscriptRequest(scanDirection: "FORWARD", startPosition: .init(mostRecent: 0))
        )
        #expect(latest.items.map(\.id) == [ids[26]])
        #expect(latest.nextToken == nil)
        let five = try conversation.page(
            TranscriptRequest(scanDirection: "FORWARD", sortOrder: "ASCENDING", startPosition: .init(mostRecent: 4))
        )
        #expect(five.items.map(\.id) == Array(ids.suffix(5)))
        let error = #expect(throws: ChatError.self) {
            try conversation.page(TranscriptRequest(startPosition: .init(mostRecent: 101)))
        }
        #expect(error?.code == .validation)
    }

    @Test func forwardWithoutAStartPositionAsksForFutureItems() throws {
        let conversation = try Conversation()
        let page = try conversation.page(TranscriptRequest(scanDirection: "FORWARD"))
        #expect(page.items.isEmpty)
        #expect(page.nextToken == nil)
    }

    @Test func malformedRequestsAreValidationErrors() throws {
        var conversation = try Conversation()
        let other = try conversation.harness.startChat()
        let ids = try conversation.ids
        let chat = conversation.chat.contactId
        let bad: [TranscriptRequest] = [
            TranscriptRequest(nextToken: "garbage"),
            TranscriptRequest(nextToken: "pt1.\(other.contactId).B.0"),
            TranscriptRequest(nextToken: "pt1.\(chat).B.27"),
            TranscriptRequest(nextToken: "pt1.\(chat).B.-1"),
            TranscriptRequest(nextToken: "pt1.\(chat).X.3"),
            TranscriptRequest(contactId: "\(other.contactId)"),
            TranscriptRequest(contactId: "garbage"),
            TranscriptRequest(scanDirection: "SIDEWAYS"),
            TranscriptRequest(sortOrder: "RANDOM"),
            TranscriptRequest(startPosition: .init()),
            TranscriptRequest(startPosition: .init(id: ids[0], mostRecent: 1)),
            TranscriptRequest(startPosition: .init(id: "\(Identifier(high: 8, low: 8))")),
            TranscriptRequest(startPosition: .init(absoluteTime: "yesterday")),
            TranscriptRequest(startPosition: .init(absoluteTime: "2026-02-30T00:00:00.000Z")),
        ]
        for request in bad {
            let error = #expect(throws: ChatError.self, "\(request)") { try conversation.page(request) }
            #expect(error?.code.name == "ValidationException", "\(request)")
        }
        // The chat's own contact is fine.
        #expect(try conversation.page(TranscriptRequest(contactId: "\(chat)")).items.count == 10)
        let denied = #expect(throws: ChatError.self) { try conversation.harness.transcript("not-a-token") }
        #expect(denied?.code.name == "AccessDeniedException")
        #expect(denied?.httpStatus == 403)
        #expect(try conversation.harness.replayMatches())
    }

    @Test func itemsHaveTheParticipantAPIShape() throws {
        var harness = ChatHarness()
        let (chat, token) = try harness.startConnectedChat(ChatHarness.request(displayName: "Ana Customer"))
        harness.advance(123_456)
        let (agentId, agentToken) = try harness.joinAgent(chat.contactId, name: "Sam Agent")
        harness.advance(Duration.second)
        let question = try harness.send(token, "Where is my parcel?")
        harness.advance(Duration.second)
        let answer = try harness.send(agentToken, "On its way.")
        _ = try harness.must(
            .sendSystemMessage(
                contactId: "\(chat.contactId)",
                displayName: "SYSTEM_MESSAGE",
                contentType: ContentTypes.plainText,
                content: "Please rate us"
            )
        )
        _ = try harness.must(.disconnectParticipant(connectionToken: token, clientToken: nil))

        let page = try harness.transcript(token, TranscriptRequest(maxResults: 100, sortOrder: "ASCENDING"))
        let iso = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#)
        for item in page.items {
            #expect(try iso.wholeMatch(in: item.absoluteTime) != nil, "\(item.absoluteTime)")
            #expect(item.contactId == "\(chat.contactId)")
            #expect(item.relatedContactId == nil)
            #expect(item.type == "MESSAGE" || item.type == "EVENT")
            #expect(Identifier(item.id) != nil)
        }
        #expect(
            page.items.map(\.contentType) == [
                ContentTypes.participantJoined, ContentTypes.participantJoined, ContentTypes.plainText,
                ContentTypes.plainText, ContentTypes.plainText, ContentTypes.participantLeft,
                ContentTypes.participantLeft, ContentTypes.chatEnded,
            ]
        )
        let agentJoined = page.items[1]
        #expect(agentJoined.type == "EVENT")
        #expect(agentJoined.participantId == "\(agentId)")
        #expect(agentJoined.displayName == "Sam Agent")
        #expect(agentJoined.participantRole == "AGENT")
        #expect(agentJoined.content == nil)
        #expect(agentJoined.absoluteTime.hasSuffix(".123Z"))

        let customerMessage = page.items[2]
        #expect(customerMessage.id == "\(question.id)")
        #expect(customerMessage.absoluteTime == ISOTime.format(question.time))
        #expect(customerMessage.type == "MESSAGE")
        #expect(customerMessage.content == "Where is my parcel?")
        #expect(customerMessage.participantId == "\(chat.participantId)")
        #expect(customerMessage.displayName == "Ana Customer")
        #expect(customerMessage.participantRole == "CUSTOMER")

        let agentMessage = page.items[3]
        #expect(agentMessage.id == "\(answer.id)")
        #expect(agentMessage.participantRole == "AGENT")
        #expect(agentMessage.displayName == "Sam Agent")

        let system = page.items[4]
        #expect(system.participantRole == "SYSTEM")
        #expect(system.displayName == "SYSTEM_MESSAGE")
        #expect(system.participantId == nil)
        #expect(system.type == "MESSAGE")

        let ended = page.items[7]
        #expect(ended.type == "EVENT")
        #expect(ended.participantRole == "SYSTEM")

        // The JSON uses the API's field names.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(customerMessage)) as? [String: Any]
        )
        #expect(
            Set(json.keys) == [
                "Id", "AbsoluteTime", "Content", "ContentType", "Type", "ParticipantId", "DisplayName",
                "ParticipantRole", "ContactId",
            ]
        )
        #expect(try harness.replayMatches())
    }

    @Test func transcriptWorksAfterTheChatEndedUntilTheConnectionTokenExpires() throws {
        var harness = ChatHarness()
        harness.advance(Duration.second)
        let (chat, token) = try harness.startConnectedChat()
        let connectedAt = try harness.chat(chat.contactId).connections.values.first?.expiry ?? 0
        let (_, agentToken) = try harness.joinAgent(chat.contactId)
        try harness.send(token, "hi")
        _ = try harness.must(.stopContact(instanceId: ChatHarness.instanceId, contactId: "\(chat.contactId)"))
        harness.advance(Duration.hour)
        for connection in [token, agentToken] {
            let page = try harness.transcript(connection)
            #expect(page.items.first?.contentType == ContentTypes.chatEnded)
            #expect(page.items.count == 6)
        }
        harness.now = connectedAt
        let error = #expect(throws: ChatError.self) { try harness.transcript(token) }
        #expect(error?.code == .accessDenied)
        #expect(try harness.replayMatches())
    }
}
