import HashTreeCollections
import Testing

@testable import ParleyDomain

/// The builder keeps each open record and its progress in one slot, but writes them as the two maps it kept before
/// (a `TieredMap` of records, a `TreeDictionary` of progress): checkpoints written before read back, and the bytes
/// (and the state hashes taken of them) are the same.
@Suite struct ContactRecordLayoutTests {
    /// The builder's progress as the map it was kept in before.
    static func progress(of builder: ContactRecordBuilder) -> TreeDictionary<Identifier, SegmentProgress> {
        var progress: TreeDictionary<Identifier, SegmentProgress> = [:]
        for (contactId, open) in builder.open.entries { progress[contactId] = open.progress }
        return progress
    }

    /// The builder as written before its records and progress shared a slot: a false flag, the records, the chains,
    /// the progress.
    static func formerLayout(
        records: TieredMap<Identifier, ContactTraceRecord>,
        chains: TieredMap<Identifier, [Identifier]>,
        progress: TreeDictionary<Identifier, SegmentProgress>,
        cold: inout ColdSplit
    ) -> [UInt8] {
        var writer = BinaryWriter(capacity: 4096)
        writer.write(bool: false)
        records.snapshotEncode(to: &writer, cold: &cold) { _, record in record.completed }
        chains.snapshotEncode(to: &writer, cold: &cold) { _, chain in chain.allSatisfy { progress[$0] == nil } }
        progress.snapshotEncode(to: &writer)
        return writer.bytes
    }

    /// The builder's open records as the map they were kept in before.
    static func records(of builder: ContactRecordBuilder) -> TieredMap<Identifier, ContactTraceRecord> {
        var records = TieredMap<Identifier, ContactTraceRecord>()
        for (contactId, open) in builder.open.entries { records[contactId] = open.record }
        return records
    }

    /// `formerLayout` of a builder.
    static func formerLayout(of builder: ContactRecordBuilder, cold: inout ColdSplit) -> [UInt8] {
        let (records, progress) = (records(of: builder), progress(of: builder))
        return formerLayout(records: records, chains: builder.chains, progress: progress, cold: &cold)
    }

    /// Builders part-way through a random traffic log: records open in every stage, with agents, queues, messages.
    static func builders(seed: UInt64) throws -> [ContactRecordBuilder] {
        let harness = try ProjectionEngineTests.traffic(seed: seed)
        var builder = ContactRecordBuilder()
        var state = ChatState()
        var builders: [ContactRecordBuilder] = []
        for (index, (timestamp, event)) in harness.log.enumerated() {
            ChatMachine.apply(event, at: timestamp, to: &state)
            _ = builder.apply(event, at: timestamp, state: state)
            if index % 97 == 0 { builders.append(builder) }
        }
        builders.append(builder)
        return builders
    }

    @Test(arguments: [3, 11] as [UInt64])
    func theBuilderWritesTheLayoutItWroteBefore(seed: UInt64) throws {
        let builders = try Self.builders(seed: seed)
        #expect(builders.contains { $0.openCount > 3 })
        #expect(builders.contains { $0.open.values.contains { $0.progress.agentParticipantId != nil } })
        #expect(builders.contains { $0.open.values.contains { $0.progress.customerUnanswered != nil } })
        for builder in builders {
            var inline = ColdSplit.inline
            let former = Self.formerLayout(of: builder, cold: &inline)
            #expect(builder.snapshotBytes() == former)
            let decoded = try ContactRecordBuilder(snapshotBytes: former)
            #expect(decoded == builder)

            var formerSplit = ColdSplit.split
            let formerSplitBytes = Self.formerLayout(of: builder, cold: &formerSplit)
            let split = builder.splitSnapshot()
            #expect(split.bytes == formerSplitBytes)
            #expect(split.tables.map(\.count) == formerSplit.tables.map(\.count))
            let tables = ColdTables(tables: split.tables.map { $0.inMemory() })
            #expect(try ContactRecordBuilder(splitSnapshot: split.bytes, tables: tables) == builder)
        }
    }

    @Test func recordsAndProgressOfDifferentContactsAreAnError() throws {
        let builder = try #require(try Self.builders(seed: 5).max { $0.openCount < $1.openCount })
        let contactId = try #require(builder.open.keys.first)
        let records = Self.records(of: builder)
        var inline = ColdSplit.inline

        var missing = Self.progress(of: builder)
        missing[contactId] = nil
        let unmatched = Self.formerLayout(records: records, chains: builder.chains, progress: missing, cold: &inline)
        #expect(throws: DecodeError.self) { try ContactRecordBuilder(snapshotBytes: unmatched) }

        var stray = Self.progress(of: builder)
        stray[Identifier(high: 1, low: 2)] = SegmentProgress()
        let withStray = Self.formerLayout(records: records, chains: builder.chains, progress: stray, cold: &inline)
        #expect(throws: DecodeError.self) { try ContactRecordBuilder(snapshotBytes: withStray) }

        var renamed = missing
        renamed[Identifier(high: 1, low: 2)] = SegmentProgress()
        let misnamed = Self.formerLayout(records: records, chains: builder.chains, progress: renamed, cold: &inline)
        #expect(throws: DecodeError.self) { try ContactRecordBuilder(snapshotBytes: misnamed) }
    }
}
