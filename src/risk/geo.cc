#include "risk/geo.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "core/assert.h"

namespace netfin::risk {

namespace {

double Radians(int32_t micro_deg) {
  return static_cast<double>(micro_deg) * 1e-6 * std::numbers::pi / 180.0;
}

// The lower median of values[0, count).
int32_t LowerMedian(std::array<int32_t, LocationHistory::kLocationsMax> values, uint32_t count) {
  auto* middle = values.data() + (count - 1) / 2;
  std::nth_element(values.data(), middle, values.data() + count);
  return *middle;
}

}  // namespace

double HaversineKm(const GeoPoint& a, const GeoPoint& b) {
  NETFIN_ASSERT(a.IsValid() && b.IsValid());
  const double lat_a = Radians(a.lat_micro_deg);
  const double lat_b = Radians(b.lat_micro_deg);
  const double half_dlat = (lat_b - lat_a) / 2;
  const double half_dlon = Radians(b.lon_micro_deg - a.lon_micro_deg) / 2;
  const double h = std::sin(half_dlat) * std::sin(half_dlat) +
                   std::cos(lat_a) * std::cos(lat_b) * std::sin(half_dlon) * std::sin(half_dlon);
  // Rounding can push h a hair past 1 for antipodal points.
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::min(1.0, h)));
}

void LocationHistory::Add(const GeoPoint& point) {
  NETFIN_ASSERT(point.IsValid());
  points_.Add(point);
}

GeoPoint LocationHistory::Usual() const {
  const std::span<const GeoPoint> points = points_.values();
  NETFIN_ASSERT(!points.empty() && points.size() <= kLocationsMax);
  std::array<int32_t, kLocationsMax> lats{};
  std::array<int32_t, kLocationsMax> lons{};
  for (size_t i = 0; i < points.size(); ++i) {
    lats[i] = points[i].lat_micro_deg;
    lons[i] = points[i].lon_micro_deg;
  }
  const auto count = static_cast<uint32_t>(points.size());
  return GeoPoint{LowerMedian(lats, count), LowerMedian(lons, count)};
}

bool LocationHistory::IsValid() const {
  if (!points_.IsValid()) return false;  // first: values() trusts the size
  const std::span<const GeoPoint> points = points_.values();
  return std::all_of(points.begin(), points.end(), [](const GeoPoint& p) { return p.IsValid(); });
}

}  // namespace netfin::risk
