#pragma once

// A CSV reader for data sets: RFC 4180 records (comma separated, fields
// optionally in double quotes, "" for a quote inside quotes, line breaks
// inside quotes allowed), LF or CRLF line ends, an optional UTF-8 byte order
// mark, and blank lines skipped. The first record is the header. Every
// record must have as many fields as the header.
//
// The whole file is read into memory (data sets here are megabytes); fields
// are views into that buffer, or into an owned copy when a field had to be
// unescaped. Errors name the 1-based line where the offending record starts.

#include <cstddef>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/files.h"
#include "core/status.h"

namespace netfin::ml {

// A data file larger than this is refused rather than read into memory:
// netfin's data sets are a few megabytes, and a model is trained in one process.
inline constexpr size_t kCsvBytesMax = size_t{1} << 30;
// More columns than this is not a table netfin trains on; it bounds the
// per-record work and the width of the feature matrix.
inline constexpr size_t kCsvColumnsMax = 4096;

// A parsed CSV file. Move-only: the cells are views into storage_, which
// lives on the heap so that a move (even of a short, SSO-held text) keeps
// every view valid.
class CsvTable {
 public:
  CsvTable() = default;
  CsvTable(CsvTable&&) = default;
  CsvTable& operator=(CsvTable&&) = default;
  CsvTable(const CsvTable&) = delete;
  CsvTable& operator=(const CsvTable&) = delete;

  // Parses text (the whole file; read it with core::ReadWholeFile(path,
  // kCsvBytesMax), model_files.h). REQUIRES: text.size() <= kCsvBytesMax.
  static core::Result<CsvTable> Parse(std::string text);

  const std::vector<std::string>& header() const { return header_; }
  size_t column_count() const { return header_.size(); }
  size_t row_count() const { return line_of_row_.size(); }
  // The data row's fields, in header order. REQUIRES: row < row_count().
  std::span<const std::string_view> Row(size_t row) const;
  // The 1-based line where the data row starts.
  size_t LineOfRow(size_t row) const;
  // The 1-based line of the header (after any blank lines).
  size_t header_line() const { return header_line_; }

 private:
  class Parser;
  struct Storage {
    std::string text;
    std::deque<std::string> unescaped;  // fields that contained "" escapes
  };

  std::unique_ptr<Storage> storage_;
  std::vector<std::string> header_;
  size_t header_line_ = 0;
  std::vector<std::string_view> cells_;  // row-major, row_count() x column_count()
  std::vector<size_t> line_of_row_;
};

}  // namespace netfin::ml
