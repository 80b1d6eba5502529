import EventLog
import Foundation
import Synchronization
import Testing

/// Payload naming the writer and its own counter.
private func tag(writer: Int, index: Int) -> [UInt8] { Array("w\(writer)#\(index)".utf8) }

/// A counter shared by concurrent tasks and callbacks.
private final class Counter: Sendable {
    let value: Atomic<Int>
    init(_ start: Int = 0) { value = Atomic(start) }
}

/// Results collected from completion callbacks.
private final class Collected: Sendable {
    let results: Mutex<[Int: Result<AppendReceipt, EventLogError>]>
    init() { results = Mutex([:]) }
}

@Suite struct GroupCommitTests {
    @Test func concurrentWritersAreBatchedDurableAndOrdered() async throws {
        let directory = TemporaryDirectory()
        var options = EventLogOptions()
        options.durability = .always
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        let writers = 64
        let perWriter = 150
        // Every receipt is checked at the moment its caller is answered: the extent must already cover it.
        let answeredBeforeCommit = Counter()
        let receipts = try await withThrowingTaskGroup(of: [(Int, AppendReceipt)].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var mine: [(Int, AppendReceipt)] = []
                    for index in 0..<perWriter {
                        let receipt = try await log.append(
                            [LogRecord(type: UInt16(writer), payload: tag(writer: writer, index: index))],
                            stamp: .commitTime
                        )
                        if log.extent.headSequence < receipt.lastSequence {
                            answeredBeforeCommit.value.add(1, ordering: .relaxed)
                        }
                        mine.append((index, receipt))
                    }
                    return mine
                }
            }
            var all: [[(Int, AppendReceipt)]] = []
            for try await mine in group { all.append(mine) }
            return all
        }
        #expect(answeredBeforeCommit.value.load(ordering: .relaxed) == 0)
        let total = writers * perWriter
        let statistics = log.statistics
        await log.close()

        // Sequences handed out are exactly 1...total, each once.
        let sequences = receipts.flatMap { $0.map(\.1.firstSequence) }.sorted()
        #expect(sequences == Array(1...UInt64(total)))
        // Each writer's appends got increasing sequences, in the order it made them.
        for mine in receipts {
            #expect(mine.map(\.1.firstSequence) == mine.map(\.1.firstSequence).sorted())
        }
        // What is on disk after reopening is what each receipt said.
        let reader = try LogReader.open(dataDirectory: directory.path)
        var bySequence: [UInt64: [UInt8]] = [:]
        try reader.forEach(fromSequence: 1) { record in
            bySequence[record.sequence] = Array(record.payload)
            return true
        }
        #expect(bySequence.count == total)
        for (writer, mine) in receipts.enumerated() {
            for (index, receipt) in mine {
                let stored = bySequence[receipt.firstSequence]
                let expectedWriter = Int(String(decoding: stored ?? [], as: UTF8.self).dropFirst().prefix { $0 != "#" })
                #expect(stored == tag(writer: expectedWriter ?? -1, index: index))
                _ = writer
            }
        }
        #expect(statistics.records == total)
        #expect(statistics.syncs >= 1 && statistics.syncs <= statistics.batches)
        #expect(statistics.frames < total, "concurrent appends must share frames")
        let framesPerRecord = Double(statistics.frames) / Double(total)
        let syncsPerRecord = Double(statistics.syncs) / Double(total)
        print(
            "group commit: \(writers) writers, \(total) records, \(statistics.batches) batches, "
                + "\(statistics.frames) frames (\(framesPerRecord) per record), "
                + "\(statistics.syncs) fdatasyncs (\(syncsPerRecord) per record)"
        )
        #expect(try LogInspector.verify(dataDirectory: directory.path).intact)
    }

    @Test func aRejectedAppendDoesNotDisturbItsBatch() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path)
        _ = try await log.append([LogRecord(timestamp: 1_000, payload: [0])])
        // Enqueued back to back they share a batch; the middle one goes back in time and alone is refused.
        let collected = Collected()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Counter(3)
            for (index, timestamp) in [Int64(2_000), Int64(500), Int64(3_000)].enumerated() {
                log.enqueue([LogRecord(timestamp: timestamp, payload: [UInt8(index)])]) { result in
                    collected.results.withLock { $0[index] = result }
                    if remaining.value.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
        }
        let outcome = collected.results.withLock { $0 }
        #expect(try outcome[0]?.get().firstSequence == 2)
        #expect((try? outcome[1]?.get()) == nil)
        #expect(try outcome[2]?.get().firstSequence == 3)
        await log.close()
        #expect(try LogReader.open(dataDirectory: directory.path).records().map(\.payload) == [[0], [0], [2]])
    }

    @Test(arguments: [Durability.interval(milliseconds: 5), .none])
    func relaxedDurabilityStillCommitsEverything(durability: Durability) async throws {
        let directory = TemporaryDirectory()
        var options = EventLogOptions()
        options.durability = durability
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    for index in 0..<200 {
                        _ = try await log.append(
                            [LogRecord(payload: tag(writer: writer, index: index))],
                            stamp: .commitTime
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
        let statistics = log.statistics
        await log.close()
        #expect(statistics.records == 3200)
        if durability == .none { #expect(statistics.syncs == 0) }
        #expect(try LogReader.open(dataDirectory: directory.path).records().count == 3200)
    }

    @Test func readersRunConcurrentlyWithTheWriterAndNeverSeeAPartialFrame() async throws {
        let directory = TemporaryDirectory()
        let log = try EventLog.open(dataDirectory: directory.path, options: smallOptions(segmentSize: 16 * 1024))
        let total: UInt64 = 20_000
        let writer = Task {
            var sequence: UInt64 = 1
            while sequence <= total {
                let upper = min(total, sequence + 9)
                _ = try await log.append(
                    (sequence...upper).map { LogRecord(payload: payload(for: $0)) },
                    stamp: .commitTime
                )
                sequence = upper + 1
            }
        }
        var passes = 0
        var lastSeen: UInt64 = 0
        while lastSeen < total {
            // Each pass reads exactly what was committed when it started, and all of it must be intact.
            let reader = log.reader()
            var count: UInt64 = 0
            try reader.forEach(fromSequence: 1) { record in
                count += 1
                return record.sequence == count && record.payload.elementsEqual(payload(for: record.sequence))
            }
            #expect(count == reader.extent.headSequence)
            lastSeen = count
            passes += 1
            await Task.yield()
        }
        try await writer.value
        await log.close()
        #expect(passes >= 1)
    }
}
