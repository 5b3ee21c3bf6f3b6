#pragma once

// The query string of the paginated routes (an account's transfers and
// balances) and their cursors.
//
//   timestamp_min, timestamp_max  inclusive bounds, ns since epoch (0 or absent: unbounded)
//   limit                          1..kQueryLimitMax (default kQueryLimitDefault)
//   side                           debits | credits | both (transfers only; default both)
//   order                          asc | desc (default asc)
//   cursor                         next_cursor of the previous page
//
// A cursor is opaque to clients. It holds the direction and the timestamp of
// the last item of the page it ended, so the next page starts strictly after
// (asc) or before (desc) it; timestamps are unique, so paging returns every
// item exactly once. A client repeats the other parameters with the cursor.
// Unknown, repeated, empty or malformed parameters are invalid_query; values
// are not percent-decoded (none of them needs it).
//
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"
#include "store/store.h"

namespace netfin::api {

enum class PageKind { kTransfers, kBalances };

struct PageQuery {
  store::AccountFilter filter;  // account_id left for the caller
  // The cursor already lies past the end of the range: the page is empty
  // without asking the store.
  bool exhausted = false;
};

// Parses `query` (the part of the target after '?', possibly empty).
bool ParsePageQuery(std::string_view query, PageKind kind, PageQuery* page, ApiError* error);

struct Cursor {
  bool reversed = false;
  uint64_t timestamp_last = 0;
};

std::string EncodeCursor(const Cursor& cursor);
std::optional<Cursor> DecodeCursor(std::string_view text);

// The cursor for the page after one that ended with timestamp_last, or none
// when the page was not full (it was the last).
std::optional<std::string> NextCursor(const store::AccountFilter& filter, size_t page_size,
                                      uint64_t timestamp_last);

}  // namespace netfin::api
