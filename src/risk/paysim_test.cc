#include "risk/paysim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <string>

#include "core/files.h"
#include "core/money.h"
#include "ml/csv_reader.h"
#include "risk/features.h"

namespace netfin::risk {
namespace {

constexpr const char* kHeader =
    "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,"
    "newbalanceDest,isFraud,isFlaggedFraud\n";

TEST(PaysimTest, DecimalAmountsAreExactFen) {
  const struct {
    const char* text;
    core::AmountMinor fen;
  } cases[] = {
      {"0", 0},
      {"0.0", 0},
      {"0.01", 1},
      {"0.1", 10},
      {"1.05", 105},
      {"1.5", 150},
      {"1.50", 150},
      {"2.500", 250},
      {"12", 1'200},
      {"38398.68", 3'839'868},
      {"8380.79", 838'079},  // 8380.79 is not exact as a double (8380.7900000000008)
      {"495340.53", 49'534'053},
      {"10000000.0", 1'000'000'000},
      {"0000.07", 7},
      {"92233720368547758.07", core::kAmountMax},
  };
  for (const auto& c : cases) {
    core::Result<core::AmountMinor> fen = ParseDecimalMinor(c.text);
    ASSERT_TRUE(fen.ok()) << c.text << ": " << fen.status().ToString();
    EXPECT_EQ(*fen, c.fen) << c.text;
  }
}

TEST(PaysimTest, DecimalAmountsRefuseWhatIsNotExactOrNotAnAmount) {
  for (const char* bad : {"",
                          ".",
                          ".5",
                          "1.",
                          "-1",
                          "+1",
                          "-0.0",
                          "1e5",
                          "1E5",
                          " 1",
                          "1 ",
                          "1,000",
                          "1.005",
                          "0.001",
                          "1.2.3",
                          "abc",
                          "NaN",
                          "inf",
                          "0x10",
                          "1.0a",
                          "92233720368547758.08",
                          "18446744073709551616",
                          "99999999999999999999.99"}) {
    core::Result<core::AmountMinor> fen = ParseDecimalMinor(bad);
    EXPECT_FALSE(fen.ok()) << "\"" << bad << "\" parsed as " << (fen.ok() ? *fen : 0);
    if (!fen.ok()) {
      EXPECT_EQ(fen.status().code(), core::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_NE(ParseDecimalMinor("1.005").status().message().find("past the cents"),
            std::string::npos);
}

TEST(PaysimTest, TypesMapOntoPaymentKinds) {
  const struct {
    const char* type;
    std::optional<EventKind> kind;
  } cases[] = {
      {"PAYMENT", EventKind::kPayment},
      {"TRANSFER", EventKind::kTransfer},
      {"CASH_OUT", EventKind::kWithdrawal},
      {"DEBIT", EventKind::kWithdrawal},
      {"CASH_IN", EventKind::kTopUp},
      {"payment", std::nullopt},
      {"CASH", std::nullopt},
      {"", std::nullopt},
      {"PAYMENT ", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(PaysimKind(c.type), c.kind) << c.type;
}

TEST(PaysimTest, AccountKeysAreStableDistinctAndNeverZero) {
  EXPECT_EQ(PaysimAccountKey("C1231006815"), PaysimAccountKey("C1231006815"));
  EXPECT_NE(PaysimAccountKey("C1231006815"), PaysimAccountKey("C1231006816"));
  EXPECT_NE(PaysimAccountKey("C1"), PaysimAccountKey("M1"));
  EXPECT_FALSE(PaysimAccountKey("C1").IsZero());
}

TEST(PaysimTest, StepsBecomeHoursFromAFixedOrigin) {
  EXPECT_EQ(PaysimStepTimestampNs(0), kPaysimEpochNs);
  EXPECT_EQ(PaysimStepTimestampNs(1), kPaysimEpochNs + kHourNs);
  EXPECT_EQ(PaysimStepTimestampNs(743) - PaysimStepTimestampNs(1), 742 * kHourNs);
  EXPECT_EQ(PaysimStepTimestampNs(kPaysimStepMax),
            kPaysimEpochNs + uint64_t{kPaysimStepMax} * kHourNs);
}

TEST(PaysimTest, RowsMapOntoEventsInStepThenFileOrder) {
  const std::string text =
      std::string(kHeader) +
      "2,TRANSFER,181.0,C1305486145,181.0,0.0,C553264065,0.0,0.0,1.0,0.0\n"  // line 2
      "1,PAYMENT,9839.64,C1231006815,170136.0,160296.36,M1979787155,0.0,0.0,0.0,0.0\n"
      "2,CASH_OUT,181.0,C840083671,181.0,0.0,C38997010,21182.0,0.0,1,0\n"
      "1,CASH_IN,0.5,C1,0,0.5,C2,0,0,0,0\n"
      "3,DEBIT,5337.77,C712410124,41720.0,36382.23,C195600860,41898.0,40348.79,0.0,0.0\n";
  core::Result<PaysimLog> log = ParsePaysim(text, "t.csv");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 5u);
  // Step 1 first (lines 3, 5 in file order), then step 2 (lines 2, 4), then 3.
  const std::vector<std::string_view> payers_in_file_order = {"C1231006815", "C1", "C1305486145",
                                                              "C840083671", "C712410124"};
  for (size_t i = 0; i < payers_in_file_order.size(); ++i) {
    EXPECT_EQ(log->events[i].customer, PaysimAccountKey(payers_in_file_order[i])) << i;
  }
  EXPECT_EQ(log->steps, (std::vector<uint32_t>{1, 1, 2, 2, 3}));
  EXPECT_EQ(log->labels, (std::vector<uint8_t>{0, 0, 1, 1, 0}));
  EXPECT_EQ(log->FraudCount(), 2u);
  const PaymentEvent& pay = log->events[0];
  EXPECT_EQ(pay.kind, EventKind::kPayment);
  EXPECT_EQ(pay.amount_minor, 983'964u);
  EXPECT_EQ(pay.balance_before_minor, std::optional<core::AmountMinor>(17'013'600));
  EXPECT_EQ(pay.customer, PaysimAccountKey("C1231006815"));
  EXPECT_EQ(pay.payee, PaysimAccountKey("M1979787155"));
  EXPECT_EQ(pay.merchant, pay.payee);  // a merchant payee ("M...") is the merchant
  EXPECT_EQ(pay.timestamp_ns, PaysimStepTimestampNs(1));
  EXPECT_EQ(pay.outcome, Outcome::kSucceeded);
  EXPECT_TRUE(pay.device.IsZero());
  EXPECT_TRUE(pay.ip.IsZero());
  EXPECT_FALSE(pay.location.has_value());
  const PaymentEvent& top_up = log->events[1];
  EXPECT_EQ(top_up.kind, EventKind::kTopUp);
  EXPECT_EQ(top_up.amount_minor, 50u);
  EXPECT_EQ(top_up.balance_before_minor, std::optional<core::AmountMinor>(0));
  EXPECT_TRUE(top_up.merchant.IsZero());  // a wallet payee is no merchant
  EXPECT_EQ(log->events[2].kind, EventKind::kTransfer);
  EXPECT_EQ(log->events[2].timestamp_ns, PaysimStepTimestampNs(2));
  EXPECT_EQ(log->events[3].kind, EventKind::kWithdrawal);
  EXPECT_EQ(log->events[4].kind, EventKind::kWithdrawal);
  EXPECT_EQ(log->events[4].amount_minor, 533'777u);
}

TEST(PaysimTest, ColumnsAreFoundByName) {
  const std::string text =
      "isFraud,nameDest,extra,amount,type,nameOrig,step,oldbalanceOrg\n"
      "1.0,C9,x,100.25,TRANSFER,C8,7,100.25\n";
  core::Result<PaysimLog> log = ParsePaysim(text, "t.csv");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->events[0].amount_minor, 10'025u);
  EXPECT_EQ(log->events[0].customer, PaysimAccountKey("C8"));
  EXPECT_EQ(log->steps[0], 7u);
  EXPECT_EQ(log->labels[0], 1);
}

TEST(PaysimTest, BadInputNamesTheLineAndTheReason) {
  const std::string row = "1,PAYMENT,1.00,C1,2.00,1.00,M1,0,0,0,0\n";
  const struct {
    std::string text;
    const char* expected;
  } cases[] = {
      {"step,type\n1,PAYMENT\n", "t.csv:1: no column \"amount\""},
      {std::string(kHeader), "t.csv: no data rows"},
      {kHeader + row + "1,PAYMENT,1.001,C1,2.00,1.00,M1,0,0,0,0\n", "t.csv:3: amount: \"1.001\""},
      {kHeader + row + "1,PAYMENT,-1,C1,2.00,1.00,M1,0,0,0,0\n", "t.csv:3: amount: \"-1\""},
      {kHeader + row + "1,PAYMENT,1,C1,1e3,1.00,M1,0,0,0,0\n", "t.csv:3: oldbalanceOrg: \"1e3\""},
      {kHeader + row + "1,REFUND,1,C1,2,1,M1,0,0,0,0\n", "t.csv:3: type \"REFUND\""},
      {kHeader + row + "1,PAYMENT,1,C1,2,1,M1,0,0,0.5,0\n", "t.csv:3: isFraud \"0.5\""},
      {kHeader + row + "1,PAYMENT,1,C1,2,1,M1,0,0,2,0\n", "t.csv:3: isFraud \"2\""},
      {kHeader + row + "-1,PAYMENT,1,C1,2,1,M1,0,0,0,0\n", "t.csv:3: step \"-1\""},
      {kHeader + row + "876001,PAYMENT,1,C1,2,1,M1,0,0,0,0\n", "t.csv:3: step \"876001\""},
      {kHeader + row + "1.5,PAYMENT,1,C1,2,1,M1,0,0,0,0\n", "t.csv:3: step \"1.5\""},
      {kHeader + row + "1,PAYMENT,1,,2,1,M1,0,0,0,0\n", "t.csv:3: an empty nameOrig"},
      {kHeader + row + "1,PAYMENT,1,C1\n", "t.csv: "},  // ragged: the CSV reader's message
  };
  for (const auto& c : cases) {
    core::Result<PaysimLog> log = ParsePaysim(c.text, "t.csv");
    ASSERT_FALSE(log.ok()) << c.expected;
    EXPECT_EQ(log.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_EQ(log.status().message().rfind(c.expected, 0), 0u)
        << "expected a message starting \"" << c.expected << "\", got \"" << log.status().message()
        << "\"";
  }
  EXPECT_TRUE(ParsePaysim(kHeader + row, "t.csv").ok());
  // A step written as a float is accepted.
  EXPECT_TRUE(
      ParsePaysim(kHeader + std::string("3.0,PAYMENT,1,C1,2,1,M1,0,0,0,0\n"), "t.csv").ok());
}

TEST(PaysimTest, MissingFileIsAnIoError) {
  core::Result<PaysimLog> log = ReadPaysimFile("/nonexistent/paysim.csv");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), core::StatusCode::kIoError);
}

// The public sample, when ../shared/data is present: every row maps, in step
// order, with the counts the data README gives.
TEST(PaysimTest, ThePublicSampleMaps) {
  const std::string path = std::string(NETFIN_RISK_DATA_DIR) + "/fraud/paysim_sample.csv";
  if (!std::ifstream(path).good()) GTEST_SKIP() << path << " is absent";
  core::Result<PaysimLog> log = ReadPaysimFile(path);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log->size(), 51'392u);
  EXPECT_EQ(log->FraudCount(), 1'392u);
  EXPECT_TRUE(std::is_sorted(log->steps.begin(), log->steps.end()));
  EXPECT_EQ(log->steps.front(), 1u);
  EXPECT_EQ(log->steps.back(), 119u);
  for (size_t i = 1; i < log->size(); ++i) {
    ASSERT_LE(log->events[i - 1].timestamp_ns, log->events[i].timestamp_ns);
  }
  // The replay order, rebuilt from the raw rows: a stable sort by step, so
  // the file's order within a step.
  core::Result<std::string> text = core::ReadWholeFile(path, ml::kCsvBytesMax);
  ASSERT_TRUE(text.ok());
  core::Result<ml::CsvTable> table = ml::CsvTable::Parse(std::move(text).value());
  ASSERT_TRUE(table.ok());
  ASSERT_EQ(table->row_count(), log->size());
  const auto column = [&](std::string_view name) {
    const auto at = std::find(table->header().begin(), table->header().end(), name);
    return static_cast<size_t>(at - table->header().begin());
  };
  const size_t step_column = column("step");
  const size_t payer_column = column("nameOrig");
  std::vector<size_t> order(table->row_count());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::stoul(std::string(table->Row(a)[step_column])) <
           std::stoul(std::string(table->Row(b)[step_column]));
  });
  for (size_t i = 0; i < order.size(); ++i) {
    ASSERT_EQ(log->events[i].customer, PaysimAccountKey(table->Row(order[i])[payer_column])) << i;
  }
  // The file's first row: 17,PAYMENT,38398.68,C1491813860,495340.53,...
  const auto at = std::find(order.begin(), order.end(), size_t{0});
  ASSERT_NE(at, order.end());
  const PaymentEvent& e = log->events[static_cast<size_t>(at - order.begin())];
  EXPECT_EQ(e.amount_minor, 3'839'868u);
  EXPECT_EQ(e.balance_before_minor, std::optional<core::AmountMinor>(49'534'053));
  EXPECT_EQ(e.customer, PaysimAccountKey("C1491813860"));
  EXPECT_EQ(e.timestamp_ns, PaysimStepTimestampNs(17));
}

}  // namespace
}  // namespace netfin::risk
