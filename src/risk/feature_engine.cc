#include "risk/feature_engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "core/assert.h"
#include "core/civil_date.h"
#include "core/money.h"
#include "risk/feature_engine_impl.h"

namespace netfin::risk {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Night in China: 00:00 to 05:59.
constexpr uint64_t kNightEndHour = 6;
// The z-score divides by the standard deviation, but by at least one minor
// unit: a customer who always pays the same amount has a deviation of zero,
// and any other amount is then very unusual, not infinitely so.
constexpr double kStddevMinMinor = 1.0;

double AsDouble(uint64_t v) { return static_cast<double>(v); }
double Flag(bool b) { return b ? 1.0 : 0.0; }

// Amounts come from outside; the engine never lets one past kAmountMax.
uint64_t ClampAmount(uint64_t amount_minor) { return std::min(amount_minor, core::kAmountMax); }

template <typename State>
const State* Lookup(const EntityTable<State>& table, const Id128& id) {
  return id.IsZero() ? nullptr : table.Find(id);
}

template <typename State>
EntityTableStats TableStats(const EntityTable<State>& table) {
  return EntityTableStats{table.size(), table.capacity(), table.evictions(),
                          EntityTable<State>::SlotBytes()};
}

// The event's own attributes.
void ComputeEventFeatures(const PaymentEvent& e, uint64_t amount_minor, FeatureVector* v) {
  FeatureVector& f = *v;
  f[Feature::kAmount] = AsDouble(amount_minor);
  f[Feature::kKindPayment] = Flag(e.kind == EventKind::kPayment);
  f[Feature::kKindTransfer] = Flag(e.kind == EventKind::kTransfer);
  f[Feature::kKindWithdrawal] = Flag(e.kind == EventKind::kWithdrawal);
  f[Feature::kKindTopUp] = Flag(e.kind == EventKind::kTopUp);
  const uint64_t hour = (e.timestamp_ns + core::kChinaUtcOffsetNs) / kHourNs % 24;
  f[Feature::kHourOfDayCn] = AsDouble(hour);
  f[Feature::kIsNight] = Flag(hour < kNightEndHour);
  f[Feature::kBalanceBefore] = kNaN;
  f[Feature::kAmountToBalanceRatio] = kNaN;
  if (e.balance_before_minor.has_value()) {
    const uint64_t balance = ClampAmount(*e.balance_before_minor);
    f[Feature::kBalanceBefore] = AsDouble(balance);
    if (balance > 0) f[Feature::kAmountToBalanceRatio] = AsDouble(amount_minor) / AsDouble(balance);
  }
}

// The amount against the customer's sample of past amounts.
void ComputeAmountHistory(const CustomerState* c, uint64_t amount_minor, FeatureVector* v) {
  FeatureVector& f = *v;
  f[Feature::kCustomerHistoryCount] = 0;
  f[Feature::kAmountToMedianRatio] = kNaN;
  f[Feature::kAmountZscore] = kNaN;
  if (c == nullptr || c->amounts.count() == 0) return;
  const AmountStats stats = c->amounts.Stats();
  const double amount = AsDouble(amount_minor);
  f[Feature::kCustomerHistoryCount] = stats.count;
  if (stats.median > 0) f[Feature::kAmountToMedianRatio] = amount / stats.median;
  if (stats.count >= 2) {
    f[Feature::kAmountZscore] = (amount - stats.mean) / std::max(stats.stddev, kStddevMinMinor);
  }
}

// Whether key is given and not among the customer's known keys.
template <uint32_t N>
double IsNew(const CustomerState* c, const RecentSet<N> CustomerState::*set, const Id128& key) {
  if (key.IsZero()) return 0;
  return Flag(c == nullptr || !(c->*set).Contains(Fingerprint(key)));
}

void ComputeCustomerFeatures(const CustomerState* c, const PaymentEvent& e, uint64_t now_ns,
                             FeatureVector* v) {
  FeatureVector& f = *v;
  const bool customer_given = !e.customer.IsZero();
  f[Feature::kNewPayee] = customer_given ? IsNew(c, &CustomerState::payees, e.payee) : 0;
  f[Feature::kNewDevice] = customer_given ? IsNew(c, &CustomerState::devices, e.device) : 0;
  f[Feature::kNewIp] = customer_given ? IsNew(c, &CustomerState::ips, e.ip) : 0;
  f[Feature::kLocationDistanceKm] = kNaN;
  f[Feature::kCustomerSecondsSinceLast] = kNaN;
  f[Feature::kCustomerFailed1h] = 0;
  f[Feature::kCustomerFailed24h] = 0;
  if (c == nullptr) return;
  if (e.location.has_value() && e.location->IsValid() && c->locations.count() > 0) {
    f[Feature::kLocationDistanceKm] = HaversineKm(c->locations.Usual(), *e.location);
  }
  if (!c->window.empty()) {
    f[Feature::kCustomerSecondsSinceLast] =
        AsDouble(now_ns - c->window.newest_ns()) / AsDouble(kSecondNs);
  }
  f[Feature::kCustomerFailed1h] = c->failures.CountSince(now_ns, kHourNs);
  f[Feature::kCustomerFailed24h] = c->failures.CountSince(now_ns, kDayNs);
}

// Distinct payers of the payee in the last hour and day, this event's
// customer included, at most kFanInPayersMax.
void ComputeFanIn(const PayeeState* p, const PaymentEvent& e, uint64_t now_ns, FeatureVector* v) {
  constexpr std::array<uint64_t, 2> kFanInWindowsNs = {kHourNs, kDayNs};
  std::array<uint32_t, 2> counts{};
  std::array<bool, 2> seen{};
  if (p != nullptr) {
    p->payers.Scan(Fingerprint(e.customer), now_ns, kFanInWindowsNs, &counts, &seen);
  }
  for (size_t w = 0; w < kFanInWindowsNs.size(); ++w) {
    if (!e.customer.IsZero() && !seen[w]) ++counts[w];
    counts[w] = std::min(counts[w], kFanInPayersMax);
  }
  (*v)[Feature::kPayeeFanIn1h] = e.payee.IsZero() ? 0 : counts[0];
  (*v)[Feature::kPayeeFanIn24h] = e.payee.IsZero() ? 0 : counts[1];
}

// The entity's windows with this event counted in; all zero when the event
// has no such entity.
void ComputeWindows(Entity entity, bool given, const WindowCounter* window, uint64_t amount_minor,
                    uint64_t now_ns, FeatureVector* v) {
  WindowTotals totals;
  if (window != nullptr) totals = window->Totals(now_ns);
  for (size_t w = 0; w < kWindowCount; ++w) {
    const Window win = static_cast<Window>(w);
    double count = 0;
    double sum = 0;
    if (given) {
      count = AsDouble(totals.count[w] + 1);
      sum = AsDouble(SaturatingAdd(totals.sum_minor[w], amount_minor));
    }
    (*v)[WindowFeature(entity, Aggregate::kCount, win)] = count;
    (*v)[WindowFeature(entity, Aggregate::kSum, win)] = sum;
  }
}

const WindowCounter* WindowOf(const auto* state) {
  return state == nullptr ? nullptr : &state->window;
}

// Hints the cache to load [p, p + bytes).
void PrefetchBytes(const void* p, size_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
}

void PrefetchState(const CustomerState* c) {
  if (c == nullptr) return;
  PrefetchBytes(c, offsetof(CustomerState, window));
  c->window.Prefetch();
}
void PrefetchState(const PayeeState* p) {
  if (p == nullptr) return;
  PrefetchBytes(p, offsetof(PayeeState, window));
  p->window.Prefetch();
}
void PrefetchState(const WindowState* w) {
  if (w != nullptr) w->window.Prefetch();
}

// The states an event names (null: not given, or not known yet). Pointer
// constness follows the engine's.
template <bool kConst>
struct EventStates {
  template <typename T>
  using Ptr = std::conditional_t<kConst, const T*, T*>;
  Ptr<CustomerState> customer = nullptr;
  Ptr<WindowState> device = nullptr;
  Ptr<WindowState> ip = nullptr;
  Ptr<PayeeState> payee = nullptr;
  Ptr<WindowState> merchant = nullptr;

