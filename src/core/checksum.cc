#include "core/checksum.h"

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

}  // namespace netfin::core
