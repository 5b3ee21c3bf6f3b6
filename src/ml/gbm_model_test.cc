#include "ml/gbm_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "core/checksum.h"
#include "core/files.h"
#include "core/scratch_dir.h"
#include "ml/metrics.h"
#include "ml/model_files.h"
#include "ml/split.h"

namespace netfin::ml {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

double Uniform(Prng& prng) { return static_cast<double>(prng.Next() >> 11) * 0x1.0p-53; }

// Positive when 2a + b > 0.4: separable by the first two features; the third
// is noise and the fourth is missing one time in five.
Dataset Synthetic(size_t rows, uint64_t seed) {
  Prng prng(seed);
  Dataset data{.feature_names = {"signal_a", "signal_b", "noise", "sometimes_missing"},
               .row_count = rows};
  for (size_t row = 0; row < rows; ++row) {
    const double a = 2 * Uniform(prng) - 1;
    const double b = 2 * Uniform(prng) - 1;
    const double missing_draw = Uniform(prng);
    const double value = Uniform(prng);
    data.values.insert(data.values.end(), {static_cast<float>(a), static_cast<float>(b),
                                           static_cast<float>(Uniform(prng)),
                                           missing_draw < 0.2 ? kNaN : static_cast<float>(value)});
    data.labels.push_back(2 * a + b > 0.4 ? 1 : 0);
  }
  return data;
}

std::vector<size_t> AllRows(const Dataset& data) {
  std::vector<size_t> rows(data.row_count);
  std::iota(rows.begin(), rows.end(), size_t{0});
  return rows;
}

// One thread: on a loaded machine (CI, sanitizers) an OpenMP team spin-waits
// for descheduled members and training slows tenfold. The default, two
// threads, is exercised by TrainingIsDeterministicForASeed.
const TrainParams kQuick{.rounds = 40, .max_depth = 4, .eta = 0.3, .nthread = 1, .seed = 3};

// One trained model shared by the tests that only read it.
class GbmModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new Dataset(Synthetic(2000, 17));
    split_ = new SplitIndices(std::move(StratifiedSplit(data_->labels, 0.25, 5)).value());
    core::Result<GbmModel> model = GbmModel::Train(*data_, split_->train, kQuick);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = new GbmModel(std::move(model).value());
  }
  static void TearDownTestSuite() {
    delete model_;
    delete split_;
    delete data_;
  }

  static std::vector<float> TestScores(const GbmModel& model) {
    core::Result<std::vector<float>> scores = model.PredictProbabilities(*data_, split_->test);
    EXPECT_TRUE(scores.ok()) << scores.status().ToString();
    return scores.ok() ? *scores : std::vector<float>();
  }

  static Dataset* data_;
  static SplitIndices* split_;
  static GbmModel* model_;
};

Dataset* GbmModelTest::data_ = nullptr;
SplitIndices* GbmModelTest::split_ = nullptr;
GbmModel* GbmModelTest::model_ = nullptr;

TEST_F(GbmModelTest, LearnsSeparableData) {
  const std::vector<float> scores = TestScores(*model_);
  core::Result<double> auc = RocAuc(scores, data_->LabelsOf(split_->test));
  ASSERT_TRUE(auc.ok()) << auc.status().ToString();
  EXPECT_GT(*auc, 0.95);
}

TEST_F(GbmModelTest, OneRowPredictionsMatchTheBatch) {
  const std::vector<float> scores = TestScores(*model_);
  for (size_t i = 0; i < split_->test.size(); ++i) {
    core::Result<float> score = model_->PredictProbability(data_->Row(split_->test[i]));
    ASSERT_TRUE(score.ok()) << score.status().ToString();
    EXPECT_EQ(*score, scores[i]) << i;
  }
}

TEST_F(GbmModelTest, TrainingIsDeterministicForASeed) {
  // Few, shallow trees: each OpenMP region can wait a time slice on a busy machine.
  const TrainParams sampled{
      .rounds = 5, .max_depth = 3, .subsample = 0.7, .colsample = 0.75, .seed = 9};
  ASSERT_EQ(sampled.nthread, 2);
  core::Result<GbmModel> a = GbmModel::Train(*data_, split_->train, sampled);
  core::Result<GbmModel> b = GbmModel::Train(*data_, split_->train, sampled);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(TestScores(*a), TestScores(*b));
}

