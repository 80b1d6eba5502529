import EventLog

/// A fixed set of generated chat events, each encoded both ways; workloads cycle through it.
///
/// The pool is far larger than a 64 KiB frame (LZ4's window), so cycling through it compresses exactly like a
/// stream of fresh events would.
struct EventPool: Sendable {
    /// Record type tags.
    let types: [UInt16]
    /// Compact binary payloads.
    let binary: [[UInt8]]
    /// JSON lines, newline included.
    let json: [[UInt8]]
    /// Timestamp of the first event (µs since the Unix epoch).
    let startTime: Int64
    /// Mean µs between consecutive events.
    let meanInterval: Double

    /// Generates `count` events with the default simulation.
    init(count: Int) {
        var generator = ChatEventGenerator()
        var types: [UInt16] = []
        var binary: [[UInt8]] = []
        var json: [[UInt8]] = []
        types.reserveCapacity(count)
        binary.reserveCapacity(count)
        json.reserveCapacity(count)
        var first: Int64 = 0
        var last: Int64 = 0
        for index in 0..<count {
            let event = generator.next()
            if index == 0 { first = event.time }
            last = event.time
            types.append(event.typeTag)
            binary.append(EventEncoding.binary(event))
            json.append(EventEncoding.jsonLine(event))
        }
        self.types = types
        self.binary = binary
        self.json = json
        startTime = first
        meanInterval = count > 1 ? Double(last - first) / Double(count - 1) : 1
    }

    /// Number of distinct events.
    var count: Int { types.count }

    /// Mean size of the binary payloads, in bytes.
    var meanBinaryBytes: Double { Double(binary.reduce(0) { $0 + $1.count }) / Double(count) }

    /// Mean size of the JSON lines (newline included), in bytes.
    var meanJSONBytes: Double { Double(json.reduce(0) { $0 + $1.count }) / Double(count) }

    /// Share of each record type, for the report.
    var typeShares: [(type: UInt16, share: Double)] {
        var counts: [UInt16: Int] = [:]
        for type in types { counts[type, default: 0] += 1 }
        return counts.keys.sorted().map { ($0, Double(counts[$0]!) / Double(count)) }
    }

    /// The `index`-th event of an endless stream through the pool as a log record, timestamped so that
    /// timestamps never go backwards across passes.
    func record(_ index: Int, encoding: Encoding = .binary) -> LogRecord {
        let slot = index % count
        let timestamp = startTime + Int64(Double(index) * meanInterval)
        return LogRecord(
            timestamp: timestamp,
            type: types[slot],
            payload: encoding == .binary ? binary[slot] : json[slot]
        )
    }

    /// Which encoding a workload stores.
    enum Encoding: Sendable {
        /// The compact binary form.
        case binary
        /// JSON lines.
        case json
    }
}
