import CParleyCRC32C

/// CRC-32C (Castagnoli), using the CPU's SSE4.2 instruction where available.
public enum CRC32C {
    /// Whether the hardware instruction is in use on this CPU.
    public static var usesHardware: Bool { parley_crc32c_hardware_available() != 0 }

    /// The checksum of `bytes`, continuing from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return parley_crc32c_update(crc, base, bytes.count)
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBytes { checksum($0) }
    }
}