TEST_F(GbmModelTest, SaveAndLoadGiveIdenticalPredictions) {
  core::ScratchDir dir;
  const std::string path = dir.File("model.json");
  ASSERT_TRUE(model_->Save(path).ok());
  EXPECT_TRUE(std::filesystem::exists(SidecarPath(path)));
  core::Result<GbmModel> loaded = GbmModel::Load(path, data_->feature_names);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->feature_names(), model_->feature_names());
  EXPECT_EQ(loaded->params(), kQuick);
  EXPECT_EQ(TestScores(*loaded), TestScores(*model_));
  const auto row = data_->Row(split_->test[0]);
  EXPECT_EQ(*loaded->PredictMargin(row), *model_->PredictMargin(row));
  EXPECT_EQ(loaded->Contributions(row)->per_feature, model_->Contributions(row)->per_feature);
}

TEST_F(GbmModelTest, LoadRefusesAnotherFeatureList) {
  core::ScratchDir dir;
  const std::string path = dir.File("model.json");
  ASSERT_TRUE(model_->Save(path).ok());
  struct Case {
    std::vector<std::string> expected;
    const char* message;
  };
  const Case cases[] = {
      {{"signal_b", "signal_a", "noise", "sometimes_missing"},
       "differ at position 0: the model has 'signal_a', the caller expects 'signal_b'"},
      {{"signal_a", "signal_b", "noise"}, "the model has 4 features, the caller expects 3"},
      {{"signal_a", "signal_b", "noise", "sometimes_missing", "new"},
       "the model has 4 features, the caller expects 5"},
      {{}, "the model has 4 features, the caller expects 0"},
  };
  for (const Case& c : cases) {
    core::Result<GbmModel> loaded = GbmModel::Load(path, c.expected);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), core::StatusCode::kFailedPrecondition);
    EXPECT_NE(loaded.status().message().find(c.message), std::string::npos)
        << loaded.status().message();
  }
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadFile(const std::string& path) { return *core::ReadWholeFile(path, 1 << 30); }

TEST_F(GbmModelTest, LoadDetectsMissingAndDamagedFiles) {
  core::ScratchDir dir;
  const std::string path = dir.File("model.json");
  ASSERT_TRUE(model_->Save(path).ok());
  const std::string model = ReadFile(path);
  const std::string sidecar = ReadFile(SidecarPath(path));
  const auto load = [&] { return GbmModel::Load(path, data_->feature_names).status(); };

  WriteFile(path, model + " ");  // still valid JSON, but not the file the sidecar vouches for
  EXPECT_EQ(load().code(), core::StatusCode::kCorruption);
  EXPECT_NE(load().message().find("does not match its sidecar's checksum"), std::string::npos);
  WriteFile(path, model);
  EXPECT_TRUE(load().ok());

  std::string newer = sidecar;
  newer.replace(newer.find("\"version\": 1"), 12, "\"version\": 2");
  WriteFile(SidecarPath(path), newer);
  EXPECT_EQ(load().code(), core::StatusCode::kFailedPrecondition);
  WriteFile(SidecarPath(path), "{\"format\": ");
  EXPECT_EQ(load().code(), core::StatusCode::kCorruption);
  std::filesystem::remove(SidecarPath(path));
  EXPECT_EQ(load().code(), core::StatusCode::kIoError);
}

TEST_F(GbmModelTest, LoadRefusesAModelThatIsNotXGBoosts) {
  core::ScratchDir dir;
  const std::string path = dir.File("model.json");
  ASSERT_TRUE(model_->Save(path).ok());
  const std::string garbage = "{\"learner\": 1}";
  std::string sidecar = ReadFile(SidecarPath(path));
  const size_t at = sidecar.find("\"model_blake2b\": \"") + 18;
  sidecar.replace(at, 64, core::ChecksumHex(garbage));
  WriteFile(SidecarPath(path), sidecar);
  WriteFile(path, garbage);
  const core::Status status = GbmModel::Load(path, data_->feature_names).status();
  EXPECT_EQ(status.code(), core::StatusCode::kCorruption);
  EXPECT_NE(status.message().find("XGBoost: "), std::string::npos) << status.message();
}

TEST_F(GbmModelTest, ContributionsSumToTheMargin) {
  for (size_t i = 0; i < 50; ++i) {
    const auto row = data_->Row(split_->test[i]);
    core::Result<FeatureContributions> contributions = model_->Contributions(row);
    core::Result<float> margin = model_->PredictMargin(row);
    core::Result<float> probability = model_->PredictProbability(row);
    ASSERT_TRUE(contributions.ok() && margin.ok() && probability.ok());
    ASSERT_EQ(contributions->per_feature.size(), 4u);
    EXPECT_NEAR(contributions->Margin(), *margin, 1e-4) << i;
    EXPECT_NEAR(1 / (1 + std::exp(-*margin)), *probability, 1e-6) << i;
  }
}

