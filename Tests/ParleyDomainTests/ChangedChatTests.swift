import EventLog
import ParleyDomain
import Testing

/// `ChatEvent.changedChatId` names exactly the chat `apply` changes: the server wakes a chat's websockets only for
/// the events that name it, so an event that changed a chat without naming it would leave a socket asleep.
@Suite struct ChangedChatTests {
    @Test(arguments: ["chat-v1", "chat-flows-v1", "chat-routing-v1"])
    func everyEventChangesAtMostTheChatItNames(_ fixture: String) throws {
        let reader = try LogReader.open(dataDirectory: LogFixture.path(fixture))
        var state = ChatState()
        var changing = 0
        var failures: [String] = []
        try reader.forEach(fromSequence: 1) { record in
            guard let event = try? ChatEventCatalogue.decode(tag: record.type, payload: record.payload) else {
                return true
            }
            let before = state.chats
            ChatMachine.apply(event, at: record.timestamp, to: &state)
            let named = event.changedChatId
            for chatId in Set(before.keys).union(state.chats.keys) where chatId != named {
                if before[chatId] != state.chats[chatId] {
                    failures.append(
                        "record \(record.sequence) (\(record.type)) changed chat \(chatId), named \(named.map { "\($0)" } ?? "none")"
                    )
                }
            }
            if let named, before[named] != state.chats[named] { changing += 1 }
            return true
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(changing > 0)
    }
}
