#pragma once

// A gradient-boosted tree model for binary classification (XGBoost,
// objective binary:logistic, tree_method hist), with per-row explanations
// (exact TreeSHAP contributions) and save/load that pins the feature layout.
// XGBoost trains and predicts batches; one row is scored and explained by a
// compiled copy of the trees (ml/forest.h), which reproduces XGBoost's
// arithmetic without its per-call overhead.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/dataset.h"
#include "ml/forest.h"
#include "ml/xgb_handle.h"

namespace netfin::ml {

// Boosting rounds (trees), at most. Thousands are already past the point
// where a smaller eta would serve better; this bounds training time.
inline constexpr int kRoundsMax = 10000;
// Tree depth, at most: 2^16 leaves per tree is far past useful, and bounds
// the size of a tree.
inline constexpr int kMaxDepthMax = 16;
// Training threads, at most.
inline constexpr int kThreadsMax = 256;
// Every model this library trains fits a Forest.
static_assert(static_cast<size_t>(kRoundsMax) <= kForestTreesMax);
static_assert(static_cast<size_t>(kMaxDepthMax) <= kForestDepthMax);

// XGBoost's parameters of the same names; see XGBoost's parameter docs.
// Threads: XGBoost runs OpenMP teams, and libgomp's default wait policy spins
// for a descheduled team member; on a busy machine (measured here: 2 cores,
// load 6) ten small trees on 2 threads took 3 s instead of 15-45 ms. A process
// that trains or batch-predicts beside other work should run with
// OMP_WAIT_POLICY=passive (read by libgomp at start-up) or use nthread = 1.
// One-row prediction and explanation never call XGBoost (ml/forest.h).
struct TrainParams {
  int rounds = 200;               // boosting rounds, 1..kRoundsMax
  int max_depth = 6;              // 1..kMaxDepthMax
  double eta = 0.1;               // learning rate, (0, 1]
  double subsample = 1.0;         // rows sampled per tree, (0, 1]
  double colsample = 1.0;         // features sampled per tree (colsample_bytree), (0, 1]
  double scale_pos_weight = 1.0;  // weight of positive rows, > 0 (negatives / positives
                                  // balances the classes)
  int nthread = 2;                // XGBoost's threads for training and batch prediction
  uint64_t seed = 0;              // XGBoost's random seed (subsampling)

  bool operator==(const TrainParams&) const = default;
};

// One feature's share of a prediction, in margin (log-odds) units.
struct Reason {
  std::string feature = {};
  float value = 0;         // the row's value of the feature (NaN = missing)
  float contribution = 0;  // > 0 pushes towards the positive class
};

// SHAP contributions of one row: per_feature[i] belongs to feature i, and
// bias + sum(per_feature) is the row's margin.
struct FeatureContributions {
  std::vector<float> per_feature = {};
  float bias = 0;

  double Margin() const;
};

// Lifecycle: made by Train or Load, immutable afterwards, move-only (it owns
// an XGBoost booster). Threads: the const methods may run concurrently on
// one model (XGBoost >= 1.4 predicts thread-safely for tree models and keeps
// each thread's output buffer apart; the Forest is read-only); moving or
// destroying a model needs every call on it to have returned. Invariant: the
// booster and the forest hold the same trees, with exactly
// feature_names().size() features.
class GbmModel {
 public:
  GbmModel(GbmModel&&) noexcept = default;
  GbmModel& operator=(GbmModel&&) noexcept = default;
  ~GbmModel() = default;

  // Trains on the given rows of data (indices into it, e.g. a split's
  // train part). kInvalidArgument: invalid data (Dataset::Validate),
  // unlabelled data, no rows, an index out of range, rows of one class only,
  // or a parameter out of range. kInternal: XGBoost failed.
  static core::Result<GbmModel> Train(const Dataset& data, std::span<const size_t> rows,
                                      const TrainParams& params);

