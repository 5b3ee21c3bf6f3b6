#pragma once

// Distances on Earth for the "distance from the usual location" feature.
//
// Points are integer micro-degrees (GeoPoint); the great-circle distance is
// the haversine formula on a sphere of the Earth's mean radius (6371.0088 km,
// IUGG), computed in double from the integers: good to about 0.5% against
// the ellipsoid, far below what a phone's location is good for.
//
// LocationHistory keeps the last kLocationsMax locations of a customer's
// successful payments; the usual location is their coordinate-wise median
// (the lower middle for an even count, so it stays a point of integers). A
// median, unlike a mean, is not dragged away by one trip. Longitudes are not
// wrapped at the antimeridian: fine for China, approximate in Fiji.
//
// Thread-compatible.

#include <cstdint>

#include "risk/payment_event.h"
#include "risk/recent_sets.h"

namespace netfin::risk {

inline constexpr double kEarthRadiusKm = 6371.0088;

// REQUIRES: a.IsValid() && b.IsValid().
double HaversineKm(const GeoPoint& a, const GeoPoint& b);

class LocationHistory {
 public:
  static constexpr uint32_t kLocationsMax = 8;

  // REQUIRES: point.IsValid().
  void Add(const GeoPoint& point);
  // REQUIRES: count() > 0.
  GeoPoint Usual() const;
  uint32_t count() const { return points_.size(); }
  bool IsValid() const;

 private:
  Ring<GeoPoint, kLocationsMax> points_;
};

}  // namespace netfin::risk
