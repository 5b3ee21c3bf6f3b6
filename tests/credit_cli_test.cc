// The credit commands as a user meets them: `netfin credit offer` on the
// issue's example and its refusals, `netfin bench credit`'s JSON (its speed
// is not checked: benchmarks show speed, tests do not), and `netfin train
// credit` + `netfin eval credit` on a slice of the public Taiwan data.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/civil_date.h"
#include "core/scratch_dir.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {


using Ran = testing::CommandRun;

// Runs `netfin ARGS`; stderr is discarded unless with_stderr.
Ran Netfin(const std::string& args, bool with_stderr = false) {
  return testing::RunNetfin(args, with_stderr);
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  return d;
}

TEST(CreditCli, RunDayOnADatabaseIsIdempotentAndNeverGoesBack) {
  core::ScratchDir dir;
  const std::string db = dir.File("netfin.db");
  // The credit books open on the first start's China date: its day-end runs.
  const uint64_t now_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count());
  const std::string today = core::ChinaDate(now_ns).ToString();
  const Ran first = Netfin("credit run-day --db " + db + " --date " + today);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const rapidjson::Document d = Json(first.output);
  ASSERT_TRUE(d.IsObject()) << first.output;
  EXPECT_EQ(std::string(d["date"].GetString()), today);
  EXPECT_TRUE(d["finished"].GetBool());
  EXPECT_EQ(d["loans_run"].GetUint(), 0u);
  EXPECT_TRUE(d["buckets"].HasMember("M3+"));
  const Ran again = Netfin("credit run-day --db " + db + " --date " + today);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, first.output);
  const Ran back = Netfin("credit run-day --db " + db + " --date 2020-01-01");
  EXPECT_EQ(back.exit_code, 1);
  EXPECT_EQ(std::string(Json(back.output)["error"]["code"].GetString()), "date_before_last_run") << back.output;
  const Ran bad = Netfin("credit run-day --db " + db + " --date 2026-13-01");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::string(Json(bad.output)["error"]["code"].GetString()), "invalid_field") << bad.output;
  // The journal behind it still verifies.
  EXPECT_EQ(Netfin("verify --db " + db).exit_code, 0);
}

