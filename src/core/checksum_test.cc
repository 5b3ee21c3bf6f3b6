#include "core/checksum.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace netfin::core