  // Memory latency, not arithmetic, is what costs here: five lookups in
  // tables far larger than the caches. Asking for every index entry, then
  // for every state, before using any lets the cache misses overlap.
  void Prefetch() const {
    PrefetchState(customer);
    PrefetchState(device);
    PrefetchState(ip);
    PrefetchState(payee);
    PrefetchState(merchant);
  }
};

void PrefetchIndexes(const FeatureEngineState& s, const PaymentEvent& e) {
  if (!e.customer.IsZero()) s.customers.Prefetch(e.customer);
  if (!e.device.IsZero()) s.devices.Prefetch(e.device);
  if (!e.ip.IsZero()) s.ips.Prefetch(e.ip);
  if (!e.payee.IsZero()) s.payees.Prefetch(e.payee);
  if (!e.merchant.IsZero()) s.merchants.Prefetch(e.merchant);
}

EventStates<true> FindStates(const FeatureEngineState& s, const PaymentEvent& e) {
  PrefetchIndexes(s, e);
  EventStates<true> states{Lookup(s.customers, e.customer), Lookup(s.devices, e.device),
                           Lookup(s.ips, e.ip), Lookup(s.payees, e.payee),
                           Lookup(s.merchants, e.merchant)};
  states.Prefetch();
  return states;
}

template <typename State>
State* FindOrInsert(EntityTable<State>* table, const Id128& id) {
  if (id.IsZero()) return nullptr;
  bool created = false;
  return &table->FindOrInsert(id, &created);
}

EventStates<false> FindOrInsertStates(FeatureEngineState* s, const PaymentEvent& e) {
  PrefetchIndexes(*s, e);
  EventStates<false> states{FindOrInsert(&s->customers, e.customer),
                            FindOrInsert(&s->devices, e.device), FindOrInsert(&s->ips, e.ip),
                            FindOrInsert(&s->payees, e.payee),
                            FindOrInsert(&s->merchants, e.merchant)};
  states.Prefetch();
  return states;
}

void AddToWindow(auto* state, uint64_t now_ns, uint64_t amount_minor) {
  if (state != nullptr) state->window.Add(now_ns, amount_minor);
}

// What a succeeded attempt teaches about its customer.
void LearnCustomerHistory(const PaymentEvent& e, uint64_t amount_minor, CustomerState* c) {
  c->amounts.Add(amount_minor);
  if (!e.payee.IsZero()) c->payees.Touch(Fingerprint(e.payee));
  if (!e.device.IsZero()) c->devices.Touch(Fingerprint(e.device));
  if (!e.ip.IsZero()) c->ips.Touch(Fingerprint(e.ip));
  if (e.location.has_value() && e.location->IsValid()) c->locations.Add(*e.location);
}

}  // namespace