  // Loads a model saved by Save. kFailedPrecondition: its features are not
  // expected_feature_names, in order (the message names the first
  // difference), or the sidecar's format or version is unknown.
  // kCorruption: the model file does not match the sidecar's checksum,
  // either file is malformed, or the model is not one Forest compiles
  // (another objective or booster, categorical splits). kIoError: a file
  // cannot be read.
  static core::Result<GbmModel> Load(const std::string& path,
                                     std::span<const std::string> expected_feature_names);

  // Writes the model to path and its sidecar to path + ".features.json"
  // (model_files.h), each atomically.
  core::Status Save(const std::string& path) const;

  // P(positive) for one row of FeatureCount() values (NaN = missing), on
  // the calling thread through the Forest: no XGBoost call, no allocation,
  // about 1 us for 200 depth-6 trees (ml.h); equal to XGBoost's prediction
  // (forest_test.cc). kInvalidArgument: wrong row width.
  core::Result<float> PredictProbability(std::span<const float> row) const;
  // The row's margin (log-odds) before the logistic function.
  core::Result<float> PredictMargin(std::span<const float> row) const;
  // P(positive) for the given rows of data, in that order. data must have
  // the model's feature names (kFailedPrecondition otherwise).
  core::Result<std::vector<float>> PredictProbabilities(const Dataset& data,
                                                        std::span<const size_t> rows) const;

  // Exact TreeSHAP contributions of each feature to the row's margin,
  // computed by the Forest on the calling thread (XGBoost's algorithm and
  // arithmetic; each tree's mean value precomputed at load).
  core::Result<FeatureContributions> Contributions(std::span<const float> row) const;
  // XGBoost's own contributions for the given rows of data (a DMatrix, on
  // params().nthread threads), in that order: batch explanations, and the
  // reference the one-row path is tested against. data must have the
  // model's feature names (kFailedPrecondition otherwise).
  core::Result<std::vector<FeatureContributions>> ContributionsOfRows(
      const Dataset& data, std::span<const size_t> rows) const;
  // The at most k features with the largest positive contributions, largest
  // first (ties by feature order): why a row scored high.
  core::Result<std::vector<Reason>> TopReasons(std::span<const float> row, size_t k) const;

  const std::vector<std::string>& feature_names() const { return feature_names_; }
  size_t FeatureCount() const { return feature_names_.size(); }
  const Encoding& encoding() const { return encoding_; }
  const TrainParams& params() const { return params_; }
  const Forest& forest() const { return forest_; }

 private:
  GbmModel(BoosterPtr booster, Forest forest, std::vector<std::string> feature_names,
           Encoding encoding, TrainParams params);
  // A model from XGBoost's JSON (as Save writes it). kCorruption when XGBoost
  // or Forest cannot read it or its feature count is not
  // feature_names.size().
  static core::Result<GbmModel> FromJson(std::string_view model_json,
                                         std::vector<std::string> feature_names, Encoding encoding,
                                         const TrainParams& params);

  core::Status CheckRowWidth(std::span<const float> row) const;
  core::Status CheckDataRows(const Dataset& data, std::span<const size_t> rows) const;
  // Inplace prediction of rows x FeatureCount() values; config is one of the
  // JSON configs of gbm_model.cc. Returns XGBoost's thread-local output
  // buffer, valid until this thread's next XGBoost call.
  core::Result<const float*> PredictDense(const float* values, size_t rows,
                                          const char* config) const;

  // The same model twice: booster_ predicts (and explains) batches on
  // params_.nthread threads; forest_ scores and explains one row on the
  // caller's thread, because for one row XGBoost's fixed cost per call (its
  // JSON config parsed, feature vectors allocated) is most of the time.
  BoosterPtr booster_;
  Forest forest_;
  std::vector<std::string> feature_names_;
  Encoding encoding_;
  TrainParams params_;
};

}  // namespace netfin::ml
