#include "credit/gbm_scorer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "credit/credit_test_support.h"

#include "core/scratch_dir.h"
#include "credit/credit_limits.h"
#include "ml/ml.h"

namespace netfin::credit {
namespace {

// Small, fast models: these tests check the scorer's contract, not the
// model's quality (docs/credit.md has the full-data figures).
const ml::TrainParams kSmallModel{
    .rounds = 40, .max_depth = 3, .eta = 0.2, .nthread = 1, .seed = 1};

std::vector<Feature> FeaturesOfRow(const ml::Dataset& data, size_t row) {
  std::vector<Feature> features;
  const std::span<const float> values = data.Row(row);
  for (size_t f = 0; f < data.FeatureCount(); ++f) {
    features.push_back({data.feature_names[f], static_cast<double>(values[f])});
  }
  return features;
}

TEST(GbmScorer, ScoreIsOneThousandTimesTheChanceOfRepaying) {
  struct Case {
    double probability;
    uint32_t score;
  };
  const Case cases[] = {
      {0.0, 1000},
      {1.0, 0},
      {0.2, 800},
      {0.5, 500},
      {0.0004, 1000},
      {0.0006, 999},
      {0.9996, 0},
      {-0.5, 1000},
      {1.5, 0},
      {std::numeric_limits<double>::quiet_NaN(), 0},  // no number is no evidence of safety
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ScoreFromDefaultProbability(c.probability), c.score) << c.probability;
  }
}

// A small table with a categorical column: "shop" buyers with large baskets default.
ml::Dataset CategoricalData() {
  const std::string csv = test_support::CategoricalCreditCsv();
  core::Result<ml::Dataset> data = ml::ParseCsv(csv, "defaulted", "yes", {.exclude = {"id"}});
  NETFIN_ASSERT(data.ok());
  return std::move(data).value();
}

GbmScorer TrainScorer(const ml::Dataset& data, GbmScorerOptions options = {}) {
  std::vector<size_t> all(data.row_count);
  std::iota(all.begin(), all.end(), size_t{0});
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(data, all, kSmallModel);
  NETFIN_ASSERT(model.ok());
  core::Result<GbmScorer> scorer = GbmScorer::Create(std::move(model).value(), options);
  NETFIN_ASSERT(scorer.ok());
  return std::move(scorer).value();
}

TEST(GbmScorer, ScoresNamedFeaturesThroughTheCsvEncoding) {
  const GbmScorer scorer = TrainScorer(CategoricalData());
  EXPECT_EQ(scorer.column_names(), (std::vector<std::string>{"channel", "basket"}));
  core::Result<ScoreResult> risky =
      scorer.Score({{"channel", std::string("shop")}, {"basket", 90.0}});
  core::Result<ScoreResult> safe =
      scorer.Score({{"basket", 90.0}, {"channel", std::string("app")}});
  ASSERT_TRUE(risky.ok()) << risky.status().ToString();
  ASSERT_TRUE(safe.ok()) << safe.status().ToString();
  EXPECT_LT(risky->score, 300u);
  EXPECT_GT(safe->score, 700u);
  EXPECT_EQ(risky->grade, Grade::kE);
  // A categorical column's one-hot features are one reason, named by the column.
  ASSERT_FALSE(risky->reasons.empty());
  EXPECT_EQ(risky->reasons[0].code, "channel");
  EXPECT_GT(risky->reasons[0].contribution, 0);
  // Text numbers, unknown categories ("other") and explicit unknowns are accepted.
  EXPECT_TRUE(
      scorer.Score({{"channel", std::string(" kiosk ")}, {"basket", std::string("12")}}).ok());
  EXPECT_TRUE(scorer
                  .Score({{"channel", std::string("")},
                          {"basket", std::numeric_limits<double>::quiet_NaN()}})
                  .ok());
  // Features the model does not use are ignored.
  EXPECT_TRUE(
      scorer.Score({{"channel", std::string("web")}, {"basket", 3.0}, {"bureau_hits", 2.0}}).ok());
}

// Compares rows of features, a NaN (missing) equal to a NaN.
void ExpectSameRow(std::span<const float> got, std::span<const float> want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t f = 0; f < got.size(); ++f) {
    if (std::isnan(want[f])) {
      EXPECT_TRUE(std::isnan(got[f])) << what << " feature " << f;
    } else {
      EXPECT_EQ(got[f], want[f]) << what << " feature " << f;
    }
  }
}

