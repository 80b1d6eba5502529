import CLZ4

/// The LZ4 block API with buffers it owns: compresses into and decompresses out of reusable storage.
///
/// Not thread-safe: one instance per writer or reader.
public struct LZ4Block: ~Copyable {
    private var scratch: UnsafeMutableRawBufferPointer
    /// LZ4's compression state (its 16 KiB hash table), initialised once: `LZ4_compress_default` cleared a fresh one
    /// on every call, which cost more than compressing a small input (a checkpoint's cold entries are small).
    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    /// The largest input LZ4's block API accepts.
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// Creates a codec with an empty scratch buffer.
    public init() {
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 16)
        guard let stream = LZ4_createStream() else { fatalError("out of memory for LZ4's 16 KiB compression state") }
        self.stream = stream
    }

    deinit {
        scratch.deallocate()
        LZ4_freeStream(stream)
    }

    /// The worst-case compressed size of `count` input bytes.
    public static func compressBound(_ count: Int) -> Int {
        Int(LZ4_compressBound(Int32(clamping: count)))
    }

    private mutating func ensureScratch(_ count: Int) {
        if scratch.count < count {
            scratch.deallocate()
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 64 * 1024), alignment: 16)
        }
    }

    /// Compresses `source`; the result is valid until the next call on this codec.
    ///
    /// Returns `nil` when the compressed form would not be smaller than the input.
    public mutating func compress(_ source: UnsafeRawBufferPointer) throws(EventLogError) -> UnsafeRawBufferPointer? {
        guard source.count <= Self.maxInputSize else {
            throw EventLogError(.compression, "input of \(source.count) bytes exceeds LZ4's block limit")
        }
        if source.isEmpty { return nil }
        // Only a result strictly smaller than the input is worth keeping.
        let capacity = source.count - 1
        ensureScratch(capacity)
        // A fast reset starts a new chain of blocks: the block depends on no earlier input, exactly as a one-shot
        // compression's would.
        LZ4_resetStream_fast(stream)
        let written = LZ4_compress_fast_continue(
            stream,
            source.baseAddress!.assumingMemoryBound(to: CChar.self),
            scratch.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(source.count),
            Int32(capacity),
            1
        )
        // LZ4 returns 0 when the output does not fit in `capacity`: the input is incompressible.
        guard written > 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: scratch[0..<Int(written)])
    }

    /// Decompresses `source`, which must expand to exactly `rawLength` bytes, into `destination`.
    ///
    /// Uses `LZ4_decompress_safe`: malformed input is an error, never a crash.
    public static func decompress(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        rawLength: Int
    ) throws(EventLogError) {
        guard rawLength <= destination.count, let src = source.baseAddress, let dst = destination.baseAddress else {
            throw EventLogError(.compression, "LZ4 destination too small or empty input")
        }
        let produced = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self),
            dst.assumingMemoryBound(to: CChar.self),
            Int32(clamping: source.count),
            Int32(clamping: rawLength)
        )
        guard produced == Int32(rawLength) else {
            throw EventLogError(
                .compression,
                produced < 0
                    ? "LZ4 data is malformed (error \(produced))"
                    : "LZ4 data expands to \(produced) bytes, header says \(rawLength)"
            )
        }
    }
}
