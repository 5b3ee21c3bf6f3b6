#include "core/checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace netfin::core {
namespace {

TEST(Checksum, MatchesBlake2b256OfEmptyInput) {
  ChecksumBuilder h;
  // BLAKE2b-256("") from RFC 7693's reference implementation.
  EXPECT_EQ(ChecksumToHex(h.Final()),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

TEST(Checksum, OrderAndEveryByteMatter) {
  auto hash = [](uint64_t a, uint64_t b) {
    ChecksumBuilder h;
    h.UpdateU64(a);
    h.UpdateU64(b);
    return h.Final();
  };
  EXPECT_EQ(hash(1, 2), hash(1, 2));
  EXPECT_NE(hash(1, 2), hash(2, 1));
  EXPECT_NE(hash(1, 2), hash(1, 3));
}

TEST(Crc32c, MatchesTheStandardCheckValues) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32c(0, check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(0, check.data(), check.size()), 0xE3069283u);
  // RFC 3720, appendix B.4: 32 zeros, 32 0xFF bytes, bytes 0..31.
  std::string bytes(32, '\0');
  EXPECT_EQ(Crc32c(0, bytes.data(), bytes.size()), 0x8A9136AAu);
  bytes.assign(32, '\xFF');
  EXPECT_EQ(Crc32c(0, bytes.data(), bytes.size()), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(0, bytes.data(), bytes.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, nullptr, 0), 0u);
}

TEST(Crc32c, HardwareAndTableAgreeAndContinue) {
  std::mt19937_64 random(5);
  for (size_t size : {1, 7, 8, 9, 63, 64, 65, 1000, 4099}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    const uint32_t whole = Crc32c(0, bytes.data(), bytes.size());
    EXPECT_EQ(whole, Crc32cPortable(0, bytes.data(), bytes.size())) << size;
    for (size_t cut : {size_t{0}, size / 3, size}) {
      EXPECT_EQ(Crc32c(Crc32c(0, bytes.data(), cut), bytes.data() + cut, size - cut), whole);
    }
    bytes[size / 2] ^= 1;  // any flipped bit shows
    EXPECT_NE(Crc32c(0, bytes.data(), bytes.size()), whole) << size;
  }
}

}  // namespace
}  // namespace netfin::core
