#include "ml/dataset.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/files.h"
#include "ml/csv_reader.h"
#include "ml/model_files.h"

namespace netfin::ml {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::string LinePrefix(size_t line) { return "line " + std::to_string(line) + ": "; }

// Turns one CsvTable into a Dataset, learning or applying an Encoding. Lives
// for one LoadCsv call; the table and options outlive it.
class CsvLoader {
 public:
  CsvLoader(const CsvTable& table, const CsvOptions& options) : table_(table), options_(options) {}

  core::Result<Dataset> Load(const std::string& label_column, const std::string& positive_value) {
    NETFIN_RETURN_IF_ERROR(CheckOptionsAndHeader());
    size_t label_index = kNoColumn;
    if (!label_column.empty()) {
      label_index = ColumnIndex(label_column);
      if (label_index == kNoColumn) {
        return core::InvalidArgument(HeaderPrefix() + "label column '" + label_column +
                                     "' is not in the header");
      }
    }
    Dataset data;
    data.row_count = table_.row_count();
    if (options_.encoding.has_value()) {
      data.encoding = *options_.encoding;
      NETFIN_RETURN_IF_ERROR(ResolveEncoding(data.encoding));
    } else {
      NETFIN_RETURN_IF_ERROR(LearnEncoding(label_index, &data.encoding));
    }
    data.feature_names = data.encoding.FeatureNames();
    NETFIN_RETURN_IF_ERROR(FillValues(data.encoding, &data.values));
    if (label_index != kNoColumn) {
      NETFIN_RETURN_IF_ERROR(FillLabels(label_index, positive_value, &data.labels));
    }
    NETFIN_RETURN_IF_ERROR(data.Validate());
    return data;
  }

 private:
  static constexpr size_t kNoColumn = static_cast<size_t>(-1);

  core::Status CheckOptionsAndHeader() {
    if (options_.categories_max < 1 || options_.categories_max > kCategoriesMax) {
      return core::InvalidArgument("categories_max must be 1.." + std::to_string(kCategoriesMax));
    }
    if (table_.row_count() == 0) return core::InvalidArgument("no data rows after the header");
    std::unordered_set<std::string_view> seen;
    for (const std::string& name : table_.header()) {
      if (!seen.insert(name).second) {
        return core::InvalidArgument(HeaderPrefix() + "duplicate column name '" + name +
                                     "' in the header");
      }
    }
    return core::Status::Ok();
  }

  std::string HeaderPrefix() const { return LinePrefix(table_.header_line()); }

  size_t ColumnIndex(std::string_view name) const {
    const auto& header = table_.header();
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? kNoColumn : static_cast<size_t>(it - header.begin());
  }

  std::string_view Cell(size_t row, size_t column) const { return table_.Row(row)[column]; }

  bool IsMissing(std::string_view cell) const {
    cell = TrimBlanks(cell);
    if (cell.empty()) return true;
    return std::find(options_.missing_tokens.begin(), options_.missing_tokens.end(), cell) !=
           options_.missing_tokens.end();
  }

  bool ColumnIsNumeric(size_t column) const {
    double value = 0;
    for (size_t row = 0; row < table_.row_count(); ++row) {
      const std::string_view cell = Cell(row, column);
      if (!IsMissing(cell) && !ParseCellNumber(cell, &value)) return false;
    }
    return true;
  }

  core::Status LearnEncoding(size_t label_index, Encoding* encoding) {
    std::vector<bool> excluded(table_.column_count(), false);
    for (const std::string& name : options_.exclude) {
      const size_t index = ColumnIndex(name);
      if (index == kNoColumn) {
        return core::InvalidArgument(HeaderPrefix() + "excluded column '" + name +
                                     "' is not in the header");
      }
      excluded[index] = true;
    }
    for (size_t column = 0; column < table_.column_count(); ++column) {
      if (column == label_index || excluded[column]) continue;
      encoding->columns.push_back(LearnColumn(column));
      source_columns_.push_back(column);
    }
    if (encoding->columns.empty()) return core::InvalidArgument("no feature columns");
    return core::Status::Ok();
  }

  ColumnEncoding LearnColumn(size_t column) const {
    ColumnEncoding encoded{.name = table_.header()[column]};
    if (ColumnIsNumeric(column)) return encoded;
    encoded.kind = ColumnKind::kCategorical;
    encoded.categories = MostFrequentCategories(column);
    return encoded;
  }

