#include "ml/csv_reader.h"

#include <string>
#include <utility>

namespace netfin::ml {

// Walks the text one record at a time. Holds views into the text and appends
// unescaped fields to the table's storage.
class CsvTable::Parser {
 public:
  Parser(std::string_view text, std::deque<std::string>* unescaped)
      : text_(text), unescaped_(unescaped) {}

  // Reads the next record into *fields and its first line into *line.
  // Returns false at the end of the text.
  core::Result<bool> Next(std::vector<std::string_view>* fields, size_t* line) {
    SkipBlankLines();
    if (pos_ == text_.size()) return false;
    *line = line_;
    fields->clear();
    while (true) {
      if (fields->size() == kCsvColumnsMax) {
        return core::InvalidArgument(LinePrefix(*line) + "more than " +
                                     std::to_string(kCsvColumnsMax) + " fields");
      }
      std::string_view field;
      NETFIN_RETURN_IF_ERROR(ReadField(*line, &field));
      fields->push_back(field);
      if (!AtChar(',')) break;
      ++pos_;
    }
    EndRecord();
    return true;
  }

 private:
  static std::string LinePrefix(size_t line) { return "line " + std::to_string(line) + ": "; }

  bool AtChar(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool AtLineEnd() const {
    return pos_ == text_.size() || text_[pos_] == '\n' ||
           (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n');
  }

  void SkipBlankLines() {
    while (pos_ < text_.size() && AtLineEnd()) EndRecord();
  }

  // Consumes the line end after a record (nothing at the end of the text).
  void EndRecord() {
    if (AtChar('\r')) ++pos_;
    if (AtChar('\n')) {
      ++pos_;
      ++line_;
    }
  }

  core::Status ReadField(size_t record_line, std::string_view* field) {
    if (AtChar('"')) return ReadQuotedField(record_line, field);
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') ++pos_;
    size_t end = pos_;
    if (end > start && text_[end - 1] == '\r' && AtChar('\n')) --end;  // CRLF
    *field = text_.substr(start, end - start);
    return core::Status::Ok();
  }

  core::Status ReadQuotedField(size_t record_line, std::string_view* field) {
    ++pos_;  // the opening quote
    const size_t start = pos_;
    bool escaped = false;
    while (true) {
      const size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        return core::InvalidArgument(LinePrefix(record_line) + "unterminated quoted field");
      }
      CountLines(pos_, quote);
      pos_ = quote + 1;
      if (!AtChar('"')) break;  // the closing quote
      escaped = true;
      ++pos_;
    }
    if (!AtChar(',') && !AtLineEnd()) {
      return core::InvalidArgument(LinePrefix(line_) +
                                   "unexpected character after a closing quote");
    }
    const std::string_view raw = text_.substr(start, pos_ - 1 - start);
    *field = escaped ? Unescape(raw) : raw;
    return core::Status::Ok();
  }

  void CountLines(size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) line_ += text_[i] == '\n' ? 1 : 0;
  }

  // Replaces each "" by " and keeps the result in the table's storage.
  std::string_view Unescape(std::string_view raw) {
    std::string& out = unescaped_->emplace_back();
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      out.push_back(raw[i]);
      if (raw[i] == '"') ++i;  // skip the second quote of the pair
    }
    return out;
  }

  std::string_view text_;
  std::deque<std::string>* unescaped_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

core::Result<CsvTable> CsvTable::Parse(std::string text) {
  NETFIN_ASSERT(text.size() <= kCsvBytesMax);
  CsvTable table;
  table.storage_ = std::make_unique<Storage>();
  table.storage_->text = std::move(text);
  std::string_view view = table.storage_->text;
  if (view.starts_with("\xEF\xBB\xBF")) view.remove_prefix(3);  // UTF-8 byte order mark
  Parser parser(view, &table.storage_->unescaped);
  std::vector<std::string_view> fields;
  size_t line = 0;
  core::Result<bool> more = parser.Next(&fields, &line);
  if (!more.ok()) return more.status();
  if (!more.value()) return core::InvalidArgument("empty file: no header row");
  table.header_.assign(fields.begin(), fields.end());
  table.header_line_ = line;
  while (true) {
    more = parser.Next(&fields, &line);
    if (!more.ok()) return more.status();
    if (!more.value()) break;
    if (fields.size() != table.header_.size()) {
      return core::InvalidArgument("line " + std::to_string(line) + ": " +
                                   std::to_string(fields.size()) + " fields, but the header has " +
                                   std::to_string(table.header_.size()));
    }
    table.cells_.insert(table.cells_.end(), fields.begin(), fields.end());
    table.line_of_row_.push_back(line);
  }
  return table;
}

std::span<const std::string_view> CsvTable::Row(size_t row) const {
  NETFIN_ASSERT(row < row_count());
  return std::span<const std::string_view>(cells_).subspan(row * column_count(), column_count());
}

size_t CsvTable::LineOfRow(size_t row) const {
  NETFIN_ASSERT(row < row_count());
  return line_of_row_[row];
}

}  // namespace netfin::ml
