#include "ml/gbm_model.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <utility>

#include "core/checksum.h"
#include "core/files.h"
#include "ml/model_files.h"

namespace netfin::ml {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// XGBoost's prediction configs for batches (XGBoosterPredictFromDMatrix's
// "type": 0 = probability, 2 = SHAP contributions; one row goes to the
// Forest). NaN marks missing values, as in Dataset. Parsed by XGBoost on each
// call; kept short.
constexpr const char* kConfigProbability =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
    R"("strict_shape": false, "cache_id": 0, "missing": NaN})";
constexpr const char* kConfigContributions =
    R"({"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
    R"("strict_shape": false})";

std::string FormatNumber(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  NETFIN_ASSERT(result.ec == std::errc());
  return std::string(buffer, result.ptr);
}

bool InUnitInterval(double value) { return value > 0.0 && value <= 1.0; }

core::Status CheckParams(const TrainParams& params) {
  if (params.rounds < 1 || params.rounds > kRoundsMax) {
    return core::InvalidArgument("rounds must be 1.." + std::to_string(kRoundsMax));
  }
  if (params.max_depth < 1 || params.max_depth > kMaxDepthMax) {
    return core::InvalidArgument("max_depth must be 1.." + std::to_string(kMaxDepthMax));
  }
  if (!InUnitInterval(params.eta)) return core::InvalidArgument("eta must be in (0, 1]");
  if (!InUnitInterval(params.subsample)) {
    return core::InvalidArgument("subsample must be in (0, 1]");
  }
  if (!InUnitInterval(params.colsample)) {
    return core::InvalidArgument("colsample must be in (0, 1]");
  }
  if (!(params.scale_pos_weight > 0.0 && std::isfinite(params.scale_pos_weight))) {
    return core::InvalidArgument("scale_pos_weight must be positive and finite");
  }
  if (params.nthread < 1 || params.nthread > kThreadsMax) {
    return core::InvalidArgument("nthread must be 1.." + std::to_string(kThreadsMax));
  }
  return core::Status::Ok();
}

core::Status CheckTrainingRows(const Dataset& data, std::span<const size_t> rows) {
  NETFIN_RETURN_IF_ERROR(data.Validate());
  if (data.labels.empty()) return core::InvalidArgument("the data set has no labels");
  if (rows.empty()) return core::InvalidArgument("no rows to train on");
  size_t positives = 0;
  for (const size_t row : rows) {
    if (row >= data.row_count) {
      return core::InvalidArgument("row index " + std::to_string(row) + " is past the " +
                                   std::to_string(data.row_count) + " rows");
    }
    positives += data.labels[row];
  }
  if (positives == 0 || positives == rows.size()) {
    return core::InvalidArgument("the training rows need both classes (got " +
                                 std::to_string(positives) + " positives of " +
                                 std::to_string(rows.size()) + ")");
  }
  return core::Status::Ok();
}

core::Result<DMatrixPtr> MakeMatrix(const float* values, size_t rows, size_t columns) {
  DMatrixHandle handle = nullptr;
  NETFIN_RETURN_IF_ERROR(XgbCheck(XGDMatrixCreateFromMat(values, rows, columns, kMissing, &handle),
                                  "XGDMatrixCreateFromMat"));
  return DMatrixPtr(handle);
}

// REQUIRES: CheckTrainingRows(data, rows).ok().
core::Result<DMatrixPtr> MakeTrainingMatrix(const Dataset& data, std::span<const size_t> rows) {
  const Dataset part = data.Select(rows);
  const std::vector<float> labels(part.labels.begin(), part.labels.end());
  core::Result<DMatrixPtr> matrix =
      MakeMatrix(part.values.data(), rows.size(), data.FeatureCount());
  if (!matrix.ok()) return matrix;
  NETFIN_RETURN_IF_ERROR(
      XgbCheck(XGDMatrixSetFloatInfo(matrix->get(), "label", labels.data(), labels.size()),
               "XGDMatrixSetFloatInfo(label)"));
  return matrix;
}

core::Status SetParam(BoosterHandle booster, const char* name, const std::string& value) {
  return XgbCheck(XGBoosterSetParam(booster, name, value.c_str()),
                  std::string("XGBoosterSetParam(") + name + ")");
}

core::Status SetTrainingParams(BoosterHandle booster, const TrainParams& params) {
  const std::pair<const char*, std::string> settings[] = {
      {"objective", "binary:logistic"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(params.max_depth)},
      {"eta", FormatNumber(params.eta)},
      {"subsample", FormatNumber(params.subsample)},
      {"colsample_bytree", FormatNumber(params.colsample)},
      {"scale_pos_weight", FormatNumber(params.scale_pos_weight)},
      {"nthread", std::to_string(params.nthread)},
      // XGBoost's seed is a signed 64-bit integer; the bits are the same.
      {"seed", std::to_string(static_cast<int64_t>(params.seed))},
  };
  for (const auto& [name, value] : settings) NETFIN_RETURN_IF_ERROR(SetParam(booster, name, value));
  return core::Status::Ok();
}

// The proxy DMatrix that carries this thread's inplace (batch) predictions.
// Given no proxy, XGBoost 1.7 builds one per call, and building one reads two
// cgroup files (its Context's CPU quota): two open/read/close triples, about
// 20 us a call. A proxy only holds a view of the caller's array while a call
// runs, so one per thread serves every model. Freed when the thread exits.
core::Result<DMatrixHandle> ThreadProxy() {
  thread_local DMatrixPtr proxy;
  if (proxy == nullptr) {
    DMatrixHandle handle = nullptr;
    NETFIN_RETURN_IF_ERROR(XgbCheck(XGProxyDMatrixCreate(&handle), "XGProxyDMatrixCreate"));
    proxy.reset(handle);
  }
  return proxy.get();
}

core::Result<BoosterPtr> CreateBooster(DMatrixHandle* cache, size_t cache_count) {
  BoosterHandle handle = nullptr;
  NETFIN_RETURN_IF_ERROR(XgbCheck(XGBoosterCreate(cache, cache_count, &handle), "XGBoosterCreate"));
  return BoosterPtr(handle);
}

// "features differ at position 3: the model has 'x', the caller expects 'y'".
core::Status CompareFeatures(std::span<const std::string> model,
                             std::span<const std::string> expected) {
  const size_t common = std::min(model.size(), expected.size());
  for (size_t i = 0; i < common; ++i) {
    if (model[i] != expected[i]) {
      return core::Status(core::StatusCode::kFailedPrecondition,
                          "model features differ at position " + std::to_string(i) +
                              ": the model has '" + model[i] + "', the caller expects '" +
                              expected[i] + "'");
    }
  }
  if (model.size() != expected.size()) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "the model has " + std::to_string(model.size()) +
                            " features, the caller expects " + std::to_string(expected.size()));
  }
  return core::Status::Ok();
}

