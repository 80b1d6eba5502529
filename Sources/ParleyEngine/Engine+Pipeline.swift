import Dispatch
import EventLog
import ParleyDomain
import Synchronization

/// How a replay spreads its work over threads.
public enum ReplayThreads: Sendable {
    /// Read, decode and apply on the calling thread.
    case one
    /// Read and decode on a second thread, apply on the calling thread; batches of decoded events pass between them
    /// through a bounded queue. The events are applied in log order, so the state is the same as with `.one`.
    case two

    /// Whether decoding runs on a thread of its own.
    var pipelines: Bool { self == .two }
}

/// Decoded records on their way from the decoding thread to the applying one: a bounded queue of batches.
final class DecodedBatches<Event: Sendable>: Sendable {
    /// One decoded record; `event` is nil for a record of a tag the machine does not know (replay skips it).
    struct Record: Sendable {
        var event: Event?
        var sequence: UInt64
        var timestamp: Int64
    }

    /// Records in log order; the last batch has `finished` set, and `failure` when decoding stopped on an error.
    struct Batch: Sendable {
        var records: [Record] = []
        var finished = false
        var failure: EngineError?
    }

    /// Records per batch: large enough that handing over costs nothing per event, small enough to stay in cache.
    static var batchSize: Int { 1024 }

    private let queue = Mutex<[Batch]>([])
    private let free: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    /// Batches the applying thread is done with, for the decoding thread to release or reuse: their events were
    /// allocated there, so they are freed there too (an event freed on the other thread goes back to the decoding
    /// thread's malloc arena under its lock), and their release is no longer on the applying thread's path.
    private let spent = Mutex<[Batch]>([])

    /// A queue holding at most `capacity` batches.
    init(capacity: Int) { free = DispatchSemaphore(value: capacity) }

    /// Adds a batch, waiting while the queue is full.
    func put(_ batch: Batch) {
        free.wait()
        queue.withLock { $0.append(batch) }
        filled.signal()
    }

    /// The oldest batch, waiting while the queue is empty.
    func take() -> Batch {
        filled.wait()
        let batch = queue.withLock { $0.removeFirst() }
        free.signal()
        return batch
    }

    /// Hands back a batch whose records were applied; the decoding thread releases it (`emptyBatch`).
    func retire(_ batch: consuming Batch) {
        // Moved in, not copied: a copy left here would make this thread's release the last one, now and then.
        var moving: Batch? = consume batch
        spent.withLock { $0.append(moving.take()!) }
    }

    /// A batch to fill: a retired one emptied (its records released here, its capacity kept), or a new one. The
    /// other retired batches are released here as well.
    func emptyBatch() -> Batch {
        var retired: [Batch] = []
        spent.withLock { swap(&$0, &retired) }
        guard var batch = retired.popLast() else {
            var batch = Batch()
            batch.records.reserveCapacity(Self.batchSize)
            return batch
        }
        batch.records.removeAll(keepingCapacity: true)
        return batch
    }
}

extension Engine {
    /// `fold` with decoding on a second thread: that thread reads and decodes the records into batches, this one
    /// applies them in order. The state and projections come out exactly as `fold` makes them.
    static func foldPipelined(
        _ reader: LogReader,
        into snapshot: inout Snapshot<Machine.State>,
        projections: inout ProjectionSet<Machine>,
        until: Int64?,
        through: UInt64 = .max
    ) throws(EngineError) {
        let batches = DecodedBatches<Machine.Event>(capacity: 4)
        let from = snapshot.position + 1
        DispatchQueue(label: "parley.replay.decode").async {
            batches.put(decodeBatches(reader, from: from, until: until, through: through, into: batches))
        }
        while true {
            let batch = batches.take()
            snapshot.withFields { state, position, timestamp in
                for record in batch.records {
                    if let event = record.event {
                        step(event, at: record.timestamp, state: &state, projections: &projections)
                    }
                    position = record.sequence
                    timestamp = record.timestamp
                }
            }
            if batch.finished {
                if let failure = batch.failure { throw failure }
                return
            }
            batches.retire(consume batch)
        }
    }

    /// Decodes the records from `from` into full batches put into `batches`; returns the last, finished batch.
    private static func decodeBatches(
        _ reader: LogReader,
        from: UInt64,
        until: Int64?,
        through: UInt64,
        into batches: DecodedBatches<Machine.Event>
    ) -> DecodedBatches<Machine.Event>.Batch {
        var batch = batches.emptyBatch()
        do {
            try reader.forEach(fromSequence: from) { record in
                if let until, record.timestamp > until { return false }
                if record.sequence > through { return false }
                do throws(DecodeError) {
                    let event = try Machine.decode(tag: record.type, payload: record.payload)
                    batch.records.append(.init(event: event, sequence: record.sequence, timestamp: record.timestamp))
                } catch {
                    batch.failure = EngineError(
                        .decode,
                        "record of type \(record.type) does not decode: \(error)",
                        sequence: record.sequence,
                        decodeError: error
                    )
                    return false
                }
                if batch.records.count == DecodedBatches<Machine.Event>.batchSize {
                    batches.put(batch)
                    batch = batches.emptyBatch()
                }
                return true
            }
        } catch let error as EventLogError {
            batch.failure = batch.failure ?? EngineError(log: error)
        } catch {
            batch.failure = batch.failure ?? EngineError(.log, "reading the log failed: \(error)")
        }
        batch.finished = true
        return batch
    }
}
