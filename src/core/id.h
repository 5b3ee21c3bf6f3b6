#pragma once

// 128-bit identifiers (accounts, transfers, pending ids, user_data_128).
// Written as decimal strings at the edges, as TigerBeetle's clients do, and as
// 16 big-endian bytes in storage so that byte order sorts like numeric order.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netfin::core {

struct Id128 {
  uint64_t hi = 0;
  uint64_t lo = 0;

  static constexpr Id128 Zero() { return {}; }
  // 2^128 - 1: reserved by the ledger as a sentinel, never a valid id.
  static constexpr Id128 Max() { return {UINT64_MAX, UINT64_MAX}; }
  static constexpr Id128 FromU64(uint64_t v) { return {0, v}; }

  // Parses a decimal string of 1 to 39 digits with no sign, spaces or
  // leading "+" ("0" is accepted and is the zero id). Empty on any error or
  // on a value above 2^128 - 1.
  static std::optional<Id128> ParseDecimal(std::string_view text);
  std::string ToDecimal() const;
  // The same digits without an allocation (an id in decimal does not fit a
  // std::string's inline buffer): for JSON written on hot paths.
  struct Decimal {
    char digits[39]{};  // 2^128 - 1 has 39
    uint8_t size = 0;
    std::string_view view() const { return {digits, size}; }
  };
  Decimal ToDecimalDigits() const;

  using Bytes = std::array<unsigned char, 16>;
  Bytes ToBytes() const;
  static Id128 FromBytes(const unsigned char* bytes16);

  bool IsZero() const { return hi == 0 && lo == 0; }
  bool IsMax() const { return hi == UINT64_MAX && lo == UINT64_MAX; }

  friend constexpr auto operator<=>(const Id128&, const Id128&) = default;
};

struct Id128Hash {
  size_t operator()(const Id128& id) const {
    // Ids are often sequential or random; a multiply-xorshift mixes both well
    // enough for open hashing without the cost of a cryptographic hash.
    uint64_t x = id.lo ^ (id.hi * 0x9E3779B97F4A7C15ull);
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    x ^= x >> 32;
    return static_cast<size_t>(x);
  }
};

}  // namespace netfin::core