core::Result<std::string> SaveToJson(BoosterHandle booster) {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  NETFIN_RETURN_IF_ERROR(
      XgbCheck(XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &length, &bytes),
               "XGBoosterSaveModelToBuffer"));
  return std::string(bytes, length);  // XGBoost's buffer lives until its next call
}

// A booster holding the model in model_json that predicts on `threads`
// threads. kCorruption when XGBoost cannot read the model or it does not
// have feature_count features.
core::Result<BoosterPtr> BoosterFromJson(std::string_view model_json, size_t feature_count,
                                         int threads) {
  core::Result<BoosterPtr> booster = CreateBooster(nullptr, 0);
  if (!booster.ok()) return booster;
  NETFIN_RETURN_IF_ERROR(
      XgbCheck(XGBoosterLoadModelFromBuffer(booster->get(), model_json.data(), model_json.size()),
               "XGBoosterLoadModelFromBuffer", core::StatusCode::kCorruption));
  bst_ulong model_features = 0;
  NETFIN_RETURN_IF_ERROR(
      XgbCheck(XGBoosterGetNumFeature(booster->get(), &model_features), "XGBoosterGetNumFeature"));
  if (model_features != feature_count) {
    return core::Corruption("the model has " + std::to_string(model_features) +
                            " features, its sidecar names " + std::to_string(feature_count));
  }
  NETFIN_RETURN_IF_ERROR(SetParam(booster->get(), "nthread", std::to_string(threads)));
  return booster;
}

}  // namespace

double FeatureContributions::Margin() const {
  return std::accumulate(per_feature.begin(), per_feature.end(), static_cast<double>(bias));
}

GbmModel::GbmModel(BoosterPtr booster, Forest forest, std::vector<std::string> feature_names,
                   Encoding encoding, TrainParams params)
    : booster_(std::move(booster)),
      forest_(std::move(forest)),
      feature_names_(std::move(feature_names)),
      encoding_(std::move(encoding)),
      params_(params) {
  NETFIN_ASSERT(booster_ != nullptr);
  NETFIN_ASSERT(!feature_names_.empty() && forest_.feature_count() == feature_names_.size());
}

