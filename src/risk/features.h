#pragma once

// The feature set: a fixed, ordered list of named features that the feature
// engine computes for a payment event. The same list is what rules refer to
// by name and what the model is trained and served on (training replays
// events through the same FeatureEngine::Compute), so a feature's index and
// meaning never differ between the two. docs/risk.md defines every feature.
//
// Values are doubles. A value that does not exist for an event (no history
// yet, no location given) is NaN: the model treats it as missing and every
// rule comparison with it is false.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/limits.h"

namespace netfin::risk {

// The index of each feature in a FeatureVector. Adding a feature changes the
// feature set: models trained on the old set are refused (their feature
// names differ), rules keep working.
enum class Feature : uint16_t {
  // The event itself.
  kAmount,
  kKindPayment,
  kKindTransfer,
  kKindWithdrawal,
  kKindTopUp,
  kHourOfDayCn,
  kIsNight,
  kBalanceBefore,
  kAmountToBalanceRatio,
  // The event against the customer's own history.
  kCustomerHistoryCount,
  kAmountToMedianRatio,
  kAmountZscore,
  kNewPayee,
  kNewDevice,
  kNewIp,
  kLocationDistanceKm,
  kCustomerSecondsSinceLast,
  kCustomerFailed1h,
  kCustomerFailed24h,
  kPayeeFanIn1h,
  kPayeeFanIn24h,
  // Counts and sums per entity and window; the layout is fixed:
  // kWindowFirst + entity * 8 + (sum ? 4 : 0) + window (see WindowFeature).
  kCustomerCount1m,
  kCustomerCount1h,
  kCustomerCount24h,
  kCustomerCount30d,
  kCustomerSum1m,
  kCustomerSum1h,
  kCustomerSum24h,
  kCustomerSum30d,
  kDeviceCount1m,
  kDeviceCount1h,
  kDeviceCount24h,
  kDeviceCount30d,
  kDeviceSum1m,
  kDeviceSum1h,
  kDeviceSum24h,
  kDeviceSum30d,
  kIpCount1m,
  kIpCount1h,
  kIpCount24h,
  kIpCount30d,
  kIpSum1m,
  kIpSum1h,
  kIpSum24h,
  kIpSum30d,
  kPayeeCount1m,
  kPayeeCount1h,
  kPayeeCount24h,
  kPayeeCount30d,
  kPayeeSum1m,
  kPayeeSum1h,
  kPayeeSum24h,
  kPayeeSum30d,
  kMerchantCount1m,
  kMerchantCount1h,
  kMerchantCount24h,
  kMerchantCount30d,
  kMerchantSum1m,
  kMerchantSum1h,
  kMerchantSum24h,
  kMerchantSum30d,
};

inline constexpr size_t kFeatureCount = static_cast<size_t>(Feature::kMerchantSum30d) + 1;
inline constexpr Feature kWindowFirst = Feature::kCustomerCount1m;

// The entities that have windowed counts, in feature-layout order.
enum class Entity : uint8_t { kCustomer = 0, kDevice = 1, kIp = 2, kPayee = 3, kMerchant = 4 };
inline constexpr size_t kEntityCount = 5;

// The sliding windows, in feature-layout order. A window of length W at time
// t holds the events with timestamps in (t - W, t]: an event exactly W old
// has left it.
enum class Window : uint8_t { k1m = 0, k1h = 1, k24h = 2, k30d = 3 };
inline constexpr size_t kWindowCount = 4;
inline constexpr uint64_t kSecondNs = core::kNanosPerSecond;
inline constexpr uint64_t kMinuteNs = 60 * kSecondNs;
inline constexpr uint64_t kHourNs = 60 * kMinuteNs;
inline constexpr uint64_t kDayNs = 24 * kHourNs;
inline constexpr std::array<uint64_t, kWindowCount> kWindowNs = {kMinuteNs, kHourNs, kDayNs,
                                                                 30 * kDayNs};

enum class Aggregate : uint8_t { kCount = 0, kSum = 1 };

constexpr Feature WindowFeature(Entity entity, Aggregate aggregate, Window window) {
  return static_cast<Feature>(
      static_cast<size_t>(kWindowFirst) + static_cast<size_t>(entity) * 2 * kWindowCount +
      static_cast<size_t>(aggregate) * kWindowCount + static_cast<size_t>(window));
}
static_assert(WindowFeature(Entity::kMerchant, Aggregate::kSum, Window::k30d) ==
              Feature::kMerchantSum30d);
static_assert(WindowFeature(Entity::kIp, Aggregate::kCount, Window::k24h) == Feature::kIpCount24h);

// How a rule may use a feature: a flag (always 0 or 1) is a condition by
// itself ("new_device and is_night"); a number must be compared.
enum class FeatureType : uint8_t { kNumber, kFlag };

struct FeatureInfo {
  Feature feature;
  std::string_view name;
  FeatureType type;
};

// Every feature, in index order (kFeatures[i].feature == Feature(i)).
extern const std::array<FeatureInfo, kFeatureCount> kFeatures;

// The feature names in index order: the column names of a training matrix.
std::span<const std::string_view> FeatureNames();
// The index of the feature called name; empty when there is none.
std::optional<Feature> FindFeature(std::string_view name);

// One event's features. A plain value of kFeatureCount doubles.
struct FeatureVector {
  std::array<double, kFeatureCount> values{};

  double operator[](Feature f) const { return values[static_cast<size_t>(f)]; }
  double& operator[](Feature f) { return values[static_cast<size_t>(f)]; }
  std::span<const double> span() const { return values; }

  static std::span<const std::string_view> Names() { return FeatureNames(); }
};

}  // namespace netfin::risk
