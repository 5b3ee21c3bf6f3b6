#include "core/id.h"

#include <algorithm>

#include "core/assert.h"

namespace netfin::core {
namespace {

// 128-bit arithmetic through a GCC extension; __extension__ keeps -Wpedantic
// quiet, and the type never leaves this file.
__extension__ typedef unsigned __int128 U128;

U128 ToU128(const Id128& id) { return (static_cast<U128>(id.hi) << 64) | id.lo; }
Id128 FromU128(U128 v) { return {static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)}; }

constexpr size_t kDecimalDigitsMax = sizeof(Id128::Decimal::digits);  // 2^128 - 1 has 39 digits

}  // namespace

std::optional<Id128> Id128::ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > kDecimalDigitsMax) return std::nullopt;
  const U128 max = ToU128(Id128::Max());
  U128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const unsigned digit = static_cast<unsigned>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return FromU128(value);
}

std::string Id128::ToDecimal() const { return std::string(ToDecimalDigits().view()); }

Id128::Decimal Id128::ToDecimalDigits() const {
  // Every 128-bit division is a library call, so the value is cut into at
  // most three 19-digit parts with two or three of them, and each part is
  // written with 64-bit arithmetic (ids are printed in every JSON answer).
  constexpr uint64_t kPart = 10'000'000'000'000'000'000ull;  // 10^19
  U128 v = ToU128(*this);
  uint64_t parts[3];
  int count = 0;
  do {
    NETFIN_ASSERT(count < 3);
    parts[count++] = static_cast<uint64_t>(v % kPart);
    v /= kPart;
  } while (v != 0);
  Decimal out;
  char* buffer = out.digits;
  size_t n = 0;
  for (int i = 0; i < count; ++i) {
    uint64_t part = parts[i];
    const bool last = i + 1 == count;  // the leading part has no zero padding
    for (int digit = 0; digit < 19 && (!last || part != 0 || digit == 0); ++digit) {
      NETFIN_ASSERT(n < kDecimalDigitsMax);
      buffer[n++] = static_cast<char>('0' + part % 10);
      part /= 10;
    }
  }
  std::reverse(buffer, buffer + n);
  out.size = static_cast<uint8_t>(n);
  return out;
}

Id128::Bytes Id128::ToBytes() const {
  Bytes b;
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
  }
  return b;
}

Id128 Id128::FromBytes(const unsigned char* bytes16) {
  Id128 id;
  for (int i = 0; i < 8; ++i) {
    id.hi = (id.hi << 8) | bytes16[i];
    id.lo = (id.lo << 8) | bytes16[8 + i];
  }
  return id;
}

}  // namespace netfin::core
