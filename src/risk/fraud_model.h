#pragma once

// The fraud model: the bridge between the streaming features (FeatureEngine)
// and a gradient-boosted model (ml::GbmModel), for training and for serving.
//
// Training replays a labelled log through a FeatureEngine, event by event
// (Compute, then Observe), and keeps, of each FeatureVector, the features of
// one of two fraud feature sets; serving takes the FeatureVector the engine
// computed for a live payment and projects it the same way. One projection
// for both, so what is served is what was trained.
//
// The feature sets are the engine's features minus those the training data
// (PaySim, risk/paysim.h) cannot teach honestly: docs/risk.md ("The fraud
// model") lists each left-out feature and why (it reads the step, which leaks
// the label; PaySim lacks it; or in PaySim it is a copy of another feature,
// which the model could learn in its place and then misread online). The two
// sets differ only in the balance-derived features, because the payer's
// balance makes PaySim's one fraud pattern almost trivially separable.
//
// FraudModel: lifecycle as ml::GbmModel (made by Train or Load, immutable,
// move-only); its const methods may run on several threads at once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/dataset.h"
#include "ml/gbm_model.h"
#include "risk/feature_engine.h"
#include "risk/features.h"
#include "risk/payment_event.h"

namespace netfin::risk {

// Which features a fraud model reads. DO NOT RENUMBER: written in training
// records.
enum class FraudFeatureSet : uint8_t {
  kWithBalance = 1,     // every usable feature, the payer's balance included
  kWithoutBalance = 2,  // the same without balance_before and amount_to_balance_ratio
};

// "balance" and "no_balance", and back.
std::string_view FraudFeatureSetName(FraudFeatureSet set);
std::optional<FraudFeatureSet> ParseFraudFeatureSet(std::string_view name);

// Why a feature of the engine is not in a fraud feature set.
enum class FraudExclusion : uint8_t {
  kReadsStep,          // computed from the timestamp's value, i.e. PaySim's step
  kOneMinuteWindow,    // at hour granularity the 1m window is the 1h window
  kNotInPaysim,        // PaySim has no devices, IPs, locations or failed attempts
  kPayerHasNoHistory,  // PaySim's payers make one transaction each
  kCopyInPaysim,       // equal to another feature on every PaySim row
  kBalanceDerived,     // the no-balance set only
};

// A sentence saying why (for docs and the train command's report).
std::string_view FraudExclusionText(FraudExclusion why);

// Why the feature is left out of the set; empty when the set uses it.
std::optional<FraudExclusion> FraudFeatureExclusion(Feature feature, FraudFeatureSet set);

// The set's features and their names, in FeatureVector index order.
std::span<const Feature> FraudModelFeatures(FraudFeatureSet set);
std::vector<std::string> FraudModelFeatureNames(FraudFeatureSet set);

// The widest feature set: a stack buffer of this many floats holds any row.
inline constexpr size_t kFraudFeaturesMax = kFeatureCount;

// Writes the set's features of the vector into row (as floats, NaN kept).
// REQUIRES: row.size() == FraudModelFeatures(set).size().
void ProjectFraudFeatures(const FeatureVector& features, FraudFeatureSet set, std::span<float> row);

// Replays events (in time order) through a fresh FeatureEngine with the
// given options (Compute, then Observe, each event) and returns the
// training matrix: one row per event, the set's features, labels as given.
// kInvalidArgument: labels and events differ in length, or no events.
core::Result<ml::Dataset> ReplayForTraining(std::span<const PaymentEvent> events,
                                            std::span<const uint8_t> labels, FraudFeatureSet set,
                                            const FeatureEngineOptions& engine_options = {});

class FraudModel {
 public:
  FraudModel(FraudModel&&) noexcept = default;
  FraudModel& operator=(FraudModel&&) noexcept = default;

  // Trains on the given rows of a ReplayForTraining matrix of that set.
  // kInvalidArgument: the matrix's features are not the set's; see
  // ml::GbmModel::Train for the rest.
  static core::Result<FraudModel> Train(const ml::Dataset& data, std::span<const size_t> rows,
                                        const ml::TrainParams& params, FraudFeatureSet set);

  // Loads a model saved by Save (or ml::GbmModel::Save) and refuses it,
  // kFailedPrecondition naming the first difference, when its features are
  // not exactly the set's.
  static core::Result<FraudModel> Load(const std::string& path, FraudFeatureSet set);
  // The same, for whichever set the model's sidecar names; kFailedPrecondition
  // when its features are neither set of this build.
  static core::Result<FraudModel> Load(const std::string& path);

  core::Status Save(const std::string& path) const;

  // P(fraud) of a payment from its features, through the compiled forest
  // (ml/forest.h): about 1 us for 200 trees of depth 6; no allocation.
  core::Result<float> Score(const FeatureVector& features) const;
  // The at most k features that pushed the score up most (exact SHAP
  // contributions, ml/forest.h): tens of microseconds, some 40 times a
  // score, so only for payments that are not allowed.
  core::Result<std::vector<ml::Reason>> Reasons(const FeatureVector& features, size_t k) const;

  FraudFeatureSet feature_set() const { return set_; }
  const ml::GbmModel& gbm() const { return gbm_; }

 private:
  FraudModel(ml::GbmModel gbm, FraudFeatureSet set) : gbm_(std::move(gbm)), set_(set) {}

  ml::GbmModel gbm_;
  FraudFeatureSet set_;
};

}  // namespace netfin::risk
