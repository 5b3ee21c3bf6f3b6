#pragma once

// GbmScorer: the first real CreditScorer, a gradient-boosted model of the
// probability of default (ml::GbmModel, XGBoost binary:logistic) trained by
// `netfin train credit` on any CSV with a header row.
//
// Score: 1000 x (1 - P(default)), rounded to nearest, so a score of 800 means
// the model gives a 20% chance of default; higher is safer, as CreditScorer
// requires. The default grade bands (A from 800, B 700, C 600, D 500) thus
// read as "A: P(default) <= 20%" ... "E: above 50%" (docs/credit.md).
//
// Reason codes: the model's exact TreeSHAP contributions, summed per source
// column (a categorical column's one-hot features count as one), keeping the
// columns that pushed towards default, strongest first, at most reasons_max.
// The code is the column's name as in the training CSV's header; the
// contribution is in log-odds (margin) units.
//
// Features: by name, as in the training file's header. A numeric column takes
// a number (or a text that is one); a categorical column takes its text, and
// a category the model never saw counts as its "(other)". A NaN number (or an
// empty text) is an explicit "unknown", which the trees handle as missing.
// A column the model needs and the caller did not give, a name given twice,
// or a malformed value is kInvalidArgument naming the column; features the
// model does not use are ignored (a bureau may send more than one model uses).
//
// Lifecycle: made by Create or Load, immutable afterwards, move-only (it owns
// the model). Threads: Score and ScoreRow may run concurrently (GbmModel's
// const methods do). Cost: one prediction (about 10 us) plus the SHAP
// contributions (about 0.4 ms) when reasons_max > 0.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "credit/grade.h"
#include "ml/dataset.h"
#include "ml/gbm_model.h"

namespace netfin::credit {

struct GbmScorerOptions {
  GradePolicy grades = {};
  // Reason codes per score, 0..kReasonCodesMax. Four, as adverse-action
  // notices customarily give the four key factors.
  uint32_t reasons_max = 4;
};

// The one conversion from the model's probability of default to a score:
// round(kScoreMax x (1 - p)), p clamped to [0, 1].
uint32_t ScoreFromDefaultProbability(double default_probability);

class GbmScorer final : public CreditScorer {
 public:
  GbmScorer(GbmScorer&&) noexcept = default;
  GbmScorer& operator=(GbmScorer&&) noexcept = default;
  ~GbmScorer() override = default;

  // kInvalidArgument: the grade policy is invalid, reasons_max is out of
  // range, or the model's encoding does not match its feature names.
  static core::Result<GbmScorer> Create(ml::GbmModel model, const GbmScorerOptions& options);
  // Loads a model saved by ml::GbmModel::Save (its sidecar names the
  // features). GbmModel::Load's errors, and the sidecar's.
  static core::Result<GbmScorer> Load(const std::string& model_path,
                                      const GbmScorerOptions& options);

  core::Result<ScoreResult> Score(const std::vector<Feature>& features) const override;
  // The score of a row already encoded in the model's feature layout (as
  // ml::LoadCsv makes them). kInvalidArgument: wrong width.
  core::Result<ScoreResult> ScoreRow(std::span<const float> row) const;
  // The model's feature layout of named features (see the file comment).
  core::Result<std::vector<float>> EncodeFeatures(const std::vector<Feature>& features) const;

  const ml::GbmModel& model() const { return model_; }
  // The source column of each feature (for an encoding-less model, the
  // feature itself).
  const std::vector<std::string>& column_names() const { return column_names_; }

 private:
  GbmScorer(ml::GbmModel model, const GbmScorerOptions& options, ml::Encoding encoding,
            std::vector<size_t> column_of_feature);

  core::Result<std::vector<ReasonCode>> Reasons(std::span<const float> row) const;

  ml::GbmModel model_;
  GbmScorerOptions options_;
  ml::Encoding encoding_;                  // the model's, or one numeric column per feature
  std::vector<std::string> column_names_;  // encoding_'s columns, in order
  std::vector<size_t> column_of_feature_;  // feature index -> index into column_names_
};

}  // namespace netfin::credit