TEST(GbmScorer, EncodesNamedFeaturesAsLoadCsvEncodesTheirCells) {
  const ml::Dataset training = CategoricalData();
  const GbmScorer scorer = TrainScorer(training);
  // The same values as CSV cells, read with the model's encoding: an unknown
  // category is "(other)", blanks are trimmed, a signed text is a number, an
  // empty cell is missing.
  ml::CsvOptions options;
  options.encoding = scorer.model().encoding();
  core::Result<ml::Dataset> cells =
      ml::ParseCsv("channel,basket\n kiosk ,12\nshop,+90\n,\napp,-3.5\n", "", "", options);
  ASSERT_TRUE(cells.ok()) << cells.status().ToString();
  const std::vector<Feature> named[] = {
      {{"channel", std::string(" kiosk ")}, {"basket", std::string("12")}},
      {{"basket", std::string("+90")}, {"channel", std::string("shop")}},
      {{"channel", std::string("")}, {"basket", std::numeric_limits<double>::quiet_NaN()}},
      {{"channel", std::string("app")}, {"basket", -3.5}},
  };
  ASSERT_EQ(cells->row_count, std::size(named));
  for (size_t row = 0; row < cells->row_count; ++row) {
    core::Result<std::vector<float>> encoded = scorer.EncodeFeatures(named[row]);
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    ExpectSameRow(*encoded, cells->Row(row), "named features");
    // Score is ScoreRow of the encoded row.
    core::Result<ScoreResult> by_name = scorer.Score(named[row]);
    core::Result<ScoreResult> by_row = scorer.ScoreRow(cells->Row(row));
    ASSERT_TRUE(by_name.ok() && by_row.ok());
    EXPECT_EQ(by_name->score, by_row->score);
    EXPECT_EQ(by_name->grade, by_row->grade);
    EXPECT_EQ(by_name->reasons.size(), by_row->reasons.size());
  }
  EXPECT_EQ(scorer.ScoreRow(std::vector<float>(3)).status().code(),
            core::StatusCode::kInvalidArgument);  // the model has 5 features
}

TEST(GbmScorer, TwoSignsAreNotANumberAsInLoadCsv) {
  const GbmScorer scorer = TrainScorer(CategoricalData());
  ml::CsvOptions options;
  options.encoding = scorer.model().encoding();
  EXPECT_FALSE(ml::ParseCsv("channel,basket\nweb,+-5\n", "", "", options).ok());
  core::Result<std::vector<float>> encoded =
      scorer.EncodeFeatures({{"channel", std::string("web")}, {"basket", std::string("+-5")}});
  ASSERT_FALSE(encoded.ok());
  EXPECT_NE(encoded.status().message().find("'basket': not a number"), std::string::npos);
}

TEST(GbmScorer, RefusesMissingDuplicateAndMalformedFeaturesByName) {
  const GbmScorer scorer = TrainScorer(CategoricalData());
  struct Case {
    std::vector<Feature> features;
    std::string named;
  };
  const Case cases[] = {
      {{{"channel", std::string("web")}}, "'basket': missing"},
      {{{"basket", 1.0}}, "'channel': missing"},
      {{{"channel", std::string("web")}, {"basket", 1.0}, {"basket", 2.0}},
       "'basket': given twice"},
      {{{"channel", std::string("web")}, {"basket", std::string("12 fen")}},
       "'basket': not a number"},
      {{{"channel", 3.0}, {"basket", 1.0}}, "'channel': a category"},
      {{{"channel", std::string("web")}, {"basket", 1e300}}, "'basket': outside float"},
      {{{"channel", std::string("web")}, {"basket", std::numeric_limits<double>::infinity()}},
       "'basket': outside float"},
  };
  for (const Case& c : cases) {
    core::Result<ScoreResult> result = scorer.Score(c.features);
    ASSERT_FALSE(result.ok()) << c.named;
    EXPECT_EQ(result.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(c.named), std::string::npos)
        << result.status().message();
  }
}