core::Result<GbmModel> GbmModel::FromJson(std::string_view model_json,
                                          std::vector<std::string> feature_names, Encoding encoding,
                                          const TrainParams& params) {
  core::Result<BoosterPtr> booster =
      BoosterFromJson(model_json, feature_names.size(), params.nthread);
  if (!booster.ok()) return booster.status();
  if (feature_names.size() > kForestFeaturesMax) {
    return core::Corruption("the model has more than " + std::to_string(kForestFeaturesMax) +
                            " features");
  }
  core::Result<Forest> forest = Forest::FromXgboostJson(model_json, feature_names.size());
  if (!forest.ok()) return forest.status();
  return GbmModel(std::move(booster).value(), std::move(forest).value(), std::move(feature_names),
                  std::move(encoding), params);
}

core::Result<GbmModel> GbmModel::Train(const Dataset& data, std::span<const size_t> rows,
                                       const TrainParams& params) {
  NETFIN_RETURN_IF_ERROR(CheckParams(params));
  NETFIN_RETURN_IF_ERROR(CheckTrainingRows(data, rows));
  core::Result<DMatrixPtr> matrix = MakeTrainingMatrix(data, rows);
  if (!matrix.ok()) return matrix.status();
  DMatrixHandle cache[] = {matrix->get()};
  core::Result<BoosterPtr> booster = CreateBooster(cache, 1);
  if (!booster.ok()) return booster.status();
  NETFIN_RETURN_IF_ERROR(SetTrainingParams(booster->get(), params));
  for (int round = 0; round < params.rounds; ++round) {
    NETFIN_RETURN_IF_ERROR(XgbCheck(XGBoosterUpdateOneIter(booster->get(), round, matrix->get()),
                                    "XGBoosterUpdateOneIter"));
  }
  // The trained booster goes through the saved form, so a trained model and
  // the same model loaded from disk are the same boosters.
  core::Result<std::string> json = SaveToJson(booster->get());
  if (!json.ok()) return json.status();
  return FromJson(*json, data.feature_names, data.encoding, params);
}

core::Result<GbmModel> GbmModel::Load(const std::string& path,
                                      std::span<const std::string> expected_feature_names) {
  const std::string sidecar_path = SidecarPath(path);
  core::Result<std::string> json = core::ReadWholeFile(sidecar_path, kSidecarBytesMax);
  if (!json.ok()) return json.status();
  core::Result<ModelSidecar> sidecar = DecodeSidecar(*json);
  if (!sidecar.ok()) {
    return core::Status(sidecar.status().code(), sidecar_path + ": " + sidecar.status().message());
  }
  core::Status same = CompareFeatures(sidecar->feature_names, expected_feature_names);
  if (!same.ok()) return core::Status(same.code(), path + ": " + same.message());
  core::Result<std::string> model_json = core::ReadWholeFile(path, kModelBytesMax);
  if (!model_json.ok()) return model_json.status();
  if (core::ChecksumHex(*model_json) != sidecar->model_checksum_hex) {
    return core::Corruption(path + ": the model file does not match its sidecar's checksum");
  }
  ModelSidecar& loaded = *sidecar;
  core::Result<GbmModel> model = FromJson(*model_json, std::move(loaded.feature_names),
                                          std::move(loaded.encoding), loaded.params);
  if (!model.ok()) {
    return core::Status(model.status().code(), path + ": " + model.status().message());
  }
  return model;
}

core::Status GbmModel::Save(const std::string& path) const {
  core::Result<std::string> model = SaveToJson(booster_.get());
  if (!model.ok()) return model.status();
  const ModelSidecar sidecar{.feature_names = feature_names_,
                             .encoding = encoding_,
                             .params = params_,
                             .model_checksum_hex = core::ChecksumHex(*model)};
  NETFIN_RETURN_IF_ERROR(core::WriteFileAtomically(path, *model));
  return core::WriteFileAtomically(SidecarPath(path), EncodeSidecar(sidecar));
}

core::Status GbmModel::CheckRowWidth(std::span<const float> row) const {
  if (row.size() == FeatureCount()) return core::Status::Ok();
  return core::InvalidArgument("a row has " + std::to_string(row.size()) +
                               " values, the model has " + std::to_string(FeatureCount()) +
                               " features");
}

