import Testing

@testable import ParleyDomain

/// The deadline index against a plain sorted array: order, counts, due prefixes, copies, and its chunk layout.
@Suite struct DeadlineIndexTests {
    typealias Entry = DeadlineIndex.Entry

    static func key(_ number: UInt64, _ kind: TimerKind = .participantIdle) -> TimerKey {
        TimerKey(kind, chat: Identifier(high: number, low: 1), participant: Identifier(high: 7, low: number))
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomArmsAndCancelsMatchASortedArrayAndLeaveCopiesAlone(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var index = DeadlineIndex()
        var open: [TimerKey: Int64] = [:]
        var copies: [(DeadlineIndex, [Entry])] = []
        // Grow past many chunks, then shrink to a few, so that splits and merges both happen.
        for step in 0..<6000 {
            let growing = step < 3500
            let number = UInt64.random(in: 0..<2000, using: &random)
            let key = Self.key(number, number % 3 == 0 ? .queueDelay : .participantIdle)
            // Few distinct deadlines, so that equal deadlines are ordered by key.
            let deadline = Int64.random(in: 0..<300, using: &random) * 1000
            if Int.random(in: 0..<100, using: &random) < (growing ? 70 : 20) {
                if let old = open[key] {
                    let removed = index.remove(Entry(old, key))
                    #expect(removed)
                }
                index.insert(Entry(deadline, key))
                open[key] = deadline
            } else if let old = open.removeValue(forKey: key) {
                let removed = index.remove(Entry(old, key))
                #expect(removed)
            } else {
                let removed = index.remove(Entry(deadline, key))
                #expect(!removed, "removed an entry that was never there")
            }
            if step % 500 == 0 { copies.append((index, Array(index))) }
            if step % 97 == 0 {
                let expected = open.map { Entry($0.value, $0.key) }.sorted()
                #expect(Array(index) == expected, "seed \(seed) step \(step)")
                #expect(index.count == expected.count && index.first == expected.first)
                #expect(index.queueDelayCount == expected.count { $0.key.kind == .queueDelay })
                #expect(index.isWellFormed, "seed \(seed) step \(step): a chunk is empty, over-full or out of order")
                let now = Int64.random(in: -1000..<310_000, using: &random)
                #expect(index.due(at: now) == expected.filter { $0.deadline <= now }, "due at \(now)")
            }
        }
        #expect(copies.contains { $0.0.chunkCount > 10 }, "the index never spread over many chunks")
        for (copy, entries) in copies {
            #expect(Array(copy) == entries, "a copy changed when the original did")
        }
        let expected = open.map { Entry($0.value, $0.key) }.sorted()
        #expect(Array(index) == expected)
        // A chunk under a quarter full folds into a neighbour: the chunks stay at least an eighth full on average.
        #expect(index.chunkCount <= max(1, expected.count * 8 / DeadlineIndex.chunkCapacity + 1))
    }

    @Test func aRebuiltIndexEqualsOneGrownEntryByEntryWhateverItsChunks() {
        let entries = (0..<1000 as Range<UInt64>).map {
            Entry(Int64($0 % 37) * 1000, Self.key($0, $0 % 5 == 0 ? .queueDelay : .participantIdle))
        }
        var grown = DeadlineIndex()
        for entry in entries.reversed() { grown.insert(entry) }
        let rebuilt = DeadlineIndex(entries)
        #expect(grown.chunkCount != rebuilt.chunkCount, "the two layouts should differ for this test to mean much")
        #expect(grown == rebuilt)
        #expect(rebuilt.isWellFormed && grown.isWellFormed)
        #expect(rebuilt.queueDelayCount == 200 && grown.queueDelayCount == 200)
        var other = rebuilt
        other.remove(entries[500])
        #expect(other != rebuilt)
        other.insert(Entry(entries[500].deadline + 1, entries[500].key))
        #expect(other != rebuilt, "the same keys at another deadline are another index")
    }

    @Test func removalsFoldNearlyEmptyChunksIntoTheirNeighbours() {
        var index = DeadlineIndex()
        for number in 0..<1280 as Range<UInt64> { index.insert(Entry(Int64(number), Self.key(number))) }
        let spread = index.chunkCount
        #expect(spread >= 10, "in-order inserts split into half-full chunks")
        for number in 0..<1280 as Range<UInt64> where number % 10 != 0 {
            index.remove(Entry(Int64(number), Self.key(number)))
        }
        #expect(index.count == 128 && index.isWellFormed)
        // Without folding, every chunk would keep its tenth: `spread` chunks of a few entries each.
        #expect(index.chunkCount <= 3, "\(index.chunkCount) chunks hold 128 entries")
    }

    @Test func rearmingATimerMovesItsDeadlineInTheStatesIndex() {
        var state = ChatState()
        let (first, second) = (Self.key(1), Self.key(2))
        ChatMachine.apply(.timerArmed(TimerArmed(key: first, deadline: 5_000)), at: 0, to: &state)
        ChatMachine.apply(.timerArmed(TimerArmed(key: second, deadline: 7_000)), at: 0, to: &state)
        #expect(state.earliestDeadline == 5_000)
        ChatMachine.apply(.timerArmed(TimerArmed(key: first, deadline: 9_000)), at: 1, to: &state)
        #expect(Array(state.deadlines) == [Entry(7_000, second), Entry(9_000, first)])
        ChatMachine.apply(.timerArmed(TimerArmed(key: first, deadline: 9_000)), at: 2, to: &state)
        ChatMachine.apply(.timerCancelled(TimerCancelled(key: second)), at: 3, to: &state)
        #expect(Array(state.deadlines) == [Entry(9_000, first)] && state.earliestDeadline == 9_000)
        ChatMachine.apply(.timerFired(TimerFired(key: first, deadline: 9_000, firedAt: 9_000)), at: 9_000, to: &state)
        #expect(state.deadlines.isEmpty && state.earliestDeadline == nil && state.timers.isEmpty)
    }

    @Test(arguments: HashSpread.secrets)
    func timerKeyHashesSpreadOverEveryFiveBitLevel(secret: UInt64) {
        var generator = SplitMix(seed: 9)
        let kinds = TimerKind.allCases
        var keys: [TimerKey] = []
        // Many keys per chat, as a chat's end looks them up: every kind, with and without participants.
        for _ in 0..<512 {
            let chat = Identifier.random(using: &generator)
            let participants = [nil, Identifier.random(using: &generator), Identifier.random(using: &generator)]
            for kind in kinds.prefix(6) {
                for participant in participants where keys.count % 18 < 16 || participant == nil {
                    keys.append(TimerKey(kind, chat: chat, participant: participant))
                }
            }
        }
        let hashes = keys.map { $0.keyedHash(seed: 0, secret: secret) }
        #expect(Set(hashes).count == keys.count, "two different keys hashed alike")
        #expect(HashSpread.unevenWindows(hashes) == [])
    }

    @Test func timerKeyHashesTellEveryPartApart() {
        let key = TimerKey(
            .participantIdle,
            chat: Identifier(high: 1, low: 2),
            participant: Identifier(high: 3, low: 4)
        )
        let copy = TimerKey(
            .participantIdle,
            chat: Identifier(high: 1, low: 2),
            participant: Identifier(high: 3, low: 4)
        )
        #expect(key.hashValue == copy.hashValue && key._rawHashValue(seed: 5) == copy._rawHashValue(seed: 5))
        let others = [
            TimerKey(.participantDisconnect, chat: key.chatId, participant: key.participantId),
            TimerKey(.participantIdle, chat: Identifier(high: 1, low: 3), participant: key.participantId),
            TimerKey(.participantIdle, chat: key.chatId, participant: Identifier(high: 3, low: 5)),
            TimerKey(.participantIdle, chat: key.chatId),
        ]
        #expect(Set(others.map(\.hashValue) + [key.hashValue]).count == 5)
        #expect(key._rawHashValue(seed: 1) != key._rawHashValue(seed: 2))
    }

    @Test func anEmptyIndexHasNothingDueAndNothingToRemove() {
        var index = DeadlineIndex()
        #expect(index.first == nil && index.isEmpty && index.due(at: .max).isEmpty)
        let removedMissing = index.remove(Entry(0, Self.key(1)))
        #expect(!removedMissing)
        index.insert(Entry(5, Self.key(1)))
        #expect(index.due(at: 4).isEmpty && index.due(at: 5) == [Entry(5, Self.key(1))])
        let removed = index.remove(Entry(5, Self.key(1)))
        #expect(removed && index.isEmpty && index.chunkCount == 0)
    }
}
