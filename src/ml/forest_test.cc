#include "ml/forest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/files.h"
#include "core/scratch_dir.h"
#include "ml/dataset.h"
#include "ml/gbm_model.h"
#include "ml/model_files.h"
#include "ml/split.h"

namespace netfin::ml {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<size_t> Iota(size_t n) {
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  return rows;
}

// Blanks about one value in `one_in` (NaN = missing), so that training learns
// default directions and scoring takes them.
void BlankSomeValues(Dataset* data, uint64_t one_in, uint64_t seed) {
  Prng prng(seed);
  for (float& value : data->values) {
    if (prng.Below(one_in) == 0) value = kNaN;
  }
}

// Rows that sit on the model's split thresholds: for each split node of the
// first trees, a copy of a data row with the split's feature set to exactly
// the threshold and to the float just below it, where `<` decides.
Dataset ThresholdRows(const Dataset& data, const std::string& model_json, size_t rows_max) {
  Dataset out{.feature_names = data.feature_names};
  const std::string key = "\"split_conditions\":[";
  const std::string index_key = "\"split_indices\":[";
  size_t at = 0;
  size_t source_row = 0;
  while (out.row_count < rows_max) {
    const size_t conditions = model_json.find(key, at);
    const size_t indices = model_json.find(index_key, at);
    if (conditions == std::string::npos || indices == std::string::npos) break;
    std::vector<float> thresholds;
    std::vector<long> features;
    for (const char* p = model_json.c_str() + conditions + key.size(); *p != ']';) {
      char* end = nullptr;
      thresholds.push_back(std::strtof(p, &end));
      p = *end == ',' ? end + 1 : end;
    }
    for (const char* p = model_json.c_str() + indices + index_key.size(); *p != ']';) {
      char* end = nullptr;
      features.push_back(std::strtol(p, &end, 10));
      p = *end == ',' ? end + 1 : end;
    }
    for (size_t n = 0; n < std::min(thresholds.size(), features.size()); ++n) {
      const size_t feature = static_cast<size_t>(features[n]);
      for (const float value : {thresholds[n], std::nextafter(thresholds[n], -INFINITY)}) {
        const std::span<const float> row = data.Row(source_row++ % data.row_count);
        out.values.insert(out.values.end(), row.begin(), row.end());
        out.values[out.values.size() - row.size() + feature] = value;
        ++out.row_count;
      }
    }
    at = std::max(conditions, indices) + 1;
  }
  return out;
}

// |a - b|, and infinity when either is NaN: std::max(largest, NaN) keeps
// largest, so a forest that gave NaN would otherwise compare as equal.
template <typename T>
T Difference(T a, T b) {
  const T d = std::abs(a - b);
  return std::isnan(d) ? static_cast<T>(INFINITY) : d;
}

// The forest's probabilities against XGBoost's (batch inplace prediction) on
// every row of data; returns the largest difference. The tests demand 0, not
// a tolerance: the walk only compares and adds floats in XGBoost's order,
// and the logistic function is XGBoost's expression, so no compiler
// contraction (FMA) or reordering can make them differ.
float CompareProbabilities(const GbmModel& model, const Dataset& data) {
  const std::vector<size_t> rows = Iota(data.row_count);
  core::Result<std::vector<float>> xgboost = model.PredictProbabilities(data, rows);
  EXPECT_TRUE(xgboost.ok()) << xgboost.status().ToString();
  if (!xgboost.ok()) return INFINITY;
  float largest = 0;
  size_t exact = 0;
  for (const size_t row : rows) {
    const float forest = model.forest().Probability(data.Row(row));
    largest = std::max(largest, Difference(forest, (*xgboost)[row]));
    exact += forest == (*xgboost)[row];
  }
  std::printf("%zu rows: %zu probabilities bit-equal to XGBoost's, largest difference %g\n",
              rows.size(), exact, static_cast<double>(largest));
  return largest;
}

// Contributions: on this build they are bit-equal to XGBoost's too (the
// same recursion in the same float order), but TreeSHAP multiplies and adds,
// which a compiler may fuse (FMA) in one build and not in the other, so the
// tests allow 1e-5. The sum of the contributions is the margin up to the
// rounding of adding some 13 x 200 floats in another order.
struct ContributionDifferences {
  float largest_vs_xgboost = 0;  // any feature or the bias
  float largest_sum_vs_margin = 0;
};

ContributionDifferences CompareContributions(const GbmModel& model, const Dataset& data,
                                             size_t rows_max) {
  const std::vector<size_t> rows = Iota(std::min(rows_max, data.row_count));
  core::Result<std::vector<FeatureContributions>> xgboost =
      model.ContributionsOfRows(data, rows);
  EXPECT_TRUE(xgboost.ok()) << xgboost.status().ToString();
  ContributionDifferences d;
  if (!xgboost.ok()) return {INFINITY, INFINITY};
  for (const size_t row : rows) {
    core::Result<FeatureContributions> native = model.Contributions(data.Row(row));
    EXPECT_TRUE(native.ok());
    const FeatureContributions& x = (*xgboost)[row];
    d.largest_vs_xgboost = std::max(d.largest_vs_xgboost, Difference(native->bias, x.bias));
    for (size_t f = 0; f < model.FeatureCount(); ++f) {
      d.largest_vs_xgboost =
          std::max(d.largest_vs_xgboost, Difference(native->per_feature[f], x.per_feature[f]));
    }
    const double margin = model.forest().Margin(data.Row(row));
    d.largest_sum_vs_margin = std::max(
        d.largest_sum_vs_margin, static_cast<float>(Difference(native->Margin(), margin)));
  }
  std::printf("%zu rows: contributions differ from XGBoost's by at most %g, sum vs margin %g\n",
              rows.size(), static_cast<double>(d.largest_vs_xgboost),
              static_cast<double>(d.largest_sum_vs_margin));
  return d;
}

std::string ModelJson(const GbmModel& model, const core::ScratchDir& dir) {
  const std::string path = dir.File("model.json");
  EXPECT_TRUE(model.Save(path).ok());
  core::Result<std::string> json = core::ReadWholeFile(path, kModelBytesMax);
  EXPECT_TRUE(json.ok());
  return json.ok() ? *json : std::string();
}

// The PaySim sample (../shared/data), a slice of it with values blanked, and
// a model of the size netfin serves (depth 6), so that every path XGBoost
// takes (default directions included) is exercised.
class ForestPaysimTest : public ::testing::Test {
 protected:
  static constexpr size_t kRows = 8'000;