core::Status FeatureEngineOptions::Validate() const {
  const struct {
    const char* name;
    size_t value;
  } caps[] = {{"customers_max", customers_max},
              {"devices_max", devices_max},
              {"ips_max", ips_max},
              {"payees_max", payees_max},
              {"merchants_max", merchants_max}};
  for (const auto& cap : caps) {
    if (cap.value == 0 || cap.value > EntityTable<WindowState>::kCapacityMax) {
      return core::InvalidArgument(
          fmt::format("risk.{}: 1..{}", cap.name, EntityTable<WindowState>::kCapacityMax));
    }
  }
  return core::Status::Ok();
}

FeatureEngine::FeatureEngine(const FeatureEngineOptions& options) {
  NETFIN_ASSERT(options.Validate().ok());
  impl_ = std::make_unique<FeatureEngineState>(options);
}

FeatureEngine::~FeatureEngine() = default;
FeatureEngine::FeatureEngine(FeatureEngine&&) noexcept = default;
FeatureEngine& FeatureEngine::operator=(FeatureEngine&&) noexcept = default;

FeatureVector FeatureEngine::Compute(const PaymentEvent& event) const {
  NETFIN_ASSERT(impl_ != nullptr);
  const FeatureEngineState& s = *impl_;
  const uint64_t now_ns = std::max(event.timestamp_ns, s.latest_ns);
  const uint64_t amount_minor = ClampAmount(event.amount_minor);
  const EventStates<true> states = FindStates(s, event);
  FeatureVector v;
  ComputeEventFeatures(event, amount_minor, &v);
  ComputeAmountHistory(states.customer, amount_minor, &v);
  ComputeCustomerFeatures(states.customer, event, now_ns, &v);
  ComputeFanIn(states.payee, event, now_ns, &v);
  const auto windows = [&](Entity entity, const Id128& id, const WindowCounter* window) {
    ComputeWindows(entity, !id.IsZero(), window, amount_minor, now_ns, &v);
  };
  windows(Entity::kCustomer, event.customer, WindowOf(states.customer));
  windows(Entity::kDevice, event.device, WindowOf(states.device));
  windows(Entity::kIp, event.ip, WindowOf(states.ip));
  windows(Entity::kPayee, event.payee, WindowOf(states.payee));
  windows(Entity::kMerchant, event.merchant, WindowOf(states.merchant));
  return v;
}