  // The categories_max most frequent values (ties by value), sorted.
  std::vector<std::string> MostFrequentCategories(size_t column) const {
    std::unordered_map<std::string_view, size_t> counts;
    for (size_t row = 0; row < table_.row_count(); ++row) {
      const std::string_view cell = Cell(row, column);
      if (!IsMissing(cell)) ++counts[TrimBlanks(cell)];
    }
    std::vector<std::pair<std::string_view, size_t>> ranked(counts.begin(), counts.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    ranked.resize(std::min(ranked.size(), options_.categories_max));
    std::vector<std::string> categories;
    categories.reserve(ranked.size());
    for (const auto& [value, count] : ranked) categories.emplace_back(value);
    std::sort(categories.begin(), categories.end());
    return categories;
  }

  core::Status ResolveEncoding(const Encoding& encoding) {
    if (encoding.columns.empty()) return core::InvalidArgument("the encoding has no columns");
    for (const ColumnEncoding& column : encoding.columns) {
      const size_t index = ColumnIndex(column.name);
      if (index == kNoColumn) {
        return core::InvalidArgument(HeaderPrefix() + "column '" + column.name +
                                     "' of the encoding is not in the header");
      }
      source_columns_.push_back(index);
    }
    return core::Status::Ok();
  }

  core::Status FillValues(const Encoding& encoding, std::vector<float>* values) const {
    size_t feature_count = 0;
    for (const ColumnEncoding& column : encoding.columns) feature_count += FeatureWidth(column);
    values->assign(table_.row_count() * feature_count, 0.0f);
    size_t first_feature = 0;
    for (size_t i = 0; i < encoding.columns.size(); ++i) {
      const ColumnEncoding& column = encoding.columns[i];
      if (column.kind == ColumnKind::kNumeric) {
        NETFIN_RETURN_IF_ERROR(
            FillNumeric(column.name, source_columns_[i], first_feature, feature_count, values));
      } else {
        FillCategorical(column, source_columns_[i], first_feature, feature_count, values);
      }
      first_feature += FeatureWidth(column);
    }
    return core::Status::Ok();
  }

  static size_t FeatureWidth(const ColumnEncoding& column) {
    return column.kind == ColumnKind::kNumeric ? 1 : column.categories.size() + 1;
  }

  core::Status FillNumeric(const std::string& name, size_t column, size_t feature, size_t stride,
                           std::vector<float>* values) const {
    for (size_t row = 0; row < table_.row_count(); ++row) {
      const std::string_view cell = Cell(row, column);
      float& out = (*values)[row * stride + feature];
      if (IsMissing(cell)) {
        out = kMissing;
        continue;
      }
      double value = 0;
      if (!ParseCellNumber(cell, &value)) {
        return core::InvalidArgument(LinePrefix(table_.LineOfRow(row)) + "column '" + name +
                                     "' holds '" + std::string(cell) + "', not a number");
      }
      if (std::fabs(value) > std::numeric_limits<float>::max()) {
        return core::InvalidArgument(LinePrefix(table_.LineOfRow(row)) + "column '" + name +
                                     "' holds " + std::string(cell) + ", outside float's range");
      }
      out = static_cast<float>(value);
    }
    return core::Status::Ok();
  }

  void FillCategorical(const ColumnEncoding& encoded, size_t column, size_t first_feature,
                       size_t stride, std::vector<float>* values) const {
    std::unordered_map<std::string_view, size_t> index_of;
    for (size_t i = 0; i < encoded.categories.size(); ++i) index_of[encoded.categories[i]] = i;
    const size_t other = encoded.categories.size();
    for (size_t row = 0; row < table_.row_count(); ++row) {
      float* out = values->data() + row * stride + first_feature;
      const std::string_view cell = Cell(row, column);
      if (IsMissing(cell)) {
        std::fill(out, out + other + 1, kMissing);
        continue;
      }
      const auto it = index_of.find(TrimBlanks(cell));
      out[it == index_of.end() ? other : it->second] = 1.0f;
    }
  }

  core::Status FillLabels(size_t column, const std::string& positive_value,
                          std::vector<uint8_t>* labels) const {
    double positive_number = 0;
    const bool numeric = ColumnIsNumeric(column) && ParseCellNumber(positive_value, &positive_number);
    const std::string_view positive_text = TrimBlanks(positive_value);
    labels->resize(table_.row_count());
    for (size_t row = 0; row < table_.row_count(); ++row) {
      const std::string_view cell = Cell(row, column);
      if (IsMissing(cell)) {
        return core::InvalidArgument(LinePrefix(table_.LineOfRow(row)) + "missing label in '" +
                                     table_.header()[column] + "'");
      }
      double value = 0;
      const bool positive = numeric ? ParseCellNumber(cell, &value) && value == positive_number
                                    : TrimBlanks(cell) == positive_text;
      (*labels)[row] = positive ? 1 : 0;
    }
    return core::Status::Ok();
  }

  const CsvTable& table_;
  const CsvOptions& options_;
  std::vector<size_t> source_columns_;  // the header index of each encoded column
};

core::Result<Dataset> LoadTable(core::Result<CsvTable> table, const std::string& label_column,
                                const std::string& positive_value, const CsvOptions& options) {
  if (!table.ok()) return table.status();
  return CsvLoader(table.value(), options).Load(label_column, positive_value);
}

}  // namespace

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool ParseCellNumber(std::string_view text, double* value) {
  text = TrimBlanks(text);
  if (text.starts_with('+')) {
    text.remove_prefix(1);
    if (text.starts_with('-')) return false;
  }
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, *value);
  return error == std::errc() && ptr == end && std::isfinite(*value);
}

