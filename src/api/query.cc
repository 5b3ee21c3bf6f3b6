#include "api/query.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "core/assert.h"
#include "core/limits.h"

namespace netfin::api {
namespace {

enum Param : size_t { kTimestampMin, kTimestampMax, kLimit, kSide, kOrder, kCursor, kParamCount };
constexpr std::string_view kParamNames[kParamCount] = {"timestamp_min", "timestamp_max", "limit",
                                                       "side",          "order",         "cursor"};

// Cursor text: a format version, the direction, the last timestamp in hex.
constexpr char kCursorVersion = '1';
constexpr size_t kCursorChars = 2 + 16;

struct RawParams {
  std::optional<std::string_view> values[kParamCount];
};

bool Invalid(std::string message, ApiError* error) {
  error->code = ErrorCode::kInvalidQuery;
  error->message = std::move(message);
  return false;
}

std::string Quoted(std::string_view text) {
  constexpr size_t kQuotedBytesMax = 64;  // a hostile query does not echo itself whole
  return "\"" + std::string(text.substr(0, kQuotedBytesMax)) + "\"";
}

size_t FindParam(std::string_view name) {
  for (size_t i = 0; i < kParamCount; ++i) {
    if (kParamNames[i] == name) return i;
  }
  return kParamCount;
}

bool StoreParam(std::string_view pair, PageKind kind, RawParams* raw, ApiError* error) {
  const size_t eq = pair.find('=');
  if (eq == std::string_view::npos)
    return Invalid("parameter " + Quoted(pair) + " has no value", error);
  const std::string_view name = pair.substr(0, eq);
  const std::string_view value = pair.substr(eq + 1);
  const size_t i = FindParam(name);
  if (i == kParamCount) return Invalid("unknown parameter " + Quoted(name), error);
  if (i == kSide && kind == PageKind::kBalances) {
    return Invalid("parameter \"side\" applies to transfers only", error);
  }
  if (value.empty()) return Invalid("parameter " + Quoted(name) + " is empty", error);
  if (raw->values[i]) return Invalid("parameter " + Quoted(name) + " is repeated", error);
  raw->values[i] = value;
  return true;
}

bool SplitParams(std::string_view query, PageKind kind, RawParams* raw, ApiError* error) {
  // Each round consumes one pair; more pairs than names means a repeat.
  for (size_t pairs = 0; !query.empty(); ++pairs) {
    if (pairs == kParamCount) return Invalid("too many parameters", error);
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!StoreParam(pair, kind, raw, error)) return false;
  }
  return true;
}

std::optional<uint64_t> ParseU64(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool ReadTimestamps(const RawParams& raw, store::AccountFilter* filter, ApiError* error) {
  for (const Param p : {kTimestampMin, kTimestampMax}) {
    if (!raw.values[p]) continue;
    const std::optional<uint64_t> value = ParseU64(*raw.values[p]);
    if (!value) {
      return Invalid(std::string(kParamNames[p]) + " must be an integer 0..18446744073709551615",
                     error);
    }
    (p == kTimestampMin ? filter->timestamp_min : filter->timestamp_max) = *value;
  }
  if (filter->timestamp_max != 0 && filter->timestamp_min > filter->timestamp_max) {
    return Invalid("timestamp_min is greater than timestamp_max", error);
  }
  return true;
}

bool ReadLimit(const RawParams& raw, store::AccountFilter* filter, ApiError* error) {
  filter->limit = core::kQueryLimitDefault;
  if (!raw.values[kLimit]) return true;
  const std::optional<uint64_t> value = ParseU64(*raw.values[kLimit]);
  if (!value || *value == 0 || *value > core::kQueryLimitMax) {
    return Invalid("limit must be an integer 1.." + std::to_string(core::kQueryLimitMax), error);
  }
  filter->limit = static_cast<uint32_t>(*value);
  return true;
}

bool ReadSide(const RawParams& raw, store::AccountFilter* filter, ApiError* error) {
  filter->debits = true;
  filter->credits = true;
  if (!raw.values[kSide]) return true;
  const std::string_view side = *raw.values[kSide];
  if (side == "debits") {
    filter->credits = false;
  } else if (side == "credits") {
    filter->debits = false;
  } else if (side != "both") {
    return Invalid("side must be debits, credits or both", error);
  }
  return true;
}

bool ReadOrder(const RawParams& raw, store::AccountFilter* filter, ApiError* error) {
  filter->reversed = false;
  if (!raw.values[kOrder]) return true;
  const std::string_view order = *raw.values[kOrder];
  if (order == "desc") {
    filter->reversed = true;
  } else if (order != "asc") {
    return Invalid("order must be asc or desc", error);
  }
  return true;
}

// Narrows the range to what lies after the cursor's item; sets *exhausted
// when nothing can.
void ApplyCursor(const Cursor& cursor, store::AccountFilter* filter, bool* exhausted) {
  if (!cursor.reversed) {
    if (cursor.timestamp_last == UINT64_MAX) {
      *exhausted = true;
      return;
    }
    filter->timestamp_min = std::max(filter->timestamp_min, cursor.timestamp_last + 1);
  } else {
    // timestamp_max == 0 means unbounded, so "before 1" cannot be expressed:
    // there is nothing before it anyway.
    if (cursor.timestamp_last <= 1) {
      *exhausted = true;
      return;
    }
    const uint64_t before = cursor.timestamp_last - 1;
    filter->timestamp_max =
        filter->timestamp_max == 0 ? before : std::min(filter->timestamp_max, before);
  }
  if (filter->timestamp_max != 0 && filter->timestamp_min > filter->timestamp_max) {
    *exhausted = true;
  }
}

bool ReadCursor(const RawParams& raw, PageQuery* page, ApiError* error) {
  if (!raw.values[kCursor]) return true;
  const std::optional<Cursor> cursor = DecodeCursor(*raw.values[kCursor]);
  if (!cursor) return Invalid("cursor is not one this server issued", error);
  if (raw.values[kOrder] && cursor->reversed != page->filter.reversed) {
    return Invalid("cursor belongs to the other order", error);
  }
  page->filter.reversed = cursor->reversed;
  ApplyCursor(*cursor, &page->filter, &page->exhausted);
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool ParsePageQuery(std::string_view query, PageKind kind, PageQuery* page, ApiError* error) {
  *page = PageQuery{};
  RawParams raw;
  if (!SplitParams(query, kind, &raw, error)) return false;
  if (!ReadTimestamps(raw, &page->filter, error)) return false;
  if (!ReadLimit(raw, &page->filter, error)) return false;
  if (!ReadSide(raw, &page->filter, error)) return false;
  if (!ReadOrder(raw, &page->filter, error)) return false;
  if (!ReadCursor(raw, page, error)) return false;
  NETFIN_ASSERT(page->filter.limit >= 1 && page->filter.limit <= core::kQueryLimitMax);
  NETFIN_ASSERT(page->filter.debits || page->filter.credits);
  return true;
}

std::string EncodeCursor(const Cursor& cursor) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(kCursorChars, '0');
  text[0] = kCursorVersion;
  text[1] = cursor.reversed ? 'd' : 'a';
  for (size_t i = 0; i < 16; ++i) {
    text[2 + i] = kHex[(cursor.timestamp_last >> (60 - 4 * i)) & 0xF];
  }
  return text;
}

std::optional<Cursor> DecodeCursor(std::string_view text) {
  if (text.size() != kCursorChars || text[0] != kCursorVersion) return std::nullopt;
  if (text[1] != 'a' && text[1] != 'd') return std::nullopt;
  Cursor cursor;
  cursor.reversed = text[1] == 'd';
  for (size_t i = 2; i < kCursorChars; ++i) {
    const int digit = HexValue(text[i]);
    if (digit < 0) return std::nullopt;
    cursor.timestamp_last = (cursor.timestamp_last << 4) | static_cast<uint64_t>(digit);
  }
  return cursor;
}

std::optional<std::string> NextCursor(const store::AccountFilter& filter, size_t page_size,
                                      uint64_t timestamp_last) {
  NETFIN_ASSERT(page_size <= filter.limit);
  if (page_size < filter.limit) return std::nullopt;
  return EncodeCursor({filter.reversed, timestamp_last});
}

}  // namespace netfin::api
