#include "risk/fraud_model.h"

#include <algorithm>
#include <utility>

#include "core/files.h"
#include "core/assert.h"
#include "ml/model_files.h"

namespace netfin::risk {

namespace {

// The windowed features: which entity, which window.
std::optional<FraudExclusion> WindowExclusion(Feature feature) {
  const size_t offset = static_cast<size_t>(feature) - static_cast<size_t>(kWindowFirst);
  const auto entity = static_cast<Entity>(offset / (2 * kWindowCount));
  const auto window = static_cast<Window>(offset % kWindowCount);
  switch (entity) {
    case Entity::kCustomer:
      return FraudExclusion::kPayerHasNoHistory;
    case Entity::kDevice:
    case Entity::kIp:
      return FraudExclusion::kNotInPaysim;
    case Entity::kMerchant:
      return FraudExclusion::kCopyInPaysim;
    case Entity::kPayee:
      break;
  }
  switch (window) {
    case Window::k1m:
      return FraudExclusion::kOneMinuteWindow;
    case Window::k1h:
    case Window::k24h:
    case Window::k30d:
      return std::nullopt;
  }
  NETFIN_ASSERT(false);
}

std::vector<Feature> BuildFeatureSet(FraudFeatureSet set) {
  std::vector<Feature> features;
  for (size_t i = 0; i < kFeatureCount; ++i) {
    const auto feature = static_cast<Feature>(i);
    if (!FraudFeatureExclusion(feature, set).has_value()) features.push_back(feature);
  }
  NETFIN_ASSERT(!features.empty() && features.size() <= kFraudFeaturesMax);
  return features;
}

}  // namespace

std::optional<FraudExclusion> FraudFeatureExclusion(Feature feature, FraudFeatureSet set) {
  switch (feature) {
    case Feature::kAmount:
    case Feature::kKindPayment:
    case Feature::kKindTransfer:
    case Feature::kKindWithdrawal:
    case Feature::kKindTopUp:
      return std::nullopt;
    case Feature::kHourOfDayCn:
    case Feature::kIsNight:
    case Feature::kCustomerSecondsSinceLast:
      return FraudExclusion::kReadsStep;
    case Feature::kBalanceBefore:
    case Feature::kAmountToBalanceRatio:
      return set == FraudFeatureSet::kWithBalance
                 ? std::nullopt
                 : std::optional<FraudExclusion>(FraudExclusion::kBalanceDerived);
    case Feature::kCustomerHistoryCount:
    case Feature::kAmountToMedianRatio:
    case Feature::kAmountZscore:
    case Feature::kNewPayee:
      return FraudExclusion::kPayerHasNoHistory;
    case Feature::kNewDevice:
    case Feature::kNewIp:
    case Feature::kLocationDistanceKm:
    case Feature::kCustomerFailed1h:
    case Feature::kCustomerFailed24h:
      return FraudExclusion::kNotInPaysim;
    case Feature::kPayeeFanIn1h:
    case Feature::kPayeeFanIn24h:
      return FraudExclusion::kCopyInPaysim;
    default:
      break;  // the windowed features, by layout
  }
  NETFIN_ASSERT(feature >= kWindowFirst);
  return WindowExclusion(feature);
}

std::string_view FraudFeatureSetName(FraudFeatureSet set) {
  switch (set) {
    case FraudFeatureSet::kWithBalance:
      return "balance";
    case FraudFeatureSet::kWithoutBalance:
      return "no_balance";
  }
  NETFIN_ASSERT(false);
}

std::optional<FraudFeatureSet> ParseFraudFeatureSet(std::string_view name) {
  for (const FraudFeatureSet set :
       {FraudFeatureSet::kWithBalance, FraudFeatureSet::kWithoutBalance}) {
    if (FraudFeatureSetName(set) == name) return set;
  }
  return std::nullopt;
}

std::string_view FraudExclusionText(FraudExclusion why) {
  switch (why) {
    case FraudExclusion::kReadsStep:
      return "computed from the timestamp, i.e. PaySim's step, which leaks the label";
    case FraudExclusion::kOneMinuteWindow:
      return "at PaySim's hour granularity the 1m window holds what the 1h window holds";
    case FraudExclusion::kNotInPaysim:
      return "PaySim has no devices, IPs, locations or failed attempts (constant in training)";
    case FraudExclusion::kPayerHasNoHistory:
      return "PaySim's payers make one transaction each (no history; count 1, sum = amount)";
    case FraudExclusion::kCopyInPaysim:
      return "equal to a payee feature on every PaySim row (distinct payers, merchant = payee)";
    case FraudExclusion::kBalanceDerived:
      return "derived from the payer's balance (left out of the no_balance set)";
  }
  NETFIN_ASSERT(false);
}

std::span<const Feature> FraudModelFeatures(FraudFeatureSet set) {
  static const std::vector<Feature> kWithBalance = BuildFeatureSet(FraudFeatureSet::kWithBalance);
  static const std::vector<Feature> kWithoutBalance =
      BuildFeatureSet(FraudFeatureSet::kWithoutBalance);
  switch (set) {
    case FraudFeatureSet::kWithBalance:
      return kWithBalance;
    case FraudFeatureSet::kWithoutBalance:
      return kWithoutBalance;
  }
  NETFIN_ASSERT(false);
}

std::vector<std::string> FraudModelFeatureNames(FraudFeatureSet set) {
  const std::span<const std::string_view> all = FeatureNames();
  std::vector<std::string> names;
  for (const Feature f : FraudModelFeatures(set)) names.emplace_back(all[static_cast<size_t>(f)]);
  return names;
}

void ProjectFraudFeatures(const FeatureVector& features, FraudFeatureSet set,
                          std::span<float> row) {
  const std::span<const Feature> wanted = FraudModelFeatures(set);
  NETFIN_ASSERT(row.size() == wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) row[i] = static_cast<float>(features[wanted[i]]);
}

core::Result<ml::Dataset> ReplayForTraining(std::span<const PaymentEvent> events,
                                            std::span<const uint8_t> labels, FraudFeatureSet set,
                                            const FeatureEngineOptions& engine_options) {
  if (events.empty()) return core::InvalidArgument("no events to replay");
  if (labels.size() != events.size()) {
    return core::InvalidArgument("labels and events differ in number");
  }
  NETFIN_RETURN_IF_ERROR(engine_options.Validate());
  ml::Dataset data;
  data.feature_names = FraudModelFeatureNames(set);
  const size_t width = data.feature_names.size();
  data.row_count = events.size();
  data.values.resize(events.size() * width);
  data.labels.assign(labels.begin(), labels.end());
  FeatureEngine engine(engine_options);
  for (size_t i = 0; i < events.size(); ++i) {
    const FeatureVector features = engine.Compute(events[i]);
    ProjectFraudFeatures(features, set, std::span<float>(data.values).subspan(i * width, width));
    engine.Observe(events[i]);
  }
  return data;
}

core::Result<FraudModel> FraudModel::Train(const ml::Dataset& data, std::span<const size_t> rows,
                                           const ml::TrainParams& params, FraudFeatureSet set) {
  if (data.feature_names != FraudModelFeatureNames(set)) {
    return core::InvalidArgument("the training matrix does not have the features of the " +
                                 std::string(FraudFeatureSetName(set)) + " set");
  }
  core::Result<ml::GbmModel> gbm = ml::GbmModel::Train(data, rows, params);
  if (!gbm.ok()) return gbm.status();
  return FraudModel(std::move(gbm).value(), set);
}

core::Result<FraudModel> FraudModel::Load(const std::string& path, FraudFeatureSet set) {
  const std::vector<std::string> names = FraudModelFeatureNames(set);
  core::Result<ml::GbmModel> gbm = ml::GbmModel::Load(path, names);
  if (!gbm.ok()) {
    if (gbm.status().code() != core::StatusCode::kFailedPrecondition) return gbm.status();
    return core::Status(core::StatusCode::kFailedPrecondition,
                        gbm.status().message() + " (not a fraud model of the " +
                            std::string(FraudFeatureSetName(set)) + " feature set)");
  }
  return FraudModel(std::move(gbm).value(), set);
}

core::Result<FraudModel> FraudModel::Load(const std::string& path) {
  core::Result<std::string> json = core::ReadWholeFile(ml::SidecarPath(path), ml::kSidecarBytesMax);
  if (!json.ok()) return json.status();
  core::Result<ml::ModelSidecar> sidecar = ml::DecodeSidecar(*json);
  if (!sidecar.ok()) {
    return core::Status(sidecar.status().code(),
                        ml::SidecarPath(path) + ": " + sidecar.status().message());
  }
  for (const FraudFeatureSet set :
       {FraudFeatureSet::kWithBalance, FraudFeatureSet::kWithoutBalance}) {
    if (sidecar->feature_names == FraudModelFeatureNames(set)) return Load(path, set);
  }
  // Neither: the message names the first difference from the fuller set.
  core::Result<FraudModel> refused = Load(path, FraudFeatureSet::kWithBalance);
  NETFIN_ASSERT(!refused.ok());
  return refused.status();
}

core::Status FraudModel::Save(const std::string& path) const { return gbm_.Save(path); }

core::Result<float> FraudModel::Score(const FeatureVector& features) const {
  std::array<float, kFraudFeaturesMax> buffer;
  const std::span<float> row(buffer.data(), gbm_.FeatureCount());
  ProjectFraudFeatures(features, set_, row);
  return gbm_.PredictProbability(row);
}

core::Result<std::vector<ml::Reason>> FraudModel::Reasons(const FeatureVector& features,
                                                          size_t k) const {
  std::array<float, kFraudFeaturesMax> buffer;
  const std::span<float> row(buffer.data(), gbm_.FeatureCount());
  ProjectFraudFeatures(features, set_, row);
  return gbm_.TopReasons(row, k);
}

}  // namespace netfin::risk
