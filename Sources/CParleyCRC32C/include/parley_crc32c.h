#ifndef PARLEY_CRC32C_H
#define PARLEY_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes, using SSE4.2 when the CPU has it.
/// Start with `crc = 0`; the value returned is the finished checksum of everything fed so far.
uint32_t parley_crc32c_update(uint32_t crc, const void *data, size_t length);

/// The same checksum computed with the portable slicing-by-8 table code only.
uint32_t parley_crc32c_update_portable(uint32_t crc, const void *data, size_t length);

/// The same checksum computed with the SSE4.2 `crc32` instruction only; 0 from `parley_crc32c_hardware_available`
/// means this must not be called.
uint32_t parley_crc32c_update_hardware(uint32_t crc, const void *data, size_t length);

/// 1 when the running CPU has the SSE4.2 `crc32` instruction and it is used, else 0.
int parley_crc32c_hardware_available(void);

#endif
