#include "credit/gbm_scorer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/files.h"
#include "core/assert.h"
#include "credit/credit_limits.h"
#include "ml/dataset.h"
#include "ml/model_files.h"

namespace netfin::credit {
namespace {

// Named features one Score call accepts, at most: far more than any model
// uses, and a bound on the work a caller can ask for.
constexpr size_t kScoreFeaturesMax = 65'536;

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// The features one source column becomes: one for a number, one per known
// category and then "(other)" for a category (ml::Encoding's layout).
size_t FeatureWidth(const ml::ColumnEncoding& column) {
  return column.kind == ml::ColumnKind::kNumeric ? 1 : column.categories.size() + 1;
}

core::Status BadFeature(const std::string& name, std::string_view why) {
  return core::InvalidArgument("feature '" + name + "': " + std::string(why));
}

// One numeric column's value: a float, or NaN for an explicit unknown.
core::Result<float> NumericValue(const std::string& name, const Feature& feature) {
  double value = 0;
  if (const double* number = std::get_if<double>(&feature.value)) {
    if (std::isnan(*number)) return kMissing;
    value = *number;
  } else {
    const std::string_view text = ml::TrimBlanks(std::get<std::string>(feature.value));
    if (text.empty()) return kMissing;
    if (!ml::ParseCellNumber(text, &value)) return BadFeature(name, "not a number");
  }
  if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max()) {
    return BadFeature(name, "outside float's range");
  }
  return static_cast<float>(value);
}

// Writes one categorical column's one-hot features (categories, then other).
core::Status FillCategorical(const ml::ColumnEncoding& column, const Feature& feature, float* out) {
  const size_t width = FeatureWidth(column);
  if (const double* number = std::get_if<double>(&feature.value)) {
    if (!std::isnan(*number)) return BadFeature(column.name, "a category (text), not a number");
    std::fill(out, out + width, kMissing);
    return core::Status::Ok();
  }
  const std::string_view text = ml::TrimBlanks(std::get<std::string>(feature.value));
  if (text.empty()) {
    std::fill(out, out + width, kMissing);
    return core::Status::Ok();
  }
  std::fill(out, out + width, 0.0f);
  const auto it = std::lower_bound(column.categories.begin(), column.categories.end(), text);
  const bool known = it != column.categories.end() && *it == text;
  out[known ? static_cast<size_t>(it - column.categories.begin()) : width - 1] = 1.0f;
  return core::Status::Ok();
}

// The encoding a model's features came from; for a model trained on features
// filled in code (no encoding), each feature is its own numeric column.
ml::Encoding EffectiveEncoding(const ml::GbmModel& model) {
  if (!model.encoding().columns.empty()) return model.encoding();
  ml::Encoding encoding;
  for (const std::string& name : model.feature_names()) encoding.columns.push_back({.name = name});
  return encoding;
}

}  // namespace

uint32_t ScoreFromDefaultProbability(double default_probability) {
  const double p =
      std::isnan(default_probability) ? 1.0 : std::clamp(default_probability, 0.0, 1.0);
  const long score = std::lround(static_cast<double>(kScoreMax) * (1.0 - p));
  NETFIN_ASSERT(score >= 0 && score <= static_cast<long>(kScoreMax));
  return static_cast<uint32_t>(score);
}

GbmScorer::GbmScorer(ml::GbmModel model, const GbmScorerOptions& options, ml::Encoding encoding,
                     std::vector<size_t> column_of_feature)
    : model_(std::move(model)),
      options_(options),
      encoding_(std::move(encoding)),
      column_of_feature_(std::move(column_of_feature)) {
  for (const ml::ColumnEncoding& column : encoding_.columns) column_names_.push_back(column.name);
  NETFIN_ASSERT(column_of_feature_.size() == model_.FeatureCount());
  NETFIN_ASSERT(options_.reasons_max <= kReasonCodesMax);
}

core::Result<GbmScorer> GbmScorer::Create(ml::GbmModel model, const GbmScorerOptions& options) {
  NETFIN_RETURN_IF_ERROR(options.grades.Validate());
  if (options.reasons_max > kReasonCodesMax) {
    return core::InvalidArgument("reasons_max: 0.." + std::to_string(kReasonCodesMax));
  }
  ml::Encoding encoding = EffectiveEncoding(model);
  if (encoding.FeatureNames() != model.feature_names()) {
    return core::InvalidArgument("the model's encoding does not give its feature names");
  }
  std::vector<size_t> column_of_feature;
  for (size_t c = 0; c < encoding.columns.size(); ++c) {
    column_of_feature.insert(column_of_feature.end(), FeatureWidth(encoding.columns[c]), c);
  }
  return GbmScorer(std::move(model), options, std::move(encoding), std::move(column_of_feature));
}

