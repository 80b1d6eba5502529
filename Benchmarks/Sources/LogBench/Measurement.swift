import BenchChat

/// Runs `body` and returns its result with the seconds it took.
func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, start.duration(to: .now).seconds)
}

/// Order statistics of a sample.
struct Sample {
    /// The values, sorted.
    let sorted: [Double]

    /// A sample of `values`.
    init(_ values: [Double]) { sorted = values.sorted() }

    /// The median (the mean of the middle two for an even count); 0 when empty.
    var median: Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The value below which `fraction` of the sample lies (nearest rank); 0 when empty.
    func percentile(_ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// What a replay pass saw, so the two peers can be checked against each other and the work cannot be optimised
/// away.
struct ReplayTally: Equatable {
    /// Records read.
    var events = 0
    /// Payload bytes read.
    var payloadBytes = 0
    /// A checksum over the type and the first and last payload byte of every record.
    var checksum: UInt64 = 0

    /// Counts one record.
    @inline(__always)
    mutating func add(type: UInt16, payload: UnsafeRawBufferPointer) {
        events += 1
        payloadBytes += payload.count
        if let first = payload.first, let last = payload.last {
            checksum = (checksum &* 31) &+ UInt64(type) &+ UInt64(first) << 8 &+ UInt64(last) << 16
        }
    }
}
