#include "risk/geo.h"

#include <algorithm>
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
  points_[next_] = point;
  next_ = (next_ + 1) % kLocationsMax;
  if (size_ < kLocationsMax) ++size_;
}

GeoPoint LocationHistory::Usual() const {
  NETFIN_ASSERT(size_ > 0 && size_ <= kLocationsMax);
  std::array<int32_t, kLocationsMax> lats{};
  std::array<int32_t, kLocationsMax> lons{};
  for (uint32_t i = 0; i < size_; ++i) {
    lats[i] = points_[i].lat_micro_deg;
    lons[i] = points_[i].lon_micro_deg;
  }
  return GeoPoint{LowerMedian(lats, size_), LowerMedian(lons, size_)};
}

bool LocationHistory::IsValid() const {
  if (size_ > kLocationsMax || next_ >= kLocationsMax) return false;
  if (size_ < kLocationsMax && next_ != size_) return false;
  for (uint32_t i = 0; i < size_; ++i) {
    if (!points_[i].IsValid()) return false;
  }
  return true;
}

}  // namespace netfin::risk