void FeatureEngine::Observe(const PaymentEvent& event) {
  NETFIN_ASSERT(impl_ != nullptr);
  FeatureEngineState& s = *impl_;
  const uint64_t now_ns = std::max(event.timestamp_ns, s.latest_ns);
  const uint64_t amount_minor = ClampAmount(event.amount_minor);
  s.latest_ns = now_ns;
  ++s.events_observed;
  const EventStates<false> states = FindOrInsertStates(&s, event);
  AddToWindow(states.customer, now_ns, amount_minor);
  AddToWindow(states.device, now_ns, amount_minor);
  AddToWindow(states.ip, now_ns, amount_minor);
  AddToWindow(states.payee, now_ns, amount_minor);
  AddToWindow(states.merchant, now_ns, amount_minor);
  if (states.customer != nullptr) {
    if (event.outcome == Outcome::kSucceeded) {
      LearnCustomerHistory(event, amount_minor, states.customer);
    } else {
      states.customer->failures.Add(now_ns);
    }
  }
  if (states.payee != nullptr && !event.customer.IsZero()) {
    states.payee->payers.Touch(Fingerprint(event.customer), now_ns);
  }
}

void FeatureEngine::Rebuild(std::span<const PaymentEvent> events) {
  Clear();
  for (const PaymentEvent& event : events) Observe(event);
}

void FeatureEngine::Clear() {
  NETFIN_ASSERT(impl_ != nullptr);
  impl_ = std::make_unique<FeatureEngineState>(impl_->options);
}

FeatureEngineStats FeatureEngine::Stats() const {
  NETFIN_ASSERT(impl_ != nullptr);
  const FeatureEngineState& s = *impl_;
  return FeatureEngineStats{
      TableStats(s.customers), TableStats(s.devices), TableStats(s.ips), TableStats(s.payees),
      TableStats(s.merchants), s.events_observed,     s.latest_ns};
}

size_t FeatureEngine::MemoryBytesMax(const FeatureEngineOptions& o) {
  return o.customers_max * EntityTable<CustomerState>::SlotBytes() +
         o.devices_max * EntityTable<WindowState>::SlotBytes() +
         o.ips_max * EntityTable<WindowState>::SlotBytes() +
         o.payees_max * EntityTable<PayeeState>::SlotBytes() +
         o.merchants_max * EntityTable<WindowState>::SlotBytes();
}

}  // namespace netfin::risk
