#pragma once

// Fixed-width little-endian integers, the byte order of everything netfin
// persists or hashes (journal frames, the checksum chain, event payloads),
// written byte by byte so that the result never depends on the host.

#include <cstddef>
#include <cstdint>

namespace netfin::core {

// The low `bytes` bytes of v at out, least significant first.
// REQUIRES: 1 <= bytes <= 8; out has room for them.
inline void StoreLittleEndian(uint64_t v, size_t bytes, unsigned char* out) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}

// What StoreLittleEndian wrote. REQUIRES: 1 <= bytes <= 8.
inline uint64_t LoadLittleEndian(const unsigned char* in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(in[i]) << (8 * i);
  return v;
}

}  // namespace netfin::core
