#include "core/checksum.h"

#include <nmmintrin.h>

#include <cstring>

#include "core/assert.h"
#include "core/crypto.h"
#include "core/little_endian.h"

namespace netfin::core {

std::string ChecksumToHex(const Checksum& checksum) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(checksum.size() * 2);
  for (unsigned char byte : checksum) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xF]);
  }
  return hex;
}

ChecksumBuilder::ChecksumBuilder() {
  EnsureSodium();
  NETFIN_ASSERT(crypto_generichash_init(&state_, nullptr, 0, sizeof(Checksum)) == 0);
}

void ChecksumBuilder::Update(const void* data, size_t size) {
  NETFIN_ASSERT(!finished_);
  crypto_generichash_update(&state_, static_cast<const unsigned char*>(data), size);
}

void ChecksumBuilder::UpdateU64(uint64_t value) {
  unsigned char bytes[8];
  StoreLittleEndian(value, sizeof bytes, bytes);
  Update(bytes, sizeof bytes);
}

void ChecksumBuilder::UpdateU32(uint32_t value) { UpdateU64(value); }
void ChecksumBuilder::UpdateU16(uint16_t value) { UpdateU64(value); }

Checksum ChecksumBuilder::Final() {
  NETFIN_ASSERT(!finished_);
  finished_ = true;
  Checksum out;
  NETFIN_ASSERT(crypto_generichash_final(&state_, out.data(), out.size()) == 0);
  return out;
}

std::string ChecksumHex(std::string_view bytes) {
  ChecksumBuilder builder;
  builder.Update(bytes.data(), bytes.size());
  return ChecksumToHex(builder.Final());
}

namespace {

// The reflected Castagnoli polynomial.
constexpr uint32_t kCrc32cPolynomial = 0x82F63B78u;

struct Crc32cTable {
  uint32_t entries[256];
  constexpr Crc32cTable() : entries() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) {
        crc = (crc >> 1) ^ ((crc & 1u) != 0 ? kCrc32cPolynomial : 0);
      }
      entries[i] = crc;
    }
  }
};
constexpr Crc32cTable kCrc32cTable;

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const unsigned char* p,
                                                       size_t size) {
  uint64_t wide = crc;
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // the instruction reads little-endian, as x86 is
    wide = _mm_crc32_u64(wide, word);
  }
  auto narrow = static_cast<uint32_t>(wide);
  for (; size > 0; --size, ++p) narrow = _mm_crc32_u8(narrow, *p);
  return narrow;
}

uint32_t Crc32cTableDriven(uint32_t crc, const unsigned char* p, size_t size) {
  for (; size > 0; --size, ++p) crc = kCrc32cTable.entries[(crc ^ *p) & 0xFFu] ^ (crc >> 8);
  return crc;
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  const auto* p = static_cast<const unsigned char*>(data);
  return ~(hardware ? Crc32cSse42(~crc, p, size) : Crc32cTableDriven(~crc, p, size));
}

uint32_t Crc32cPortable(uint32_t crc, const void* data, size_t size) {
  return ~Crc32cTableDriven(~crc, static_cast<const unsigned char*>(data), size);
}

}  // namespace netfin::core