core::Result<const float*> GbmModel::PredictDense(const float* values, size_t rows,
                                                  const char* config) const {
  NETFIN_ASSERT(rows > 0);
  // XGBoost's __array_interface__: a read-only row-major float32 matrix.
  char array[160];
  const int length = std::snprintf(
      array, sizeof(array),
      R"({"data": [%)" PRIuPTR R"(, true], "shape": [%zu, %zu], "typestr": "<f4", "version": 3})",
      reinterpret_cast<uintptr_t>(values), rows, FeatureCount());
  NETFIN_ASSERT(length > 0 && static_cast<size_t>(length) < sizeof(array));
  core::Result<DMatrixHandle> proxy = ThreadProxy();
  if (!proxy.ok()) return proxy.status();
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* result = nullptr;
  NETFIN_RETURN_IF_ERROR(XgbCheck(
      XGBoosterPredictFromDense(booster_.get(), array, config, *proxy, &shape, &dimensions, &result),
      "XGBoosterPredictFromDense"));
  if (dimensions < 1 || shape[0] != rows) {
    return core::Internal("XGBoosterPredictFromDense: unexpected output shape");
  }
  return result;
}

core::Result<float> GbmModel::PredictProbability(std::span<const float> row) const {
  NETFIN_RETURN_IF_ERROR(CheckRowWidth(row));
  return forest_.Probability(row);
}

core::Result<float> GbmModel::PredictMargin(std::span<const float> row) const {
  NETFIN_RETURN_IF_ERROR(CheckRowWidth(row));
  return forest_.Margin(row);
}

core::Status GbmModel::CheckDataRows(const Dataset& data, std::span<const size_t> rows) const {
  if (data.feature_names != feature_names_) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "the data set's features are not the model's");
  }
  NETFIN_RETURN_IF_ERROR(data.Validate());
  for (const size_t row : rows) {
    if (row >= data.row_count) return core::InvalidArgument("row index past the data set");
  }
  return core::Status::Ok();
}

core::Result<std::vector<float>> GbmModel::PredictProbabilities(
    const Dataset& data, std::span<const size_t> rows) const {
  NETFIN_RETURN_IF_ERROR(CheckDataRows(data, rows));
  if (rows.empty()) return std::vector<float>();
  const Dataset part = data.Select(rows);
  core::Result<const float*> result =
      PredictDense(part.values.data(), rows.size(), kConfigProbability);
  if (!result.ok()) return result.status();
  return std::vector<float>(*result, *result + rows.size());
}

core::Result<FeatureContributions> GbmModel::Contributions(std::span<const float> row) const {
  NETFIN_RETURN_IF_ERROR(CheckRowWidth(row));
  FeatureContributions contributions;
  contributions.per_feature.resize(FeatureCount());
  contributions.bias = forest_.Contributions(row, contributions.per_feature);
  return contributions;
}

core::Result<std::vector<FeatureContributions>> GbmModel::ContributionsOfRows(
    const Dataset& data, std::span<const size_t> rows) const {
  NETFIN_RETURN_IF_ERROR(CheckDataRows(data, rows));
  if (rows.empty()) return std::vector<FeatureContributions>();
  // Inplace prediction does not compute contributions; a DMatrix does.
  const Dataset part = data.Select(rows);
  core::Result<DMatrixPtr> matrix = MakeMatrix(part.values.data(), rows.size(), FeatureCount());
  if (!matrix.ok()) return matrix.status();
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* result = nullptr;
  NETFIN_RETURN_IF_ERROR(
      XgbCheck(XGBoosterPredictFromDMatrix(booster_.get(), matrix->get(), kConfigContributions,
                                           &shape, &dimensions, &result),
               "XGBoosterPredictFromDMatrix(contributions)"));
  const size_t width = FeatureCount() + 1;  // XGBoost puts each row's bias last
  if (dimensions != 2 || shape[0] != rows.size() || shape[1] != width) {
    return core::Internal("XGBoosterPredictFromDMatrix: unexpected contributions shape");
  }
  std::vector<FeatureContributions> out(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* at = result + r * width;
    out[r].per_feature.assign(at, at + FeatureCount());
    out[r].bias = at[FeatureCount()];
  }
  return out;
}

core::Result<std::vector<Reason>> GbmModel::TopReasons(std::span<const float> row, size_t k) const {
  core::Result<FeatureContributions> contributions = Contributions(row);
  if (!contributions.ok()) return contributions.status();
  const std::vector<float>& shares = contributions->per_feature;
  std::vector<size_t> order;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i] > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return shares[a] > shares[b]; });
  order.resize(std::min(order.size(), k));
  std::vector<Reason> reasons;
  reasons.reserve(order.size());
  for (const size_t i : order) reasons.push_back({feature_names_[i], row[i], shares[i]});
  return reasons;
}

}  // namespace netfin::ml
