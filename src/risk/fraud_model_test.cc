#include "risk/fraud_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/scratch_dir.h"
#include "ml/metrics.h"
#include "ml/split.h"
#include "risk/feature_engine.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::kT0;

constexpr FraudFeatureSet kSets[] = {FraudFeatureSet::kWithBalance,
                                     FraudFeatureSet::kWithoutBalance};

bool Uses(FraudFeatureSet set, Feature feature) {
  const std::span<const Feature> features = FraudModelFeatures(set);
  return std::find(features.begin(), features.end(), feature) != features.end();
}

TEST(FraudFeatureSetTest, NamesRoundTrip) {
  for (const FraudFeatureSet set : kSets) {
    EXPECT_EQ(ParseFraudFeatureSet(FraudFeatureSetName(set)), set);
  }
  EXPECT_EQ(FraudFeatureSetName(FraudFeatureSet::kWithBalance), "balance");
  EXPECT_EQ(FraudFeatureSetName(FraudFeatureSet::kWithoutBalance), "no_balance");
  EXPECT_FALSE(ParseFraudFeatureSet("all").has_value());
}

TEST(FraudFeatureSetTest, NothingReadsTheStep) {
  for (const FraudFeatureSet set : kSets) {
    for (const Feature f :
         {Feature::kHourOfDayCn, Feature::kIsNight, Feature::kCustomerSecondsSinceLast}) {
      EXPECT_FALSE(Uses(set, f)) << FeatureNames()[static_cast<size_t>(f)];
      EXPECT_EQ(FraudFeatureExclusion(f, set), FraudExclusion::kReadsStep);
    }
    // At hour granularity a 1-minute window is the 1-hour window.
    for (const FeatureInfo& info : kFeatures) {
      if (info.name.ends_with("_1m")) {
        EXPECT_FALSE(Uses(set, info.feature)) << info.name;
      }
    }
  }
}

TEST(FraudFeatureSetTest, TheSetsDifferExactlyInTheBalanceFeatures) {
  for (const Feature f : {Feature::kBalanceBefore, Feature::kAmountToBalanceRatio}) {
    EXPECT_TRUE(Uses(FraudFeatureSet::kWithBalance, f));
    EXPECT_FALSE(Uses(FraudFeatureSet::kWithoutBalance, f));
    EXPECT_EQ(FraudFeatureExclusion(f, FraudFeatureSet::kWithoutBalance),
              FraudExclusion::kBalanceDerived);
  }
  std::vector<Feature> with(FraudModelFeatures(FraudFeatureSet::kWithBalance).begin(),
                            FraudModelFeatures(FraudFeatureSet::kWithBalance).end());
  std::erase(with, Feature::kBalanceBefore);
  std::erase(with, Feature::kAmountToBalanceRatio);
  const std::span<const Feature> without = FraudModelFeatures(FraudFeatureSet::kWithoutBalance);
  EXPECT_TRUE(std::equal(with.begin(), with.end(), without.begin(), without.end()));
}

// The sets as docs/risk.md lists them: a change here is a change of the
// model's inputs and must be documented (and retrained).
TEST(FraudFeatureSetTest, TheDocumentedFeatures) {
  EXPECT_EQ(FraudModelFeatureNames(FraudFeatureSet::kWithBalance),
            (std::vector<std::string>{"amount", "kind_payment", "kind_transfer", "kind_withdrawal",
                                      "kind_top_up", "balance_before", "amount_to_balance_ratio",
                                      "payee_count_1h", "payee_count_24h", "payee_count_30d",
                                      "payee_sum_1h", "payee_sum_24h", "payee_sum_30d"}));
  EXPECT_EQ(FraudModelFeatureNames(FraudFeatureSet::kWithoutBalance).size(), 11u);
}

TEST(FraudFeatureSetTest, EveryFeatureIsUsedOrHasAReason) {
  for (const FraudFeatureSet set : kSets) {
    for (const FeatureInfo& info : kFeatures) {
      const std::optional<FraudExclusion> why = FraudFeatureExclusion(info.feature, set);
      EXPECT_NE(Uses(set, info.feature), why.has_value()) << info.name;
      if (why) {
        EXPECT_FALSE(FraudExclusionText(*why).empty());
      }
    }
  }
}

TEST(FraudFeatureSetTest, ProjectionKeepsOrderAndMissingValues) {
  FeatureVector v;
  for (size_t i = 0; i < kFeatureCount; ++i) v.values[i] = static_cast<double>(i) + 0.5;
  v[Feature::kAmountToBalanceRatio] = std::nan("");
  const std::span<const Feature> features = FraudModelFeatures(FraudFeatureSet::kWithBalance);
  std::vector<float> row(features.size());
  ProjectFraudFeatures(v, FraudFeatureSet::kWithBalance, row);
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i] == Feature::kAmountToBalanceRatio) {
      EXPECT_TRUE(std::isnan(row[i]));
    } else {
      EXPECT_EQ(row[i], static_cast<float>(static_cast<size_t>(features[i]) + 0.5));
    }
  }
}