TEST(GbmScorer, CreateRefusesBadOptions) {
  const ml::Dataset data = CategoricalData();
  std::vector<size_t> all(data.row_count);
  std::iota(all.begin(), all.end(), size_t{0});
  for (int attempt = 0; attempt < 2; ++attempt) {
    core::Result<ml::GbmModel> model = ml::GbmModel::Train(data, all, kSmallModel);
    ASSERT_TRUE(model.ok());
    GbmScorerOptions options;
    if (attempt == 0) options.reasons_max = kReasonCodesMax + 1;
    if (attempt == 1) options.grades.bands[4].score_min = 10;  // E must start at 0
    EXPECT_EQ(GbmScorer::Create(std::move(model).value(), options).status().code(),
              core::StatusCode::kInvalidArgument);
  }
}

TEST(GbmScorer, NoReasonsWhenAskedForNone) {
  const GbmScorer scorer = TrainScorer(CategoricalData(), {.reasons_max = 0});
  core::Result<ScoreResult> result =
      scorer.Score({{"channel", std::string("shop")}, {"basket", 90.0}});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->reasons.empty());
}

// The Taiwan credit-card data (../shared/data/credit): the first 2000 rows,
// 30% held out. Every score is in range, its grade is the policy's for it,
// reasons are positive, sorted, and the strongest names a column, and a
// saved model scores the same after Load.
TEST(GbmScorer, TaiwanSliceScoresGradesAndReasons) {
  const std::string path = std::string(NETFIN_CREDIT_DATA_DIR) + "/credit/taiwan_default.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  core::Result<ml::Dataset> full =
      ml::LoadCsv(path, "default.payment.next.month", "1", {.exclude = {"ID"}});
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  std::vector<size_t> first(2000);
  std::iota(first.begin(), first.end(), size_t{0});
  const ml::Dataset data = full->Select(first);
  core::Result<ml::SplitIndices> split = ml::StratifiedSplit(data.labels, 0.3, 42);
  ASSERT_TRUE(split.ok());
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(data, split->train, kSmallModel);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  core::ScratchDir dir;
  ASSERT_TRUE(model->Save(dir.File("credit.json")).ok());
  const GbmScorerOptions options;
  core::Result<GbmScorer> scorer = GbmScorer::Create(std::move(model).value(), options);
  ASSERT_TRUE(scorer.ok()) << scorer.status().ToString();
  core::Result<GbmScorer> loaded = GbmScorer::Load(dir.File("credit.json"), options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();

  std::vector<float> default_probability;
  bool seen[6] = {};
  size_t pay_0_first = 0;
  for (const size_t row : split->test) {
    core::Result<ScoreResult> result = scorer->Score(FeaturesOfRow(data, row));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_LE(result->score, kScoreMax);
    EXPECT_EQ(result->grade, GradeForScore(result->score, options.grades));
    seen[static_cast<int>(result->grade)] = true;
    const float p = *scorer->model().PredictProbability(data.Row(row));
    EXPECT_EQ(result->score, ScoreFromDefaultProbability(p));
    default_probability.push_back(p);
    ASSERT_LE(result->reasons.size(), options.reasons_max);
    for (size_t k = 0; k < result->reasons.size(); ++k) {
      EXPECT_GT(result->reasons[k].contribution, 0);
      if (k > 0) {
        EXPECT_LE(result->reasons[k].contribution, result->reasons[k - 1].contribution);
      }
    }
    if (!result->reasons.empty() && result->reasons[0].code == "PAY_0") ++pay_0_first;
    if (row % 50 == 0) {  // the loaded model scores alike (a sample: SHAP costs)
      core::Result<ScoreResult> again = loaded->ScoreRow(data.Row(row));
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->score, result->score);
      EXPECT_EQ(again->reasons.size(), result->reasons.size());
    }
  }
  // A model of this data separates: safe clients get A, late payers E.
  EXPECT_TRUE(seen[static_cast<int>(Grade::kA)]);
  EXPECT_TRUE(seen[static_cast<int>(Grade::kE)]);
  // Last month's repayment status is the strongest single signal in this data.
  EXPECT_GT(pay_0_first, split->test.size() / 20);
  const double auc = *ml::RocAuc(default_probability, data.LabelsOf(split->test));
  EXPECT_GT(auc, 0.68);
}

}  // namespace
}  // namespace netfin::credit
