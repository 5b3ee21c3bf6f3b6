#include "credit/civil_date.h"

#include <gtest/gtest.h>

namespace netfin::credit {
namespace {

TEST(DayCountTest, BasisAndName) {
  EXPECT_EQ(DayCountBasisDays(DayCount::kActual365), 365u);
  EXPECT_EQ(DayCountBasisDays(DayCount::kActual360), 360u);
  EXPECT_EQ(DayCountName(DayCount::kActual365), "act365");
  EXPECT_EQ(DayCountName(DayCount::kActual360), "act360");
}

}  // namespace
}  // namespace netfin::credit
