#include "risk/features.h"

namespace netfin::risk {

namespace {

constexpr FeatureType N = FeatureType::kNumber;
constexpr FeatureType F = FeatureType::kFlag;

}  // namespace

constexpr std::array<FeatureInfo, kFeatureCount> kFeatureTable = {{
    {Feature::kAmount, "amount", N},
    {Feature::kKindPayment, "kind_payment", F},
    {Feature::kKindTransfer, "kind_transfer", F},
    {Feature::kKindWithdrawal, "kind_withdrawal", F},
    {Feature::kKindTopUp, "kind_top_up", F},
    {Feature::kHourOfDayCn, "hour_of_day_cn", N},
    {Feature::kIsNight, "is_night", F},
    {Feature::kBalanceBefore, "balance_before", N},
    {Feature::kAmountToBalanceRatio, "amount_to_balance_ratio", N},
    {Feature::kCustomerHistoryCount, "customer_history_count", N},
    {Feature::kAmountToMedianRatio, "amount_to_median_ratio", N},
    {Feature::kAmountZscore, "amount_zscore", N},
    {Feature::kNewPayee, "new_payee", F},
    {Feature::kNewDevice, "new_device", F},
    {Feature::kNewIp, "new_ip", F},
    {Feature::kLocationDistanceKm, "location_distance_km", N},
    {Feature::kCustomerSecondsSinceLast, "customer_seconds_since_last", N},
    {Feature::kCustomerFailed1h, "customer_failed_1h", N},
    {Feature::kCustomerFailed24h, "customer_failed_24h", N},
    {Feature::kPayeeFanIn1h, "payee_fan_in_1h", N},
    {Feature::kPayeeFanIn24h, "payee_fan_in_24h", N},
    {Feature::kCustomerCount1m, "customer_count_1m", N},
    {Feature::kCustomerCount1h, "customer_count_1h", N},
    {Feature::kCustomerCount24h, "customer_count_24h", N},
    {Feature::kCustomerCount30d, "customer_count_30d", N},
    {Feature::kCustomerSum1m, "customer_sum_1m", N},
    {Feature::kCustomerSum1h, "customer_sum_1h", N},
    {Feature::kCustomerSum24h, "customer_sum_24h", N},
    {Feature::kCustomerSum30d, "customer_sum_30d", N},
    {Feature::kDeviceCount1m, "device_count_1m", N},
    {Feature::kDeviceCount1h, "device_count_1h", N},
    {Feature::kDeviceCount24h, "device_count_24h", N},
    {Feature::kDeviceCount30d, "device_count_30d", N},
    {Feature::kDeviceSum1m, "device_sum_1m", N},
    {Feature::kDeviceSum1h, "device_sum_1h", N},
    {Feature::kDeviceSum24h, "device_sum_24h", N},
    {Feature::kDeviceSum30d, "device_sum_30d", N},
    {Feature::kIpCount1m, "ip_count_1m", N},
    {Feature::kIpCount1h, "ip_count_1h", N},
    {Feature::kIpCount24h, "ip_count_24h", N},
    {Feature::kIpCount30d, "ip_count_30d", N},
    {Feature::kIpSum1m, "ip_sum_1m", N},
    {Feature::kIpSum1h, "ip_sum_1h", N},
    {Feature::kIpSum24h, "ip_sum_24h", N},
    {Feature::kIpSum30d, "ip_sum_30d", N},
    {Feature::kPayeeCount1m, "payee_count_1m", N},
    {Feature::kPayeeCount1h, "payee_count_1h", N},
    {Feature::kPayeeCount24h, "payee_count_24h", N},
    {Feature::kPayeeCount30d, "payee_count_30d", N},
    {Feature::kPayeeSum1m, "payee_sum_1m", N},
    {Feature::kPayeeSum1h, "payee_sum_1h", N},
    {Feature::kPayeeSum24h, "payee_sum_24h", N},
    {Feature::kPayeeSum30d, "payee_sum_30d", N},
    {Feature::kMerchantCount1m, "merchant_count_1m", N},
    {Feature::kMerchantCount1h, "merchant_count_1h", N},
    {Feature::kMerchantCount24h, "merchant_count_24h", N},
    {Feature::kMerchantCount30d, "merchant_count_30d", N},
    {Feature::kMerchantSum1m, "merchant_sum_1m", N},
    {Feature::kMerchantSum1h, "merchant_sum_1h", N},
    {Feature::kMerchantSum24h, "merchant_sum_24h", N},
    {Feature::kMerchantSum30d, "merchant_sum_30d", N},
}};

namespace {

constexpr bool TableIsInIndexOrder() {
  for (size_t i = 0; i < kFeatureTable.size(); ++i) {
    if (static_cast<size_t>(kFeatureTable[i].feature) != i) return false;
  }
  return true;
}
static_assert(TableIsInIndexOrder(), "kFeatureTable must list features in Feature order");

constexpr bool NamesAreUnique() {
  for (size_t i = 0; i < kFeatureTable.size(); ++i) {
    for (size_t j = i + 1; j < kFeatureTable.size(); ++j) {
      if (kFeatureTable[i].name == kFeatureTable[j].name) return false;
    }
  }
  return true;
}
static_assert(NamesAreUnique());

constexpr std::array<std::string_view, kFeatureCount> MakeNames() {
  std::array<std::string_view, kFeatureCount> names{};
  for (size_t i = 0; i < kFeatureTable.size(); ++i) names[i] = kFeatureTable[i].name;
  return names;
}
constexpr std::array<std::string_view, kFeatureCount> kNames = MakeNames();

}  // namespace

const std::array<FeatureInfo, kFeatureCount> kFeatures = kFeatureTable;

std::span<const std::string_view> FeatureNames() { return kNames; }

std::optional<Feature> FindFeature(std::string_view name) {
  for (const FeatureInfo& info : kFeatureTable) {
    if (info.name == name) return info.feature;
  }
  return std::nullopt;
}

}  // namespace netfin::risk
