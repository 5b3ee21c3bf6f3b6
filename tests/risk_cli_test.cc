// The risk role's commands as a user meets them: `netfin train fraud` and
// `netfin eval fraud` on a slice of the public PaySim sample (with and
// without the balance features, the held-out part and another file, a model
// refused for the wrong feature set, bad input), and `netfin bench risk`'s
// machine-readable output (its figures are checked for sanity only: speed is
// shown by benchmarks, never by tests).

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/scratch_dir.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {


using Ran = testing::CommandRun;

Ran Netfin(const std::string& args, bool with_stderr = true) {
  return testing::RunNetfin(args, with_stderr);
}

// The last line of a command's stdout, parsed as a JSON object.
rapidjson::Document Json(const Ran& ran) {
  std::string line = ran.output;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  line = line.substr(line.rfind('\n') == std::string::npos ? 0 : line.rfind('\n') + 1);
  rapidjson::Document d;
  d.Parse(line.c_str());
  return d;
}

// The public sample beside the repository: from NETFIN_SOURCE_DIR when set,
// else from this file's own path (gtest_discover_tests passes CTest only the
// first of netfin_test's ENVIRONMENT entries).
std::string SamplePath() {
  const char* source = std::getenv("NETFIN_SOURCE_DIR");
  std::string root = source != nullptr ? source : "";
  if (root.empty()) {
    root = __FILE__;
    root = root.substr(0, root.rfind("/tests/"));
  }
  return root + "/../shared/data/fraud/paysim_sample.csv";
}
const std::string kSample = SamplePath();

// Writes the header and data rows [first, first + count) of the sample.
bool WriteSlice(const std::string& path, size_t first, size_t count) {
  std::ifstream in(kSample);
  std::ofstream out(path);
  std::string line;
  if (!std::getline(in, line)) return false;
  out << line << "\n";
  for (size_t row = 0; row < first + count && std::getline(in, line); ++row) {
    if (row >= first) out << line << "\n";
  }
  return static_cast<bool>(out);
}

class RiskCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::ifstream(kSample).good()) GTEST_SKIP() << kSample << " is absent";
    // The sample is shuffled: its first 8,000 rows hold 221 fraud rows.
    ASSERT_TRUE(WriteSlice(slice_, 0, 8'000));
    ASSERT_TRUE(WriteSlice(other_, 8'000, 4'000));
  }

  // Trains on the slice; returns the JSON summary.
  rapidjson::Document Train(const std::string& model, const std::string& extra) {
    const Ran ran =
        Netfin("train fraud --data " + slice_ + " --out " + model + " --rounds 100 --json " + extra,
               false);
    EXPECT_EQ(ran.exit_code, 0) << ran.output;
    return Json(ran);
  }

  core::ScratchDir dir_;
  const std::string slice_ = dir_.File("slice.csv");
  const std::string other_ = dir_.File("other.csv");
};

