#pragma once

// BLAKE2b-256 checksums (libsodium), used to chain committed batches: each
// batch's checksum covers the previous batch's checksum and the batch's own
// records, so altering, dropping or reordering any committed record breaks
// every checksum after it. And CRC-32C, for frames on disk.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <sodium.h>

namespace netfin::core {

using Checksum = std::array<unsigned char, 32>;

std::string ChecksumToHex(const Checksum& checksum);

// BLAKE2b-256 of bytes, in lowercase hex.
std::string ChecksumHex(std::string_view bytes);

// Incremental hashing: Update any number of times, then Final once.
class ChecksumBuilder {
 public:
  ChecksumBuilder();

  void Update(const void* data, size_t size);
  void UpdateU64(uint64_t value);  // little-endian, fixed width
  void UpdateU32(uint32_t value);
  void UpdateU16(uint16_t value);
  Checksum Final();

 private:
  crypto_generichash_state state_;
  bool finished_ = false;
};

// CRC-32C (Castagnoli, as in iSCSI, ext4 and PostgreSQL's WAL) of bytes,
// continuing from crc (0 to start): Crc32c(Crc32c(0, a), b) is the CRC of a
// then b. The SSE4.2 instruction where the CPU has it (several GB/s), a
// table otherwise. For detecting torn or damaged writes, not tampering:
// anyone can recompute it (so can anyone an unkeyed BLAKE2b).
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);
// The table version, whatever the CPU: tests check that both agree.
uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t size);

}  // namespace netfin::core