TEST_F(GbmModelTest, TopReasonsAreTheLargestPositiveContributions) {
  const std::vector<float> row = {0.9f, 0.8f, 0.5f, kNaN};  // clearly positive
  core::Result<std::vector<Reason>> reasons = model_->TopReasons(row, 2);
  ASSERT_TRUE(reasons.ok()) << reasons.status().ToString();
  ASSERT_EQ(reasons->size(), 2u);
  EXPECT_EQ((*reasons)[0].feature, "signal_a");  // weighs twice signal_b in the label
  EXPECT_EQ((*reasons)[0].value, 0.9f);
  EXPECT_EQ((*reasons)[1].feature, "signal_b");
  EXPECT_GE((*reasons)[0].contribution, (*reasons)[1].contribution);
  EXPECT_GT((*reasons)[1].contribution, 0.0f);
  EXPECT_TRUE(model_->TopReasons(row, 0)->empty());
  // A clearly negative row: whatever is listed pushes towards positive.
  const std::vector<float> negative = {-0.9f, -0.8f, 0.5f, 0.5f};
  core::Result<std::vector<Reason>> negative_reasons = model_->TopReasons(negative, 4);
  ASSERT_TRUE(negative_reasons.ok());
  for (const Reason& reason : *negative_reasons) {
    EXPECT_GT(reason.contribution, 0.0f) << reason.feature;
  }
}

TEST_F(GbmModelTest, MissingValuesAreAllowed) {
  const std::vector<float> row = {kNaN, kNaN, kNaN, kNaN};
  core::Result<float> score = model_->PredictProbability(row);
  ASSERT_TRUE(score.ok());
  EXPECT_TRUE(*score > 0.0f && *score < 1.0f);
}

TEST_F(GbmModelTest, RefusesRowsOfTheWrongWidth) {
  const std::vector<float> short_row = {0.1f, 0.2f, 0.3f};
  for (const core::Status& status :
       {model_->PredictProbability(short_row).status(), model_->PredictMargin(short_row).status(),
        model_->Contributions(short_row).status(), model_->TopReasons(short_row, 1).status()}) {
    EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("a row has 3 values, the model has 4 features"),
              std::string::npos);
  }
}