TEST(FraudReplayTest, TrainingRowsAreWhatTheOnlineEngineComputes) {
  const testing::Stream s = testing::MakeStream(300, 1);
  for (const FraudFeatureSet set : kSets) {
    core::Result<ml::Dataset> data = ReplayForTraining(s.events, s.labels, set);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    ASSERT_TRUE(data->Validate().ok());
    EXPECT_EQ(data->feature_names, FraudModelFeatureNames(set));
    EXPECT_EQ(data->labels, s.labels);
    // Online: the same events, one by one, Compute then Observe.
    FeatureEngine online;
    std::vector<float> row(data->FeatureCount());
    for (size_t i = 0; i < s.events.size(); ++i) {
      ProjectFraudFeatures(online.Compute(s.events[i]), set, row);
      online.Observe(s.events[i]);
      const std::span<const float> trained = data->Row(i);
      for (size_t f = 0; f < row.size(); ++f) {
        if (std::isnan(row[f])) {
          ASSERT_TRUE(std::isnan(trained[f])) << i << " " << data->feature_names[f];
        } else {
          ASSERT_EQ(trained[f], row[f]) << i << " " << data->feature_names[f];
        }
      }
    }
  }
}

TEST(FraudReplayTest, WindowsCountEarlierEventsOfTheSamePayee) {
  std::vector<PaymentEvent> events = {testing::MakeEvent(kT0, 1, 9, 100),
                                      testing::MakeEvent(kT0, 2, 9, 200),
                                      testing::MakeEvent(kT0 + kHourNs, 3, 9, 400)};
  const std::vector<uint8_t> labels = {0, 0, 1};
  core::Result<ml::Dataset> data =
      ReplayForTraining(events, labels, FraudFeatureSet::kWithoutBalance);
  ASSERT_TRUE(data.ok());
  const auto column = [&](std::string_view name) {
    const auto at = std::find(data->feature_names.begin(), data->feature_names.end(), name);
    return static_cast<size_t>(at - data->feature_names.begin());
  };
  // Equal timestamps (one PaySim step) share the 1h window; an hour later
  // the first two have left it (window (t - 1h, t]) but not the 24h one.
  EXPECT_EQ(data->Row(0)[column("payee_count_1h")], 1);
  EXPECT_EQ(data->Row(1)[column("payee_count_1h")], 2);
  EXPECT_EQ(data->Row(1)[column("payee_sum_1h")], 300);
  EXPECT_EQ(data->Row(2)[column("payee_count_1h")], 1);
  EXPECT_EQ(data->Row(2)[column("payee_count_24h")], 3);
  EXPECT_EQ(data->Row(2)[column("payee_sum_30d")], 700);
}

TEST(FraudReplayTest, RefusesMismatchedInput) {
  const testing::Stream s = testing::MakeStream(10, 2);
  EXPECT_EQ(ReplayForTraining({}, {}, FraudFeatureSet::kWithBalance).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReplayForTraining(s.events, std::span(s.labels).first(9), FraudFeatureSet::kWithBalance)
                .status()
                .code(),
            core::StatusCode::kInvalidArgument);
  FeatureEngineOptions bad;
  bad.customers_max = 0;
  EXPECT_FALSE(ReplayForTraining(s.events, s.labels, FraudFeatureSet::kWithBalance, bad).ok());
}

class FraudModelTest : public ::testing::Test {
 protected:
  // Few, shallow trees on one thread: quick under sanitizers.
  static constexpr ml::TrainParams kParams{.rounds = 20, .max_depth = 3, .nthread = 1, .seed = 3};

