#pragma once

// A table of rows for training and scoring: named float features, a dense
// row-major matrix with NaN for missing values, and 0/1 labels. LoadCsv builds
// one from any CSV file with a header row and learns an Encoding (which
// columns are numeric, which categorical and their categories), which the
// same function can then apply to another file so that both share one
// feature layout.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace netfin::ml {

// Distinct categories one-hot encoded for one categorical column, at most.
// Each is a feature, so this bounds the width a single column adds.
inline constexpr size_t kCategoriesMax = 1024;

// How one source column becomes features.
enum class ColumnKind {
  kNumeric,      // one feature, the value itself
  kCategorical,  // one 0/1 feature per known category, then one for "other"
};

struct ColumnEncoding {
  std::string name = {};  // as in the CSV header
  ColumnKind kind = ColumnKind::kNumeric;
  // kCategorical only: the known categories, sorted. A value not among them
  // sets the column's "other" feature.
  std::vector<std::string> categories = {};

  bool operator==(const ColumnEncoding&) const = default;
};

// The feature layout learnt from a training file. Feature names: a numeric
// column keeps its name; a categorical column `c` gives `c=<category>` for
// each category and then `c=(other)`.
struct Encoding {
  std::vector<ColumnEncoding> columns = {};  // in feature order

  std::vector<std::string> FeatureNames() const;
  bool operator==(const Encoding&) const = default;
};

// The suffix of a categorical column's catch-all feature.
inline constexpr const char* kOtherCategory = "(other)";

struct CsvOptions {
  // Columns left out of the features (ids, leaky columns). Each must exist.
  // Ignored when `encoding` is set: the encoding names the columns it uses.
  std::vector<std::string> exclude = {};
  // A categorical column one-hot encodes its categories_max most frequent
  // values (ties by value); the rest become "other". 1..kCategoriesMax.
  size_t categories_max = 32;
  // Cell texts read as missing (NaN), besides the empty cell. Compared after
  // trimming spaces and tabs.
  std::vector<std::string> missing_tokens = {"NA", "N/A", "NaN", "nan", "null", "NULL"};
  // When set, apply this encoding instead of learning one: its columns are
  // looked up by name (the file may order them differently or have more);
  // a numeric column must hold numbers; unknown categories become "other".
  std::optional<Encoding> encoding = {};
};

// A table of rows. A plain value; feature engines may also fill one in code.
// Invariants (checked by Validate): values.size() == row_count *
// feature_names.size(); labels is empty (unlabelled) or has row_count
// entries, each 0 or 1; feature names are unique and non-empty.
struct Dataset {
  std::vector<std::string> feature_names = {};
  size_t row_count = 0;
  std::vector<float> values = {};    // row-major, NaN = missing
  std::vector<uint8_t> labels = {};  // 1 = positive class
  // How a CSV file became these features; empty when filled in code.
  Encoding encoding = {};

  size_t FeatureCount() const { return feature_names.size(); }
  // REQUIRES: row < row_count.
  std::span<const float> Row(size_t row) const;
  // The rows at the given indices, in that order, with their labels.
  // REQUIRES: every index < row_count.
  Dataset Select(std::span<const size_t> rows) const;
  // The labels of the given rows. REQUIRES: labelled, every index < row_count.
  std::vector<uint8_t> LabelsOf(std::span<const size_t> rows) const;
  // kInvalidArgument naming the first broken invariant.
  core::Status Validate() const;
};

// Loads a CSV file with a header row. label_column names the label; a row is
// positive when its label equals positive_value, compared as numbers when the
// label column is numeric ("1.0" equals "1"), else as trimmed text. An empty
// label_column loads an unlabelled table (for scoring). Columns whose every
// non-missing cell is a number are numeric, the others categorical.
// Errors (kInvalidArgument, with the line number where there is one): empty
// file, no data rows, ragged row, bad quoting, missing label column or
// label value, unknown excluded column, duplicate column names, a number
// outside float's range, a non-number in a column the encoding says is
// numeric. kIoError when the file cannot be read.
core::Result<Dataset> LoadCsv(const std::string& path, const std::string& label_column,
                              const std::string& positive_value, const CsvOptions& options = {});

// How LoadCsv reads a cell, for code that must read one value the same way
// (a scorer given one applicant's fields): blanks (spaces, tabs) trimmed at
// both ends; a number is finite decimal text with at most one leading sign.
std::string_view TrimBlanks(std::string_view text);
bool ParseCellNumber(std::string_view text, double* value);

// LoadCsv on text already in memory (the whole file), at most kCsvBytesMax.
core::Result<Dataset> ParseCsv(std::string text, const std::string& label_column,
                               const std::string& positive_value, const CsvOptions& options = {});

}  // namespace netfin::ml