TEST_F(RiskCliTest, TrainsAndEvaluatesWithAndWithoutBalanceFeatures) {
  for (const bool no_balance : {false, true}) {
    SCOPED_TRACE(no_balance ? "no_balance" : "balance");
    const std::string model = dir_.File(no_balance ? "nobal.json" : "bal.json");
    const rapidjson::Document trained = Train(model, no_balance ? "--no-balance" : "");
    ASSERT_TRUE(trained.IsObject());
    EXPECT_EQ(trained["rows"].GetUint64(), 8'000u);
    EXPECT_EQ(trained["fraud"].GetUint64(), 221u);
    EXPECT_EQ(trained["test_rows"].GetUint64(), 2'400u);  // 30% of each class
    EXPECT_EQ(std::string(trained["feature_set"].GetString()),
              no_balance ? "no_balance" : "balance");
    EXPECT_EQ(trained["features"].GetInt(), no_balance ? 11 : 13);

    const Ran eval = Netfin("eval fraud --model " + model + " --json", false);
    ASSERT_EQ(eval.exit_code, 0) << eval.output;
    const rapidjson::Document d = Json(eval);
    ASSERT_TRUE(d.IsObject()) << eval.output;
    EXPECT_EQ(std::string(d["part"].GetString()), "held_out");
    EXPECT_EQ(d["rows"].GetUint64(), 2'400u);
    EXPECT_EQ(d["fraud"].GetUint64(), 66u);  // round(221 * 0.3)
    EXPECT_GT(d["roc_auc"].GetDouble(), no_balance ? 0.8 : 0.95);
    EXPECT_LE(d["roc_auc"].GetDouble(), 1.0);
    EXPECT_GT(d["auprc"].GetDouble(), 0.0);
    EXPECT_GE(d["recall_at_1pct_fpr"].GetDouble(), 0.0);
    EXPECT_LE(d["recall_at_1pct_fpr"].GetDouble(), 1.0);
  }
  // The text report names the three figures.
  const Ran text = Netfin("eval fraud --model " + dir_.File("bal.json"));
  EXPECT_EQ(text.exit_code, 0);
  for (const char* figure : {"ROC AUC", "AUPRC", "recall at 1% FPR"}) {
    EXPECT_NE(text.output.find(figure), std::string::npos) << text.output;
  }
}

TEST_F(RiskCliTest, EvalRefusesAModelOfTheOtherFeatureSet) {
  const std::string balance = dir_.File("bal.json");
  const std::string no_balance = dir_.File("nobal.json");
  Train(balance, "");
  Train(no_balance, "--no-balance");
  const Ran refused = Netfin("eval fraud --model " + balance + " --no-balance");
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("failed_precondition"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("balance_before"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("no_balance feature set"), std::string::npos) << refused.output;
  EXPECT_EQ(Netfin("eval fraud --model " + no_balance + " --balance").exit_code, 1);
  // The sets they were trained with are accepted, and found by themselves.
  EXPECT_EQ(Netfin("eval fraud --model " + balance + " --balance").exit_code, 0);
  const Ran detected = Netfin("eval fraud --model " + no_balance + " --json", false);
  ASSERT_EQ(detected.exit_code, 0) << detected.output;
  EXPECT_EQ(std::string(Json(detected)["feature_set"].GetString()), "no_balance");
  // A model whose sidecar was swapped for the other set's is refused too.
  std::ifstream sidecar(no_balance + ".features.json");
  std::stringstream text;
  text << sidecar.rdbuf();
  std::ofstream(balance + ".features.json") << text.str();
  const Ran swapped = Netfin("eval fraud --model " + balance);
  EXPECT_EQ(swapped.exit_code, 1) << swapped.output;
}

TEST_F(RiskCliTest, EvalScoresAnotherFileWhole) {
  const std::string model = dir_.File("bal.json");
  Train(model, "");
  const Ran eval = Netfin("eval fraud --model " + model + " --data " + other_ + " --json", false);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  const rapidjson::Document d = Json(eval);
  EXPECT_EQ(std::string(d["part"].GetString()), "whole_file");
  EXPECT_EQ(d["rows"].GetUint64(), 4'000u);
  EXPECT_GT(d["roc_auc"].GetDouble(), 0.95);
  // The training file itself, named explicitly, is its held-out part again.
  const Ran same = Netfin("eval fraud --model " + model + " --data " + slice_ + " --json", false);
  EXPECT_EQ(std::string(Json(same)["part"].GetString()), "held_out");
}

TEST_F(RiskCliTest, BadInputIsRefusedWithTheLine) {
  const std::string bad = dir_.File("bad.csv");
  std::ofstream(bad) << "step,type,amount,nameOrig,oldbalanceOrg,nameDest,isFraud\n"
                        "1,PAYMENT,10.00,C1,20.00,M1,0\n"
                        "1,PAYMENT,10.005,C1,20.00,M1,0\n";
  const Ran ran = Netfin("train fraud --data " + bad + " --out " + dir_.File("m.json"));
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find(bad + ":3: amount: \"10.005\" has a digit past the cents"),
            std::string::npos)
      << ran.output;
  EXPECT_EQ(Netfin("train fraud --data " + dir_.File("absent.csv")).exit_code, 1);
  EXPECT_EQ(Netfin("eval fraud --model " + dir_.File("absent.json")).exit_code, 1);
  EXPECT_NE(Netfin("train fraud").exit_code, 0);  // --data is required
}

TEST_F(RiskCliTest, StepCheckMeasuresTheLeak) {
  const Ran ran = Netfin("eval fraud --step-check --data " + slice_);
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  for (const char* part : {"1. step information", "hour_of_day_cn", "the balance set",
                           "2. signal beyond the step", "3. for the data README"}) {
    EXPECT_NE(ran.output.find(part), std::string::npos) << part << " in " << ran.output;
  }
}

// The bench needs no data file: without --model it trains on synthetic data.
TEST(RiskBenchCliTest, BenchRiskPrintsItsFigures) {
  const Ran ran = Netfin("bench risk --events 5000 --customers 2000 --json", false);
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  const rapidjson::Document d = Json(ran);
  ASSERT_TRUE(d.IsObject()) << ran.output;
  for (const char* key : {"events", "decision_p50_us", "decision_p99_us", "decision_p999_us",
                          "features_p50_us", "model_p50_us", "rules_p50_us"}) {
    ASSERT_TRUE(d.HasMember(key)) << key << " in " << ran.output;
    ASSERT_TRUE(d[key].IsNumber()) << key;
  }
  EXPECT_EQ(d["events"].GetUint64(), 5'000u);
  const double p50 = d["decision_p50_us"].GetDouble();
  EXPECT_GT(p50, 0);
  EXPECT_LE(p50, d["decision_p99_us"].GetDouble());
  EXPECT_LE(d["decision_p99_us"].GetDouble(), d["decision_p999_us"].GetDouble());
  EXPECT_LT(p50, 100'000);  // sane, even under sanitizers on a loaded machine
  for (const char* part : {"features_p50_us", "model_p50_us", "rules_p50_us"}) {
    EXPECT_GT(d[part].GetDouble(), 0) << part;
    EXPECT_LE(d[part].GetDouble(), d["decision_p999_us"].GetDouble()) << part;
  }
  EXPECT_TRUE(d["model_trained"].GetBool());
  EXPECT_EQ(d["allow"].GetUint64() + d["challenge"].GetUint64() + d["deny"].GetUint64(), 5'000u);
  // The synthetic takeovers are caught by the model trained on them.
  EXPECT_GT(d["takeovers"].GetUint64(), 0u);
  EXPECT_GT(d["takeovers_stopped"].GetUint64(), d["takeovers"].GetUint64() / 2);
  EXPECT_LE(d["takeovers_stopped"].GetUint64(), d["challenge"].GetUint64() + d["deny"].GetUint64());
}

TEST_F(RiskCliTest, BenchRiskUsesAGivenModel) {
  const std::string model = dir_.File("nobal.json");
  Train(model, "--no-balance");
  const Ran ran =
      Netfin("bench risk --events 2000 --customers 500 --model " + model + " --json", false);
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  const rapidjson::Document d = Json(ran);
  EXPECT_FALSE(d["model_trained"].GetBool());
  EXPECT_EQ(std::string(d["feature_set"].GetString()), "no_balance");
  const Ran text = Netfin("bench risk --events 1000 --customers 100");
  EXPECT_NE(text.output.find("no --model given: trained a fraud model first"), std::string::npos)
      << text.output;
}

}  // namespace
}  // namespace netfin
