#include "core/id.h"

#include <gtest/gtest.h>

namespace netfin::core {
namespace {

TEST(Id128, ParsesAndPrintsDecimalRoundTrip) {
  // Around the 19-digit parts ToDecimal works in, and zeros inside them.
  for (const char* text : {"0", "1", "9", "10", "18446744073709551615", "18446744073709551616",
                           "9999999999999999999", "10000000000000000000", "10000000000000000001",
                           "99999999999999999999999999999999999999",
                           "100000000000000000000000000000000000000",
                           "100000000000000000000000000000000000007",
                           "1000000000000000000000000000000000000",
                           "340282366920938463463374607431768211455"}) {
    auto id = Id128::ParseDecimal(text);
    ASSERT_TRUE(id.has_value()) << text;
    EXPECT_EQ(id->ToDecimal(), text);
  }
  EXPECT_EQ(Id128::ParseDecimal("18446744073709551616")->hi, 1u);
  EXPECT_TRUE(Id128::ParseDecimal("340282366920938463463374607431768211455")->IsMax());
}

TEST(Id128, RefusesMalformedOrOutOfRange) {
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "0x10", "1.0", "abc",
                           "340282366920938463463374607431768211456",
                           "9999999999999999999999999999999999999999"}) {
    EXPECT_FALSE(Id128::ParseDecimal(text).has_value()) << text;
  }
}

TEST(Id128, BytesSortLikeNumbers) {
  const Id128 a{0, UINT64_MAX}, b{1, 0};
  EXPECT_LT(a, b);
  EXPECT_LT(a.ToBytes(), b.ToBytes());
  EXPECT_EQ(Id128::FromBytes(b.ToBytes().data()), b);
  const Id128 max = Id128::Max();
  EXPECT_EQ(Id128::FromBytes(max.ToBytes().data()), max);
}

}  // namespace
}  // namespace netfin::core
