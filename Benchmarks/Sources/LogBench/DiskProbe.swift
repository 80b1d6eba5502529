#if canImport(Glibc)
import BenchChat
import Glibc
#endif

/// How fast this disk makes small writes durable, measured in the same run as the log: group commit can only
/// turn fdatasync latency into throughput, so this is the ceiling the durable-append figures are read against.
enum DiskProbe {
    /// The result of one probe.
    struct Result {
        /// fdatasync calls completed per second.
        var syncsPerSecond: Double
        /// Median latency of write + fdatasync, in seconds.
        var p50: Double
        /// 99th-percentile latency of write + fdatasync, in seconds.
        var p99: Double
    }

    /// Writes 4 KiB and calls fdatasync, over and over for `duration` seconds, in a new file in `directory`.
    ///
    /// - Parameter preallocated: overwrite blocks of a file already written in full (no size or extent change,
    ///   so fdatasync flushes data only), instead of appending (each sync also commits the new file size, as the
    ///   log's segments do).
    static func run(directory: String, duration: Double, preallocated: Bool) throws -> Result {
        let path = directory + (preallocated ? "/probe-overwrite" : "/probe-append")
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        let block = [UInt8](repeating: 0xA5, count: 4096)
        let span = 64 << 20
        if preallocated {
            for offset in stride(from: 0, to: span, by: 1 << 20) {
                let chunk = [UInt8](repeating: 0, count: 1 << 20)
                guard pwrite(fd, chunk, chunk.count, off_t(offset)) == chunk.count else {
                    throw BenchError("cannot preallocate \(path)")
                }
            }
            guard fsync(fd) == 0 else { throw BenchError("fsync failed on \(path)") }
        }
        var latencies: [Double] = []
        var offset = 0
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(duration * 1000))
        while ContinuousClock.now < deadline {
            let before = ContinuousClock.now
            guard pwrite(fd, block, block.count, off_t(offset)) == block.count, fdatasync(fd) == 0 else {
                throw BenchError("write or fdatasync failed on \(path)")
            }
            latencies.append(before.duration(to: .now).seconds)
            offset = preallocated ? (offset + block.count) % span : offset + block.count
        }
        let elapsed = start.duration(to: .now).seconds
        let sample = Sample(latencies)
        return Result(
            syncsPerSecond: Double(latencies.count) / elapsed,
            p50: sample.median,
            p99: sample.percentile(0.99)
        )
    }
}