core::Result<GbmScorer> GbmScorer::Load(const std::string& model_path,
                                        const GbmScorerOptions& options) {
  core::Result<std::string> sidecar_text =
      core::ReadWholeFile(ml::SidecarPath(model_path), ml::kSidecarBytesMax);
  if (!sidecar_text.ok()) return sidecar_text.status();
  core::Result<ml::ModelSidecar> sidecar = ml::DecodeSidecar(*sidecar_text);
  if (!sidecar.ok()) return sidecar.status();
  core::Result<ml::GbmModel> model = ml::GbmModel::Load(model_path, sidecar->feature_names);
  if (!model.ok()) return model.status();
  return Create(std::move(model).value(), options);
}

core::Result<std::vector<float>> GbmScorer::EncodeFeatures(
    const std::vector<Feature>& features) const {
  if (features.size() > kScoreFeaturesMax) {
    return core::InvalidArgument("at most " + std::to_string(kScoreFeaturesMax) + " features");
  }
  std::unordered_map<std::string_view, const Feature*> by_name;
  for (const Feature& f : features) {
    if (!by_name.emplace(f.name, &f).second) return BadFeature(f.name, "given twice");
  }
  std::vector<float> row(model_.FeatureCount(), 0.0f);
  size_t next = 0;
  for (const ml::ColumnEncoding& column : encoding_.columns) {
    const auto it = by_name.find(column.name);
    if (it == by_name.end()) return BadFeature(column.name, "missing");
    if (column.kind == ml::ColumnKind::kNumeric) {
      core::Result<float> value = NumericValue(column.name, *it->second);
      if (!value.ok()) return value.status();
      row[next++] = *value;
      continue;
    }
    NETFIN_RETURN_IF_ERROR(FillCategorical(column, *it->second, row.data() + next));
    next += FeatureWidth(column);
  }
  NETFIN_ASSERT(next == row.size());
  return row;
}

core::Result<ScoreResult> GbmScorer::Score(const std::vector<Feature>& features) const {
  core::Result<std::vector<float>> row = EncodeFeatures(features);
  if (!row.ok()) return row.status();
  return ScoreRow(*row);
}

core::Result<ScoreResult> GbmScorer::ScoreRow(std::span<const float> row) const {
  core::Result<float> probability = model_.PredictProbability(row);
  if (!probability.ok()) return probability.status();
  ScoreResult result;
  result.score = ScoreFromDefaultProbability(*probability);
  result.grade = GradeForScore(result.score, options_.grades);
  if (options_.reasons_max > 0) {
    core::Result<std::vector<ReasonCode>> reasons = Reasons(row);
    if (!reasons.ok()) return reasons.status();
    result.reasons = std::move(reasons).value();
  }
  NETFIN_ASSERT(result.score <= kScoreMax);
  NETFIN_ASSERT(result.reasons.size() <= options_.reasons_max);
  return result;
}

core::Result<std::vector<ReasonCode>> GbmScorer::Reasons(std::span<const float> row) const {
  core::Result<ml::FeatureContributions> contributions = model_.Contributions(row);
  if (!contributions.ok()) return contributions.status();
  NETFIN_ASSERT(contributions->per_feature.size() == column_of_feature_.size());
  std::vector<double> per_column(column_names_.size(), 0.0);
  for (size_t f = 0; f < column_of_feature_.size(); ++f) {
    per_column[column_of_feature_[f]] += contributions->per_feature[f];
  }
  std::vector<size_t> order;
  for (size_t c = 0; c < per_column.size(); ++c) {
    if (per_column[c] > 0) order.push_back(c);
  }
  // Strongest first; ties in column order, so the codes are stable.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return per_column[a] > per_column[b]; });
  order.resize(std::min<size_t>(order.size(), options_.reasons_max));
  std::vector<ReasonCode> reasons;
  reasons.reserve(order.size());
  for (const size_t c : order) reasons.push_back({column_names_[c], per_column[c]});
  return reasons;
}

}  // namespace netfin::credit