std::vector<std::string> Encoding::FeatureNames() const {
  std::vector<std::string> names;
  for (const ColumnEncoding& column : columns) {
    if (column.kind == ColumnKind::kNumeric) {
      names.push_back(column.name);
      continue;
    }
    for (const std::string& category : column.categories) {
      names.push_back(column.name + "=" + category);
    }
    names.push_back(column.name + "=" + kOtherCategory);
  }
  return names;
}

std::span<const float> Dataset::Row(size_t row) const {
  NETFIN_ASSERT(row < row_count);
  NETFIN_ASSERT(values.size() == row_count * FeatureCount());
  return std::span<const float>(values).subspan(row * FeatureCount(), FeatureCount());
}

Dataset Dataset::Select(std::span<const size_t> rows) const {
  Dataset out{.feature_names = feature_names, .row_count = rows.size(), .encoding = encoding};
  out.values.reserve(rows.size() * FeatureCount());
  for (const size_t row : rows) {
    const std::span<const float> source = Row(row);
    out.values.insert(out.values.end(), source.begin(), source.end());
  }
  if (!labels.empty()) out.labels = LabelsOf(rows);
  return out;
}

std::vector<uint8_t> Dataset::LabelsOf(std::span<const size_t> rows) const {
  NETFIN_ASSERT(labels.size() == row_count);
  std::vector<uint8_t> out;
  out.reserve(rows.size());
  for (const size_t row : rows) {
    NETFIN_ASSERT(row < row_count);
    out.push_back(labels[row]);
  }
  return out;
}

core::Status Dataset::Validate() const {
  if (feature_names.empty()) return core::InvalidArgument("the data set has no features");
  std::unordered_set<std::string_view> seen;
  for (const std::string& name : feature_names) {
    if (name.empty()) return core::InvalidArgument("a feature has an empty name");
    if (!seen.insert(name).second) {
      return core::InvalidArgument("duplicate feature name '" + name + "'");
    }
  }
  if (values.size() != row_count * FeatureCount()) {
    return core::InvalidArgument(
        "values hold " + std::to_string(values.size()) +
        " cells, not rows x features = " + std::to_string(row_count * FeatureCount()));
  }
  if (!labels.empty() && labels.size() != row_count) {
    return core::InvalidArgument("labels has " + std::to_string(labels.size()) + " entries for " +
                                 std::to_string(row_count) + " rows");
  }
  if (std::any_of(labels.begin(), labels.end(), [](uint8_t label) { return label > 1; })) {
    return core::InvalidArgument("a label is neither 0 nor 1");
  }
  if (!encoding.columns.empty() && encoding.FeatureNames() != feature_names) {
    return core::InvalidArgument("the encoding's features differ from feature_names");
  }
  return core::Status::Ok();
}

core::Result<Dataset> LoadCsv(const std::string& path, const std::string& label_column,
                              const std::string& positive_value, const CsvOptions& options) {
  core::Result<std::string> text = core::ReadWholeFile(path, kCsvBytesMax);  // errors name the path
  if (!text.ok()) return text.status();
  core::Result<Dataset> data =
      ParseCsv(std::move(text).value(), label_column, positive_value, options);
  if (!data.ok()) return core::Status(data.status().code(), path + ": " + data.status().message());
  return data;
}

core::Result<Dataset> ParseCsv(std::string text, const std::string& label_column,
                               const std::string& positive_value, const CsvOptions& options) {
  if (text.size() > kCsvBytesMax) {
    return core::InvalidArgument("larger than " + std::to_string(kCsvBytesMax) + " bytes");
  }
  return LoadTable(CsvTable::Parse(std::move(text)), label_column, positive_value, options);
}

}  // namespace netfin::ml