TEST(CreditCli, OfferShowsTheIssueExampleAt13Point03Percent) {
  // 10,000.00 CNY in 12 instalments with a flat fee of 0.6% a month (pay_later's conversion).
  const Ran ran = Netfin(
      "credit offer --product pay_later --amount 1000000 --terms 12 --start 2025-01-15 --json");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  const rapidjson::Document d = Json(ran.output);
  ASSERT_TRUE(d.IsObject()) << ran.output;
  EXPECT_STREQ(d["result"].GetString(), "ok");
  EXPECT_NEAR(d["apr_nominal"].GetDouble(), 0.1303, 0.00005);
  EXPECT_GT(d["apr_effective"].GetDouble(), d["apr_nominal"].GetDouble());
  ASSERT_EQ(d["instalments"].Size(), 12u);
  uint64_t principal = 0;
  for (const auto& i : d["instalments"].GetArray()) {
    EXPECT_EQ(i["fee_minor"].GetUint64(), 6'000u);
    EXPECT_EQ(i["total_minor"].GetUint64(),
              i["principal_minor"].GetUint64() + i["interest_minor"].GetUint64() + 6'000u);
    principal += i["principal_minor"].GetUint64();
  }
  EXPECT_EQ(principal, 1'000'000u);  // the remainder is on the last instalment
  EXPECT_EQ(d["instalments"][11]["principal_minor"].GetUint64(), 83'337u);
  EXPECT_EQ(d["fee_total_minor"].GetUint64(), 72'000u);
  EXPECT_STREQ(d["instalments"][0]["due_date"].GetString(), "2025-02-10");

  const Ran text =
      Netfin("credit offer --product pay_later --amount 1000000 --terms 12 --start 2025-01-15");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.output.find("13.03% nominal"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("10,720.00"), std::string::npos) << text.output;
}

TEST(CreditCli, OfferRefusalsNameTheRuleAndExitNonZero) {
  struct Case {
    std::string args;
    std::string result;
  };
  const Case cases[] = {
      {"--product pay_later --amount 30000000 --terms 12", "amount_above_product_max"},
      {"--product cash_loan --amount 100 --terms 12", "amount_below_product_min"},
      {"--product pay_later --amount 1000000 --terms 7", "term_not_offered"},
      {"--product pay_later --amount 1000000 --terms 0", "term_not_offered"},
      {"--product layaway --amount 1000000 --terms 12", "unknown_product"},
  };
  for (const Case& c : cases) {
    const Ran ran = Netfin("credit offer --start 2025-01-15 --json " + c.args);
    EXPECT_EQ(ran.exit_code, 1) << c.args;
    const rapidjson::Document d = Json(ran.output);
    ASSERT_TRUE(d.IsObject()) << ran.output;
    EXPECT_EQ(std::string(d["result"].GetString()), c.result) << ran.output;
    EXPECT_GT(std::string(d["reason"].GetString()).size(), 10u) << ran.output;
    // A CreditResult's stable number; an unknown product is not one.
    EXPECT_EQ(d.HasMember("code"), c.result != "unknown_product") << ran.output;
  }
  const Ran text = Netfin("credit offer --product pay_later --amount 30000000 --terms 12", true);
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.output.find("amount_above_product_max"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("200,000.00 CNY"), std::string::npos) << text.output;
  EXPECT_NE(
      Netfin("credit offer --product pay_later --amount 1000000 --terms 12 --start 2025-02-30")
          .exit_code,
      0);
}

TEST(CreditCli, AProductAboveTheAprCapIsRefusedAtLoadWithTheCap) {
  core::ScratchDir dir;
  const std::string config = dir.File("credit.toml");
  // 2% of the principal a month flat is about 42% a year: above the 24% cap.
  std::ofstream(config) << "[credit]\napr_cap_bps = 2400\n[[credit.products]]\nname = \"pricey\"\n"
                           "kind = \"cash_loan\"\nmethod = \"flat_fee\"\nterms = [12]\n"
                           "monthly_fee_bps = 200\n";
  const Ran refused = Netfin(
      "credit offer --config " + config + " --product pricey --amount 1000000 --terms 12", true);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.output.find("pricey"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("exceeds the APR cap 24.00%"), std::string::npos) << refused.output;
  // The same product at 0.6% a month loads and is offered from that file.
  std::ofstream(config) << "[[credit.products]]\nname = \"fair\"\nkind = \"cash_loan\"\n"
                           "method = \"flat_fee\"\nterms = [12]\nmonthly_fee_bps = 60\n";
  const Ran offered =
      Netfin("credit offer --config " + config +
             " --product fair --amount 1000000 --terms 12 --start 2025-01-15 --json");
  ASSERT_EQ(offered.exit_code, 0) << offered.output;
  EXPECT_NEAR(Json(offered.output)["apr_nominal"].GetDouble(), 0.1303, 0.00005);
}

TEST(CreditCli, BenchCreditPrintsOneJsonObjectWithItsFigures) {
  const Ran ran = Netfin("bench credit --loans 20000 --offers 2000 --json");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  const rapidjson::Document d = Json(ran.output);
  ASSERT_TRUE(d.IsObject()) << ran.output;
  for (const char* key : {"loans", "day_end_seconds", "loans_per_s", "offers", "offer_p50_us",
                          "offer_p99_us", "statements", "provisions_minor", "portfolio_bytes",
                          "build_seconds", "bucket_m0", "bucket_m3_plus", "class_loss"}) {
    EXPECT_TRUE(d.HasMember(key)) << key;
  }
  EXPECT_EQ(d["loans"].GetUint64(), 20'000u);
  EXPECT_EQ(d["offers"].GetUint64(), 2'000u);
  EXPECT_EQ(d["day_end_refused"].GetUint64(), 0u);
  EXPECT_EQ(d["offer_refused"].GetUint64(), 0u);
  EXPECT_EQ(d["replay_mismatches"].GetUint64(), 0u) << "the portfolio is not what day-ends make";
  EXPECT_GT(d["replayed"].GetUint64(), 0u);
  EXPECT_GT(d["day_end_seconds"].GetDouble(), 0);
  EXPECT_GT(d["loans_per_s"].GetDouble(), 0);
  EXPECT_GT(d["offer_p50_us"].GetDouble(), 0);
  EXPECT_LE(d["offer_p50_us"].GetDouble(), d["offer_p99_us"].GetDouble());
  uint64_t buckets = 0;
  uint64_t classes = 0;
  for (const char* b : {"bucket_m0", "bucket_m1", "bucket_m2", "bucket_m3", "bucket_m3_plus"}) {
    buckets += d[b].GetUint64();
  }
  for (const char* c : {"class_normal", "class_special_mention", "class_substandard",
                        "class_doubtful", "class_loss"}) {
    classes += d[c].GetUint64();
  }
  EXPECT_EQ(buckets, 20'000u);
  EXPECT_EQ(classes, 20'000u);
  // A realistic book: most loans current, a few per cent late, some far behind.
  EXPECT_GT(d["bucket_m0"].GetUint64(), 18'000u);
  EXPECT_GT(d["bucket_m1"].GetUint64(), 0u);
  EXPECT_GT(d["bucket_m3_plus"].GetUint64(), 0u);
  EXPECT_GT(d["statements"].GetUint64(), 0u);  // 2025-07-01 is pay_later's statement day
  EXPECT_GT(d["provisions_minor"].GetUint64(), 0u);
  EXPECT_GT(d["penalty_accrued_minor"].GetUint64(), 0u);
}

// The first `rows` data rows of `from` (and its header) into `to`.
bool WriteSlice(const std::string& from, const std::string& to, size_t skip, size_t rows) {
  std::ifstream in(from);
  std::ofstream out(to);
  std::string line;
  if (!std::getline(in, line)) return false;
  out << line << "\n";
  for (size_t k = 0; k < skip && std::getline(in, line); ++k) {
  }
  for (size_t k = 0; k < rows && std::getline(in, line); ++k) out << line << "\n";
  return static_cast<bool>(out);
}

// The public data sets live beside the repository (../shared/data). The
// repository is found from NETFIN_SOURCE_DIR when set, else from this file's
// path (CMake compiles it by its absolute path).
std::string SharedDataFile(const std::string& relative) {
  const char* source = std::getenv("NETFIN_SOURCE_DIR");
  const std::filesystem::path root =
      source != nullptr ? std::filesystem::path(source)
                        : std::filesystem::path(__FILE__).parent_path().parent_path();
  return (root / ".." / "shared" / "data" / relative).lexically_normal().string();
}

TEST(CreditCli, TrainAndEvalCreditOnATaiwanSlice) {
  const std::string data = SharedDataFile("credit/taiwan_default.csv");
  if (!std::filesystem::exists(data)) GTEST_SKIP() << data << " is absent";
  core::ScratchDir dir;
  ASSERT_TRUE(WriteSlice(data, dir.File("first.csv"), 0, 2000));
  ASSERT_TRUE(WriteSlice(data, dir.File("next.csv"), 2000, 1000));
  const std::string model = dir.File("model.json");
  const Ran trained = Netfin("train credit --data " + dir.File("first.csv") +
                             " --label default.payment.next.month --positive 1 --exclude ID"
                             " --rounds 100 --max-depth 3 --out " +
                             model + " --json");
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const rapidjson::Document t = Json(trained.output);
  ASSERT_TRUE(t.IsObject()) << trained.output;
  EXPECT_EQ(t["rows"].GetUint64(), 2000u);
  EXPECT_EQ(t["features"].GetUint64(), 23u);  // ID left out, the label is not a feature
  EXPECT_EQ(t["test_rows"].GetUint64(), 600u);
  for (const std::string suffix : {"", ".features.json", ".training.json"}) {
    EXPECT_TRUE(std::filesystem::exists(model + suffix)) << suffix;
  }

  // The held-out part of the same split, from the model file reloaded.
  const Ran held_out = Netfin("eval credit --model " + model + " --json");
  ASSERT_EQ(held_out.exit_code, 0) << held_out.output;
  const rapidjson::Document e = Json(held_out.output);
  ASSERT_TRUE(e.IsObject()) << held_out.output;
  EXPECT_STREQ(e["part"].GetString(), "held_out");
  EXPECT_EQ(e["rows"].GetUint64(), 600u);
  EXPECT_GT(e["roc_auc"].GetDouble(), 0.6);
  EXPECT_LT(e["roc_auc"].GetDouble(), 0.9);  // higher would mean a leak
  EXPECT_GT(e["ks"].GetDouble(), 0.2);
  // Naming the training file again is the same held-out part.
  const Ran again =
      Netfin("eval credit --model " + model + " --data " + dir.File("first.csv") + " --json");
  EXPECT_EQ(Json(again.output)["roc_auc"].GetDouble(), e["roc_auc"].GetDouble());

  // A whole other file.
  const Ran other =
      Netfin("eval credit --model " + model + " --data " + dir.File("next.csv") + " --json");
  ASSERT_EQ(other.exit_code, 0) << other.output;
  const rapidjson::Document o = Json(other.output);
  EXPECT_STREQ(o["part"].GetString(), "whole_file");
  EXPECT_EQ(o["rows"].GetUint64(), 1000u);
  EXPECT_GT(o["roc_auc"].GetDouble(), 0.6);

  // A damaged model file is refused, never evaluated.
  std::ofstream(model, std::ios::app) << " ";
  const Ran damaged = Netfin("eval credit --model " + model, true);
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.output.find("corruption"), std::string::npos) << damaged.output;
}

}  // namespace
}  // namespace netfin