TEST_F(GbmModelTest, BatchPredictionChecksTheDataSet) {
  Dataset renamed = *data_;
  renamed.feature_names[2] = "other";
  EXPECT_EQ(model_->PredictProbabilities(renamed, split_->test).status().code(),
            core::StatusCode::kFailedPrecondition);
  const std::vector<size_t> past_end = {data_->row_count};
  EXPECT_EQ(model_->PredictProbabilities(*data_, past_end).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_TRUE(model_->PredictProbabilities(*data_, {})->empty());
}

TEST_F(GbmModelTest, ConcurrentPredictionsAgreeWithSequentialOnes) {
  const std::vector<float> expected = TestScores(*model_);
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (const size_t row : split_->test) {
        got[t].push_back(model_->PredictProbability(data_->Row(row)).value());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<float>& scores : got) EXPECT_EQ(scores, expected);
}

TEST(GbmModel, RefusesBadTrainingInput) {
  const Dataset data = Synthetic(200, 1);
  const std::vector<size_t> all = AllRows(data);
  struct Case {
    TrainParams params;
    const char* message;
  };
  const Case cases[] = {
      {{.rounds = 0}, "rounds must be"},
      {{.rounds = kRoundsMax + 1}, "rounds must be"},
      {{.max_depth = 0}, "max_depth must be"},
      {{.max_depth = kMaxDepthMax + 1}, "max_depth must be"},
      {{.eta = 0}, "eta must be"},
      {{.eta = 1.5}, "eta must be"},
      {{.subsample = 0}, "subsample must be"},
      {{.colsample = std::nan("")}, "colsample must be"},
      {{.scale_pos_weight = 0}, "scale_pos_weight must be"},
      {{.scale_pos_weight = INFINITY}, "scale_pos_weight must be"},
      {{.nthread = 0}, "nthread must be"},
      {{.nthread = kThreadsMax + 1}, "nthread must be"},
  };
  for (const Case& c : cases) {
    const core::Status status = GbmModel::Train(data, all, c.params).status();
    EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status.message();
  }
  const auto message_of = [&](const Dataset& d, std::span<const size_t> rows) {
    return GbmModel::Train(d, rows, kQuick).status().message();
  };
  EXPECT_NE(message_of(data, {}).find("no rows"), std::string::npos);
  const std::vector<size_t> past_end = {0, 200};
  EXPECT_NE(message_of(data, past_end).find("row index 200 is past the 200 rows"),
            std::string::npos);
  std::vector<size_t> negatives;
  for (size_t row : all) {
    if (data.labels[row] == 0) negatives.push_back(row);
  }
  EXPECT_NE(message_of(data, negatives).find("need both classes"), std::string::npos);
  Dataset unlabelled = data;
  unlabelled.labels.clear();
  EXPECT_NE(message_of(unlabelled, all).find("no labels"), std::string::npos);
  Dataset ragged = data;
  ragged.values.pop_back();
  EXPECT_NE(message_of(ragged, all).find("values hold"), std::string::npos);
}

TEST(GbmModel, KeepsTheCsvEncodingThroughSaveAndLoad) {
  std::string csv = "id,type,amount,fraud\n";
  Prng prng(4);
  const char* types[] = {"CASH_OUT", "PAYMENT", "TRANSFER"};
  for (int i = 0; i < 600; ++i) {
    const char* type = types[prng.Below(3)];
    const int amount = static_cast<int>(prng.Below(100));
    const bool fraud = std::string(type) == "TRANSFER" && amount > 50;
    csv += std::to_string(i) + "," + type + "," + std::to_string(amount) + "," +
           (fraud ? "1.0" : "0.0") + "\n";
  }
  core::Result<Dataset> data = ParseCsv(csv, "fraud", "1", {.exclude = {"id"}});
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  core::Result<GbmModel> model = GbmModel::Train(*data, AllRows(*data), kQuick);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  core::ScratchDir dir;
  ASSERT_TRUE(model->Save(dir.File("fraud.json")).ok());
  core::Result<GbmModel> loaded = GbmModel::Load(dir.File("fraud.json"), data->feature_names);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->encoding(), data->encoding);
  EXPECT_EQ(loaded->feature_names()[2], "type=TRANSFER");
  const std::vector<float> transfer = {0, 0, 1, 0, 90};
  const std::vector<float> payment = {0, 1, 0, 0, 90};
  EXPECT_GT(*loaded->PredictProbability(transfer), 0.9f);
  EXPECT_LT(*loaded->PredictProbability(payment), 0.1f);
  core::Result<std::vector<Reason>> reasons = loaded->TopReasons(transfer, 1);
  ASSERT_TRUE(reasons.ok());
  ASSERT_EQ(reasons->size(), 1u);
  EXPECT_EQ((*reasons)[0].feature, "type=TRANSFER");
}

TEST(GbmModel, TaiwanCreditDefaultSliceReachesAPlausibleAuc) {
  const std::string path = std::string(NETFIN_ML_DATA_DIR) + "/credit/taiwan_default.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  core::Result<Dataset> full =
      LoadCsv(path, "default.payment.next.month", "1", {.exclude = {"ID"}});
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  std::vector<size_t> first(3000);
  std::iota(first.begin(), first.end(), size_t{0});
  const Dataset data = full->Select(first);
  core::Result<SplitIndices> split = StratifiedSplit(data.labels, 0.3, 2024);
  ASSERT_TRUE(split.ok());
  const TrainParams params{.rounds = 150,
                           .max_depth = 3,
                           .eta = 0.05,
                           .subsample = 0.8,
                           .colsample = 0.8,
                           .nthread = 1,
                           .seed = 1};
  core::Result<GbmModel> model = GbmModel::Train(data, split->train, params);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  core::Result<std::vector<float>> scores = model->PredictProbabilities(data, split->test);
  ASSERT_TRUE(scores.ok());
  const std::vector<uint8_t> labels = data.LabelsOf(split->test);
  const double auc = *RocAuc(*scores, labels);
  std::printf("taiwan first 3000 rows, 900 held out: AUC %.4f  KS %.4f  AP %.4f\n", auc,
              *Ks(*scores, labels), *AveragePrecision(*scores, labels));
  EXPECT_GT(auc, 0.70);
  EXPECT_LT(auc, 0.90);  // higher would mean a leak, not a good model
}

}  // namespace
}  // namespace netfin::ml
