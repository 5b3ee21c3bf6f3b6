#include "risk/geo.h"

#include <gtest/gtest.h>

#include <numbers>

namespace netfin::risk {
namespace {

constexpr GeoPoint kBeijing{39'904'200, 116'407'400};
constexpr GeoPoint kShanghai{31'230'400, 121'473'700};
constexpr GeoPoint kShenzhen{22'543'096, 114'057'865};

TEST(HaversineTest, KnownDistances) {
  EXPECT_EQ(HaversineKm(kBeijing, kBeijing), 0);
  EXPECT_NEAR(HaversineKm(kBeijing, kShanghai), 1067.3116, 0.001);
  EXPECT_NEAR(HaversineKm(kShanghai, kBeijing), 1067.3116, 0.001);
  EXPECT_NEAR(HaversineKm(kShenzhen, kBeijing), 1943.1462, 0.001);
  // One degree of longitude on the equator; the antipode.
  EXPECT_NEAR(HaversineKm({0, 0}, {0, 1'000'000}), 111.1951, 0.001);
  EXPECT_NEAR(HaversineKm({0, 0}, {0, 180'000'000}), std::numbers::pi * kEarthRadiusKm, 1e-6);
  EXPECT_NEAR(HaversineKm({90'000'000, 0}, {-90'000'000, 0}), std::numbers::pi * kEarthRadiusKm,
              1e-6);
}

TEST(GeoPointTest, Validity) {
  EXPECT_TRUE((GeoPoint{90'000'000, 180'000'000}).IsValid());
  EXPECT_TRUE((GeoPoint{-90'000'000, -180'000'000}).IsValid());
  EXPECT_FALSE((GeoPoint{90'000'001, 0}).IsValid());
  EXPECT_FALSE((GeoPoint{0, -180'000'001}).IsValid());
}

TEST(LocationHistoryTest, UsualIsTheCoordinateWiseLowerMedian) {
  LocationHistory h;
  h.Add(kBeijing);
  EXPECT_EQ(h.Usual(), kBeijing);
  h.Add(kShanghai);  // two points: the lower middle of each coordinate
  EXPECT_EQ(h.Usual(), (GeoPoint{kShanghai.lat_micro_deg, kBeijing.lon_micro_deg}));
  h.Add(kBeijing);  // one trip does not move the usual place
  EXPECT_EQ(h.Usual(), kBeijing);
  for (int i = 0; i < 8; ++i) h.Add(kShenzhen);  // the last 8 are all Shenzhen
  EXPECT_EQ(h.Usual(), kShenzhen);
  EXPECT_EQ(h.count(), LocationHistory::kLocationsMax);
  EXPECT_TRUE(h.IsValid());
}

}  // namespace
}  // namespace netfin::risk