  static void SetUpTestSuite() {
    const std::string path = std::string(NETFIN_ML_DATA_DIR) + "/fraud/paysim_sample.csv";
    if (!std::filesystem::exists(path)) return;
    core::Result<Dataset> full =
        LoadCsv(path, "isFraud", "1", {.exclude = {"nameOrig", "nameDest", "step"}});
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    data_ = new Dataset(full->Select(Iota(kRows)));
    BlankSomeValues(data_, 8, 11);
    // Train on 70%, score all: held-out rows reach leaves training did not fill.
    const std::vector<size_t> train = Iota(kRows * 7 / 10);
    const TrainParams params{.rounds = 120, .max_depth = 6, .eta = 0.1, .nthread = 1, .seed = 5};
    core::Result<GbmModel> model = GbmModel::Train(*data_, train, params);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = new GbmModel(std::move(model).value());
  }
  static void TearDownTestSuite() {
    delete model_;
    delete data_;
    model_ = nullptr;
    data_ = nullptr;
  }
  void SetUp() override {
    if (model_ == nullptr) GTEST_SKIP() << "the PaySim sample is absent";
  }

  static Dataset* data_;
  static GbmModel* model_;
};
Dataset* ForestPaysimTest::data_ = nullptr;
GbmModel* ForestPaysimTest::model_ = nullptr;

TEST_F(ForestPaysimTest, ProbabilitiesEqualXgboostsWithMissingValues) {
  size_t missing = 0;
  for (const float value : data_->values) missing += std::isnan(value);
  ASSERT_GT(missing, data_->values.size() / 10);
  EXPECT_EQ(model_->forest().tree_count(), 120u);
  EXPECT_EQ(CompareProbabilities(*model_, *data_), 0.0f);
}

TEST_F(ForestPaysimTest, ProbabilitiesEqualXgboostsOnTheThresholds) {
  core::ScratchDir dir;
  const Dataset edges = ThresholdRows(*data_, ModelJson(*model_, dir), 4'000);
  ASSERT_GT(edges.row_count, 1'000u);
  EXPECT_EQ(CompareProbabilities(*model_, edges), 0.0f);
}

TEST_F(ForestPaysimTest, ContributionsEqualXgboostsAndSumToTheMargin) {
  const ContributionDifferences d = CompareContributions(*model_, *data_, 2'000);
  EXPECT_LE(d.largest_vs_xgboost, 1e-5f);
  EXPECT_LE(d.largest_sum_vs_margin, 1e-5f);
}

TEST_F(ForestPaysimTest, GbmModelServesOneRowFromTheForest) {
  for (size_t row = 0; row < 50; ++row) {
    const std::span<const float> values = data_->Row(row);
    EXPECT_EQ(*model_->PredictProbability(values), model_->forest().Probability(values));
    EXPECT_EQ(*model_->PredictMargin(values), model_->forest().Margin(values));
  }
}

// A model that is all missing values, and one trained with none: the
// default directions must still match XGBoost's on NaN rows.
TEST(Forest, RowsOfOnlyMissingValuesFollowTheDefaultDirections) {
  Prng prng(3);
  Dataset data{.feature_names = {"a", "b", "c"}, .row_count = 3'000};
  for (size_t row = 0; row < data.row_count; ++row) {
    const float a = static_cast<float>(prng.Below(1000)) / 1000.0f;
    const float b = static_cast<float>(prng.Below(1000)) / 1000.0f;
    data.values.insert(data.values.end(), {a, b, static_cast<float>(prng.Below(7))});
    data.labels.push_back(a + b > 1.0f ? 1 : 0);
  }
  core::Result<GbmModel> model =
      GbmModel::Train(data, Iota(data.row_count), {.rounds = 30, .max_depth = 4, .nthread = 1});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Dataset probes{.feature_names = data.feature_names};
  for (size_t row = 0; row < 600; ++row) {
    std::span<const float> source = data.Row(row);
    std::vector<float> values(source.begin(), source.end());
    values[row % 3] = kNaN;
    if (row % 5 == 0) values.assign(3, kNaN);
    probes.values.insert(probes.values.end(), values.begin(), values.end());
    ++probes.row_count;
  }
  EXPECT_EQ(CompareProbabilities(*model, probes), 0.0f);
  const ContributionDifferences d = CompareContributions(*model, probes, probes.row_count);
  EXPECT_LE(d.largest_vs_xgboost, 1e-5f);
  EXPECT_LE(d.largest_sum_vs_margin, 1e-5f);
}

// The JSON of a small trained model, to break in the tests below.
class ForestJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Dataset data{.feature_names = {"x", "y"}, .row_count = 400};
    Prng prng(9);
    for (size_t row = 0; row < data.row_count; ++row) {
      const float x = static_cast<float>(prng.Below(100));
      data.values.insert(data.values.end(), {x, static_cast<float>(prng.Below(100))});
      data.labels.push_back(x > 60 ? 1 : 0);
    }
    core::Result<GbmModel> model =
        GbmModel::Train(data, Iota(data.row_count), {.rounds = 3, .max_depth = 2, .nthread = 1});
    ASSERT_TRUE(model.ok());
    json_ = ModelJson(*model, dir_);
    ASSERT_TRUE(Forest::FromXgboostJson(json_, 2).ok());
  }

  // json_ with the first `from` replaced by `to`; fails the test if absent.
  std::string With(const std::string& from, const std::string& to) const {
    std::string broken = json_;
    const size_t at = broken.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) broken.replace(at, from.size(), to);
    return broken;
  }

  static std::string RefusalOf(const std::string& json, size_t features = 2) {
    const core::Result<Forest> forest = Forest::FromXgboostJson(json, features);
    if (forest.ok()) return "accepted";
    EXPECT_EQ(forest.status().code(), core::StatusCode::kCorruption);
    return forest.status().message();
  }

  core::ScratchDir dir_;
  std::string json_;
};

TEST_F(ForestJsonTest, RefusesWhatItCannotReproduce) {
  EXPECT_NE(RefusalOf("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(RefusalOf("{}").find("no learner"), std::string::npos);
  EXPECT_NE(RefusalOf(json_, 3).find("num_feature is not 3"), std::string::npos);
  EXPECT_NE(RefusalOf(With("binary:logistic", "reg:squarederror")).find("objective"),
            std::string::npos);
  EXPECT_NE(RefusalOf(With("\"gbtree\"", "\"dart\"")).find("booster"), std::string::npos);
  EXPECT_NE(RefusalOf(With("\"base_score\":\"5E-1\"", "\"base_score\":\"1\"")).find("base_score"),
            std::string::npos);
  EXPECT_NE(RefusalOf(With("\"split_type\":[0", "\"split_type\":[1")).find("categorical"),
            std::string::npos);
  // The root's left child made the root itself: a cycle.
  EXPECT_NE(RefusalOf(With("\"left_children\":[1", "\"left_children\":[0")).find("reached twice"),
            std::string::npos);
  EXPECT_NE(RefusalOf(With("\"split_indices\":[0", "\"split_indices\":[7")).find("out of range"),
            std::string::npos);
  EXPECT_NE(RefusalOf(With("\"left_children\":[", "\"left_children\":[1,")).find("wrong length"),
            std::string::npos);
}

}  // namespace
}  // namespace netfin::ml
