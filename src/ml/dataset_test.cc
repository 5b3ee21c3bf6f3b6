#include "ml/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "core/scratch_dir.h"

namespace netfin::ml {
namespace {

using Names = std::vector<std::string>;

Dataset MustParse(std::string text, const std::string& label, const std::string& positive,
                  const CsvOptions& options = {}) {
  core::Result<Dataset> data = ParseCsv(std::move(text), label, positive, options);
  EXPECT_TRUE(data.ok()) << data.status().ToString();
  return data.ok() ? std::move(data).value() : Dataset();
}

std::vector<float> RowOf(const Dataset& data, size_t row) {
  const auto values = data.Row(row);
  return std::vector<float>(values.begin(), values.end());
}

TEST(Dataset, NumericColumnsAsTheyAreCategoricalOneHotWithOther) {
  const Dataset data = MustParse(
      "id,amount,type,fraud\n"
      "a1,10.5,PAYMENT,0\n"
      "a2,-3,TRANSFER,1\n"
      "a3,+2e3,PAYMENT,0\n",
      "fraud", "1", {.exclude = {"id"}});
  EXPECT_EQ(data.feature_names, (Names{"amount", "type=PAYMENT", "type=TRANSFER", "type=(other)"}));
  ASSERT_EQ(data.row_count, 3u);
  EXPECT_EQ(RowOf(data, 0), (std::vector<float>{10.5f, 1, 0, 0}));
  EXPECT_EQ(RowOf(data, 1), (std::vector<float>{-3, 0, 1, 0}));
  EXPECT_EQ(RowOf(data, 2), (std::vector<float>{2000, 1, 0, 0}));
  EXPECT_EQ(data.labels, (std::vector<uint8_t>{0, 1, 0}));
  ASSERT_EQ(data.encoding.columns.size(), 2u);
  EXPECT_EQ(data.encoding.columns[0].kind, ColumnKind::kNumeric);
  EXPECT_EQ(data.encoding.columns[1].kind, ColumnKind::kCategorical);
  EXPECT_EQ(data.encoding.FeatureNames(), data.feature_names);
}

TEST(Dataset, KeepsTheMostFrequentCategoriesTiesByValueAndTheRestAsOther) {
  // c: 3 times, a and b twice (a wins the tie), d once.
  const Dataset data =
      MustParse("k,y\nc,0\nb,0\nd,1\nc,0\na,1\nb,0\nc,1\na,0\n", "y", "1", {.categories_max = 2});
  EXPECT_EQ(data.feature_names, (Names{"k=a", "k=c", "k=(other)"}));
  EXPECT_EQ(RowOf(data, 1), (std::vector<float>{0, 0, 1}));  // b
  EXPECT_EQ(RowOf(data, 2), (std::vector<float>{0, 0, 1}));  // d
  EXPECT_EQ(RowOf(data, 4), (std::vector<float>{1, 0, 0}));  // a
}

TEST(Dataset, MissingValuesAreNaN) {
  const Dataset data = MustParse("x,k,y\n1,u,0\n,v,1\nNA,,0\n 2 ,null,1\n", "y", "1");
  EXPECT_EQ(data.feature_names, (Names{"x", "k=u", "k=v", "k=(other)"}));
  EXPECT_TRUE(std::isnan(data.Row(1)[0]));
  EXPECT_TRUE(std::isnan(data.Row(2)[0]));
  EXPECT_EQ(data.Row(3)[0], 2.0f);  // blanks around a number are fine
  for (size_t row : {2, 3}) {
    for (size_t f = 1; f < 4; ++f) EXPECT_TRUE(std::isnan(data.Row(row)[f])) << row << "," << f;
  }
}

TEST(Dataset, NumericLabelsCompareAsNumbers) {
  const Dataset data = MustParse("x,isFraud\n1,0.0\n2,1.0\n3,1\n4,0\n", "isFraud", "1");
  EXPECT_EQ(data.labels, (std::vector<uint8_t>{0, 1, 1, 0}));
}

TEST(Dataset, TextLabelsCompareAsTrimmedText) {
  const Dataset data = MustParse("x,y\n1,yes\n2,no\n3, yes\n4,Yes\n", "y", "yes");
  EXPECT_EQ(data.labels, (std::vector<uint8_t>{1, 0, 1, 0}));
}

TEST(Dataset, NoLabelColumnLoadsUnlabelledRows) {
  const Dataset data = MustParse("x,y\n1,2\n", "", "");
  EXPECT_EQ(data.feature_names, (Names{"x", "y"}));
  EXPECT_TRUE(data.labels.empty());
}

TEST(Dataset, AppliesALearntEncodingToAnotherFile) {
  const Dataset train = MustParse("x,k,y\n1,a,0\n2,b,1\n", "y", "1");
  CsvOptions options{.encoding = train.encoding};
  // Columns in another order, an extra column, an unseen category.
  const Dataset test = MustParse("extra,k,y,x\nz,b,1,7\nz,new,0,8\n", "y", "1", options);
  EXPECT_EQ(test.feature_names, train.feature_names);
  EXPECT_EQ(RowOf(test, 0), (std::vector<float>{7, 0, 1, 0}));
  EXPECT_EQ(RowOf(test, 1), (std::vector<float>{8, 0, 0, 1}));
  EXPECT_EQ(test.labels, (std::vector<uint8_t>{1, 0}));
}

TEST(Dataset, SelectAndLabelsOfKeepTheGivenOrder) {
  const Dataset data = MustParse("x,y\n10,0\n11,1\n12,0\n", "y", "1");
  const std::vector<size_t> rows = {2, 0};
  const Dataset picked = data.Select(rows);
  EXPECT_EQ(picked.row_count, 2u);
  EXPECT_EQ(picked.values, (std::vector<float>{12, 10}));
  EXPECT_EQ(picked.labels, (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(data.LabelsOf(std::vector<size_t>{1, 1}), (std::vector<uint8_t>{1, 1}));
  EXPECT_TRUE(picked.Validate().ok());
}

struct ErrorCase {
  const char* text;
  const char* label;
  CsvOptions options;
  const char* message;  // a part of the expected message
};

TEST(Dataset, BadInputIsAClearError) {
  Encoding numeric_x{.columns = {{.name = "x"}}};
  const ErrorCase cases[] = {
      {"", "y", {}, "empty file"},
      {"x,y\n", "y", {}, "no data rows"},
      {"x,y\n1,0\n2\n", "y", {}, "line 3: 1 fields, but the header has 2"},
      {"x,z\n1,0\n", "y", {}, "line 1: label column 'y' is not in the header"},
      {"x,y\n1,0\n2,\n", "y", {}, "line 3: missing label in 'y'"},
      {"x,y\n1,0\n", "y", {.exclude = {"id"}}, "line 1: excluded column 'id' is not in the header"},
      {"x,x,y\n1,2,0\n", "y", {}, "line 1: duplicate column name 'x'"},
      {"x,y\n1e39,0\n", "y", {}, "line 2: column 'x' holds 1e39, outside float's range"},
      {"x,y\n1,0\na,1\n",
       "y",
       {.encoding = numeric_x},
       "line 3: column 'x' holds 'a', not a number"},
      {"w,y\n1,0\n",
       "y",
       {.encoding = numeric_x},
       "line 1: column 'x' of the encoding is not in the header"},
      {"y\n1\n", "y", {}, "no feature columns"},
      {"x,y\n1,0\n", "y", {.categories_max = 0}, "categories_max must be"},
      {"k,k=a,y\na,1,0\n", "y", {}, "duplicate feature name 'k=a'"},
  };
  for (const ErrorCase& c : cases) {
    core::Result<Dataset> data = ParseCsv(c.text, c.label, "1", c.options);
    ASSERT_FALSE(data.ok()) << c.text;
    EXPECT_EQ(data.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(data.status().message().find(c.message), std::string::npos)
        << "want '" << c.message << "', got: " << data.status().message();
  }
}

TEST(Dataset, ValidateNamesTheBrokenInvariant) {
  Dataset data{.feature_names = {"a", "b"}, .row_count = 1, .values = {1, 2}, .labels = {1}};
  EXPECT_TRUE(data.Validate().ok());
  Dataset wrong = data;
  wrong.values.push_back(3);
  EXPECT_NE(wrong.Validate().message().find("values hold 3 cells"), std::string::npos);
  wrong = data;
  wrong.labels = {2};
  EXPECT_NE(wrong.Validate().message().find("neither 0 nor 1"), std::string::npos);
  wrong = data;
  wrong.labels = {0, 1};
  EXPECT_NE(wrong.Validate().message().find("labels has 2 entries"), std::string::npos);
  wrong = data;
  wrong.feature_names = {"a", "a"};
  EXPECT_NE(wrong.Validate().message().find("duplicate feature name"), std::string::npos);
  wrong = Dataset();
  EXPECT_NE(wrong.Validate().message().find("no features"), std::string::npos);
}

TEST(Dataset, LoadCsvReadsAFileAndNamesItInErrors) {
  core::ScratchDir dir;
  const std::string path = dir.File("d.csv");
  std::ofstream(path) << "x,y\n1,0\n2,1\n";
  core::Result<Dataset> data = LoadCsv(path, "y", "1");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->labels, (std::vector<uint8_t>{0, 1}));
  core::Result<Dataset> missing = LoadCsv(path, "label", "1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message().find(path + ": line 1: label column"), 0u)
      << missing.status().message();
  EXPECT_EQ(LoadCsv(dir.File("none.csv"), "y", "1").status().code(), core::StatusCode::kIoError);
  // A CSV error names the file once, then the line.
  std::ofstream(path) << "x,y\n1,0\n2\n";
  core::Result<Dataset> ragged = LoadCsv(path, "y", "1");
  ASSERT_FALSE(ragged.ok());
  EXPECT_EQ(ragged.status().message().find(path + ": line 3: 1 fields"), 0u)
      << ragged.status().message();
}

TEST(Dataset, MissingFileIsAnIoErrorNamingThePath) {
  core::Result<Dataset> data = LoadCsv("/nonexistent/netfin.csv", "y", "1");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), core::StatusCode::kIoError);
  EXPECT_NE(data.status().message().find("/nonexistent/netfin.csv"), std::string::npos);
}

std::string DataPath(const std::string& relative) {
  return std::string(NETFIN_ML_DATA_DIR) + "/" + relative;
}

TEST(Dataset, LoadsTheTaiwanCreditDefaultData) {
  const std::string path = DataPath("credit/taiwan_default.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  core::Result<Dataset> data =
      LoadCsv(path, "default.payment.next.month", "1", {.exclude = {"ID"}});
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->row_count, 30000u);
  EXPECT_EQ(data->FeatureCount(), 23u);
  EXPECT_EQ(data->feature_names.front(), "LIMIT_BAL");
  EXPECT_EQ(std::accumulate(data->labels.begin(), data->labels.end(), 0), 6636);  // 22.12%
}

TEST(Dataset, LoadsThePaySimSample) {
  const std::string path = DataPath("fraud/paysim_sample.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is absent";
  core::Result<Dataset> data =
      LoadCsv(path, "isFraud", "1", {.exclude = {"nameOrig", "nameDest", "step"}});
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->row_count, 51392u);
  EXPECT_EQ(std::accumulate(data->labels.begin(), data->labels.end(), 0), 1392);
  EXPECT_EQ(data->feature_names,
            (Names{"type=CASH_IN", "type=CASH_OUT", "type=DEBIT", "type=PAYMENT", "type=TRANSFER",
                   "type=(other)", "amount", "oldbalanceOrg", "newbalanceOrig", "oldbalanceDest",
                   "newbalanceDest", "isFlaggedFraud"}));
}

}  // namespace
}  // namespace netfin::ml
