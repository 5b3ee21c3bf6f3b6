#pragma once

// The inside of FeatureEngine, shared by feature_engine.cc (features) and
// feature_engine_snapshot.cc (snapshots). Not part of the public API.

#include <cstdint>
#include <type_traits>

#include "risk/amount_history.h"
#include "risk/entity_table.h"
#include "risk/feature_engine.h"
#include "risk/geo.h"
#include "risk/recent_sets.h"
#include "risk/window_counter.h"

namespace netfin::risk {

// Distinct payees a customer is remembered to have paid: the "new payee"
// memory. Past it, the least recently paid payee is forgotten and a payment
// to it looks new again.
inline constexpr uint32_t kKnownPayeesMax = 32;
// Devices and IPs a customer is remembered to have paid from.
inline constexpr uint32_t kKnownDevicesMax = 8;
inline constexpr uint32_t kKnownIpsMax = 8;
// Failed attempts remembered per customer: the failure counts are exact up to
// 16 in 24 hours and stay at 16 beyond (16 failures a day is already alarming).
inline constexpr uint32_t kFailuresMax = 16;
// Distinct payers remembered per payee: fan-in is exact up to 64 and reads 64
// beyond (a mule rule fires long before; a big merchant simply reads 64).
inline constexpr uint32_t kFanInPayersMax = 64;

// In each state the window comes last, so that what Compute reads of a
// quiet entity (the small memories, the window's header and ring) is one
// contiguous run of cache lines, and the window's buckets, read only for
// busy entities, come after it.
struct CustomerState {
  AmountHistory amounts;
  LocationHistory locations;
  TimeRing<kFailuresMax> failures;
  RecentSet<kKnownPayeesMax> payees;
  RecentSet<kKnownDevicesMax> devices;
  RecentSet<kKnownIpsMax> ips;
  WindowCounter window;

  bool IsValid() const {
    return window.IsValid() && amounts.IsValid() && locations.IsValid() && failures.IsValid() &&
           payees.IsValid() && devices.IsValid() && ips.IsValid();
  }
};

struct PayeeState {
  RecentPayers<kFanInPayersMax> payers;
  WindowCounter window;

  bool IsValid() const { return window.IsValid() && payers.IsValid(); }
};

// Devices, IPs and merchants keep their windows only.
struct WindowState {
  WindowCounter window;

  bool IsValid() const { return window.IsValid(); }
};

// Snapshots copy states as bytes: they must have no padding (whose bytes
// would be indeterminate) and no pointers.
static_assert(std::is_trivially_copyable_v<CustomerState> &&
              std::has_unique_object_representations_v<CustomerState>);
static_assert(std::is_trivially_copyable_v<PayeeState> &&
              std::has_unique_object_representations_v<PayeeState>);
static_assert(std::is_trivially_copyable_v<WindowState> &&
              std::has_unique_object_representations_v<WindowState>);

struct FeatureEngineState {
  explicit FeatureEngineState(const FeatureEngineOptions& o)
      : options(o),
        customers(o.customers_max),
        devices(o.devices_max),
        ips(o.ips_max),
        payees(o.payees_max),
        merchants(o.merchants_max) {}

  FeatureEngineOptions options;
  EntityTable<CustomerState> customers;
  EntityTable<WindowState> devices;
  EntityTable<WindowState> ips;
  EntityTable<PayeeState> payees;
  EntityTable<WindowState> merchants;
  uint64_t latest_ns = 0;  // the latest timestamp observed; time never runs back
  uint64_t events_observed = 0;
};

}  // namespace netfin::risk