  void SetUp() override {
    stream_ = testing::MakeStream(2'000, 7);
    auto data = ReplayForTraining(stream_.events, stream_.labels, FraudFeatureSet::kWithBalance);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    data_ = std::move(data).value();
    auto split = ml::StratifiedSplit(data_.labels, 0.3, 42);
    ASSERT_TRUE(split.ok());
    split_ = std::move(split).value();
  }

  core::Result<FraudModel> TrainModel() {
    return FraudModel::Train(data_, split_.train, kParams, FraudFeatureSet::kWithBalance);
  }

  testing::Stream stream_;
  ml::Dataset data_;
  ml::SplitIndices split_;
  core::ScratchDir dir_;
};

TEST_F(FraudModelTest, ScoresTheHeldOutPartWell) {
  core::Result<FraudModel> model = TrainModel();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  // Score from the engine's full FeatureVector, as the payment flow does.
  FeatureEngine engine;
  std::vector<float> scores(data_.row_count);
  for (size_t i = 0; i < stream_.events.size(); ++i) {
    core::Result<float> score = model->Score(engine.Compute(stream_.events[i]));
    ASSERT_TRUE(score.ok()) << score.status().ToString();
    scores[i] = *score;
    engine.Observe(stream_.events[i]);
  }
  std::vector<float> test_scores;
  for (const size_t i : split_.test) test_scores.push_back(scores[i]);
  core::Result<double> auc = ml::RocAuc(test_scores, data_.LabelsOf(split_.test));
  ASSERT_TRUE(auc.ok());
  EXPECT_GT(*auc, 0.95);
  // The same as the batch prediction on the training matrix.
  core::Result<std::vector<float>> batch = model->gbm().PredictProbabilities(data_, split_.test);
  ASSERT_TRUE(batch.ok());
  for (size_t k = 0; k < split_.test.size(); ++k) EXPECT_FLOAT_EQ((*batch)[k], test_scores[k]);
}

TEST_F(FraudModelTest, ReasonsAreTheLargestPositiveContributions) {
  core::Result<FraudModel> model = TrainModel();
  ASSERT_TRUE(model.ok());
  FeatureEngine engine;
  const size_t fraud = static_cast<size_t>(
      std::find(stream_.labels.begin(), stream_.labels.end(), 1) - stream_.labels.begin());
  for (size_t i = 0; i < fraud; ++i) engine.Observe(stream_.events[i]);
  const FeatureVector features = engine.Compute(stream_.events[fraud]);
  core::Result<std::vector<ml::Reason>> reasons = model->Reasons(features, 3);
  ASSERT_TRUE(reasons.ok()) << reasons.status().ToString();
  ASSERT_FALSE(reasons->empty());
  EXPECT_LE(reasons->size(), 3u);
  const std::vector<std::string> names = FraudModelFeatureNames(FraudFeatureSet::kWithBalance);
  for (size_t k = 0; k < reasons->size(); ++k) {
    EXPECT_GT((*reasons)[k].contribution, 0);
    EXPECT_NE(std::find(names.begin(), names.end(), (*reasons)[k].feature), names.end());
    if (k > 0) {
      EXPECT_GE((*reasons)[k - 1].contribution, (*reasons)[k].contribution);
    }
  }
}

TEST_F(FraudModelTest, LoadRefusesAModelOfAnotherFeatureSet) {
  core::Result<FraudModel> model = TrainModel();
  ASSERT_TRUE(model.ok());
  const std::string path = dir_.File("fraud.json");
  ASSERT_TRUE(model->Save(path).ok());

  core::Result<FraudModel> same = FraudModel::Load(path, FraudFeatureSet::kWithBalance);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->feature_set(), FraudFeatureSet::kWithBalance);
  core::Result<FraudModel> detected = FraudModel::Load(path);
  ASSERT_TRUE(detected.ok()) << detected.status().ToString();
  EXPECT_EQ(detected->feature_set(), FraudFeatureSet::kWithBalance);

  core::Result<FraudModel> other = FraudModel::Load(path, FraudFeatureSet::kWithoutBalance);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("balance_before"), std::string::npos)
      << other.status().message();
  EXPECT_NE(other.status().message().find("no_balance feature set"), std::string::npos);

  // Loaded, it scores exactly as trained.
  FeatureEngine engine;
  const FeatureVector features = engine.Compute(stream_.events[0]);
  EXPECT_EQ(*same->Score(features), *model->Score(features));
}

TEST_F(FraudModelTest, LoadDetectsTheNoBalanceSet) {
  auto data = ReplayForTraining(stream_.events, stream_.labels, FraudFeatureSet::kWithoutBalance);
  ASSERT_TRUE(data.ok());
  core::Result<FraudModel> model =
      FraudModel::Train(*data, split_.train, kParams, FraudFeatureSet::kWithoutBalance);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string path = dir_.File("no_balance.json");
  ASSERT_TRUE(model->Save(path).ok());
  core::Result<FraudModel> detected = FraudModel::Load(path);
  ASSERT_TRUE(detected.ok()) << detected.status().ToString();
  EXPECT_EQ(detected->feature_set(), FraudFeatureSet::kWithoutBalance);
  EXPECT_EQ(FraudModel::Load(path, FraudFeatureSet::kWithBalance).status().code(),
            core::StatusCode::kFailedPrecondition);
}

TEST_F(FraudModelTest, LoadRefusesAModelOfNeitherSet) {
  // A model of the engine's full feature list (hour_of_day_cn included).
  ml::Dataset all;
  for (const std::string_view name : FeatureNames()) all.feature_names.emplace_back(name);
  FeatureEngine engine;
  for (size_t i = 0; i < stream_.events.size(); ++i) {
    const FeatureVector v = engine.Compute(stream_.events[i]);
    engine.Observe(stream_.events[i]);
    for (const double x : v.values) all.values.push_back(static_cast<float>(x));
  }
  all.row_count = stream_.events.size();
  all.labels = stream_.labels;
  core::Result<ml::GbmModel> gbm = ml::GbmModel::Train(all, split_.train, kParams);
  ASSERT_TRUE(gbm.ok()) << gbm.status().ToString();
  const std::string path = dir_.File("all.json");
  ASSERT_TRUE(gbm->Save(path).ok());
  core::Result<FraudModel> loaded = FraudModel::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FraudModel::Load(dir_.File("absent.json")).status().code(), core::StatusCode::kIoError);
}

TEST_F(FraudModelTest, TrainRefusesAMatrixOfAnotherSet) {
  core::Result<FraudModel> model =
      FraudModel::Train(data_, split_.train, kParams, FraudFeatureSet::kWithoutBalance);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace netfin::risk
