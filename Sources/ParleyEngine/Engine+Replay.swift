import EventLog
import ParleyDomain

extension Engine {
    /// Replays the log in `<dataDirectory>/log` read-only, applying the records stamped `until` or earlier.
    ///
    /// Changes no file and works while a writer has the log open. A command's events carry consecutive µs
    /// timestamps, so an instant can fall between two events of one command. This is blocking file I/O: in a server,
    /// call it from a thread of your own, not from the cooperative pool.
    /// - Parameters:
    ///   - dataDirectory: The data directory; the log lives in its `log/` subdirectory.
    ///   - until: The last instant (µs since the Unix epoch) to include; nil for the whole log.
    public static func replay(
        dataDirectory: String,
        until: Int64? = nil
    ) throws(EngineError)
        -> Snapshot<Machine.State>
    {
        let reader: LogReader
        do {
            reader = try LogReader.open(dataDirectory: dataDirectory)
        } catch {
            throw EngineError(log: error)
        }
        var snapshot = Snapshot(state: Machine.initialState(), position: 0, timestamp: 0)
        try fold(reader, into: &snapshot, until: until)
        return snapshot
    }

    /// Decodes and applies every record of `reader` after `snapshot.position` stamped `until` or earlier.
    static func fold(
        _ reader: LogReader,
        into snapshot: inout Snapshot<Machine.State>,
        until: Int64?
    ) throws(EngineError) {
        var decodeFailure: EngineError?
        do {
            try reader.forEach(fromSequence: snapshot.position + 1) { record in
                if let until, record.timestamp > until { return false }
                let event: Machine.Event?
                do throws(DecodeError) {
                    event = try Machine.decode(tag: record.type, payload: record.payload)
                } catch {
                    decodeFailure = EngineError(
                        .decode,
                        "record of type \(record.type) does not decode: \(error)",
                        sequence: record.sequence,
                        decodeError: error
                    )
                    return false
                }
                if let event { Machine.apply(event, at: record.timestamp, to: &snapshot.state) }
                snapshot.position = record.sequence
                snapshot.timestamp = record.timestamp
                return true
            }
        } catch let error as EventLogError {
            throw EngineError(log: error)
        } catch {
            throw EngineError(.log, "reading the log failed: \(error)")
        }
        if let decodeFailure { throw decodeFailure }
    }
}
