#pragma once

// The strict JSON body reader and the page query of the role routes
// (router_payments.cc, router_credit.cc): one reader, so that every role's
// POST refuses malformed JSON, unknown, repeated and mistyped fields alike.
// Private to src/api.

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "api/errors.h"
#include "core/assert.h"
#include "core/id.h"
#include "core/limits.h"
#include "core/money.h"
#include "payments/payments_service.h"

namespace netfin::api {

// A request body read strictly: a JSON object whose fields are taken one
// by one; a field never taken is an unknown field. A body of the routes'
// size is read without allocating beyond the parse and the values taken
// (the payments routes are the hot path).
class Body {
 public:
  // The most fields one route takes (a bug when exceeded: route code, not
  // input, decides it); the largest takes 7.
  static constexpr size_t kFieldsTakenMax = 16;

  // Not copied or moved: doc_ points into this object's pool_buffer_.
  Body(const Body&) = delete;
  Body& operator=(const Body&) = delete;

  explicit Body(const std::string& text) {
    doc_.Parse(text.data(), text.size());
    if (doc_.HasParseError()) {
      error_ = {ErrorCode::kMalformedJson, "the body is not one JSON document"};
    } else if (!doc_.IsObject()) {
      error_ = {ErrorCode::kInvalidType, "the body must be a JSON object"};
    } else if (const std::optional<std::string_view> name = RepeatedName()) {
      Fail(ErrorCode::kDuplicateField, *name, "appears twice");
    }
  }

  std::string Str(std::string_view name, bool required, size_t bytes_max = 512) {
    const rapidjson::Value* v = Take(name, required);
    if (v == nullptr) return "";
    if (!v->IsString()) return Fail(ErrorCode::kInvalidType, name, "must be a string"), "";
    if (v->GetStringLength() > bytes_max) {
      return Fail(ErrorCode::kOutOfRange, name, fmt::format("at most {} bytes", bytes_max)), "";
    }
    return std::string(v->GetString(), v->GetStringLength());
  }
  core::AmountMinor Amount(std::string_view name, bool required, bool* present = nullptr) {
    const rapidjson::Value* v = Take(name, required);
    if (present != nullptr) *present = v != nullptr;
    if (v == nullptr) return 0;
    if (!v->IsUint64() || v->GetUint64() > core::kAmountMax) {
      return Fail(ErrorCode::kInvalidAmount, name, "an integer of minor units, 0..9223372036854775807"), 0;
    }
    return v->GetUint64();
  }
  std::optional<uint64_t> Uint(std::string_view name, uint64_t max) {
    const rapidjson::Value* v = Take(name, false);
    if (v == nullptr) return std::nullopt;
    if (!v->IsUint64() || v->GetUint64() > max) {
      return Fail(ErrorCode::kOutOfRange, name, fmt::format("an integer 0..{}", max)), std::nullopt;
    }
    return v->GetUint64();
  }
  bool Bool(std::string_view name) {
    const rapidjson::Value* v = Take(name, false);
    if (v == nullptr) return false;
    if (!v->IsBool()) return Fail(ErrorCode::kInvalidType, name, "must be true or false"), false;
    return v->GetBool();
  }
  core::Id128 Id(std::string_view name, bool required) {
    const rapidjson::Value* v = Take(name, required);
    if (v == nullptr) return {};
    if (!v->IsString()) return Fail(ErrorCode::kInvalidType, name, "an id as a decimal string"), core::Id128{};
    auto id = core::Id128::ParseDecimal({v->GetString(), v->GetStringLength()});
    if (!id || id->IsZero()) return Fail(ErrorCode::kInvalidId, name, "a non-zero decimal id"), core::Id128{};
    return *id;
  }
  // A field whose rules are the role's (client, code, label): its value as
  // it is (nullptr when absent or null). The caller checks it and calls
  // Invalid(why) when it is malformed.
  const rapidjson::Value* Raw(std::string_view name) { return Take(name, false); }
  // Refuses a Raw field as the role would refuse it (400 invalid_field)
  // rather than with the API's code. REQUIRES: why outlives the body (a
  // literal).
  void Invalid(std::string_view why) {
    if (invalid_field_.empty()) invalid_field_ = why;
  }
  // The role's refusal of a field, when the body is otherwise well formed:
  // the API's errors (malformed JSON, unknown field) come first.
  std::string_view invalid_field() const { return error_ ? std::string_view() : invalid_field_; }
  // Whether every field was taken and well formed; else *error says why, or
  // invalid_field() does.
  bool Finish(ApiError* error) {
    if (!error_ && doc_.IsObject()) {
      const auto taken_end = taken_.begin() + taken_count_;
      for (auto it = doc_.MemberBegin(); it != doc_.MemberEnd(); ++it) {
        const std::string_view name = NameOf(*it);
        if (std::find(taken_.begin(), taken_end, name) == taken_end) {
          Fail(ErrorCode::kUnknownField, name, "is not a field of this request");
          break;
        }
      }
    }
    if (error_) *error = *error_;
    return !error_ && invalid_field_.empty();
  }

 private:
  static std::string_view NameOf(const rapidjson::Value::Member& member) {
    return {member.name.GetString(), member.name.GetStringLength()};
  }
  // The first name that appears a second time, in document order. An object
  // of the routes' size is compared pairwise, without allocating; a larger
  // one (bound only by the body limit) through a set.
  std::optional<std::string_view> RepeatedName() const {
    const auto begin = doc_.MemberBegin(), end = doc_.MemberEnd();
    if (doc_.MemberCount() <= kFieldsTakenMax) {
      for (auto it = begin; it != end; ++it) {
        for (auto seen = begin; seen != it; ++seen) {
          if (NameOf(*seen) == NameOf(*it)) return NameOf(*it);
        }
      }
      return std::nullopt;
    }
    std::set<std::string_view> seen;
    for (auto it = begin; it != end; ++it) {
      if (!seen.insert(NameOf(*it)).second) return NameOf(*it);
    }
    return std::nullopt;
  }
  const rapidjson::Value* Take(std::string_view name, bool required) {
    if (error_ || !doc_.IsObject()) return nullptr;
    NETFIN_ASSERT(taken_count_ < taken_.size());  // see kFieldsTakenMax
    taken_[taken_count_++] = name;
    auto it = doc_.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (it == doc_.MemberEnd() || it->value.IsNull()) {
      if (required) Fail(ErrorCode::kMissingField, name, "is required");
      return nullptr;
    }
    return &it->value;
  }
  void Fail(ErrorCode code, std::string_view name, std::string_view why) {
    if (!error_) error_ = ApiError{code, fmt::format("{}: {}", name, why)};
  }

  // The parsed values live in this buffer first: a request body is small,
  // and the pool's default first chunk is a 64 KiB allocation per request.
  // A body with more values spills into allocated chunks.
  char pool_buffer_[4096];
  rapidjson::MemoryPoolAllocator<> pool_{pool_buffer_, sizeof pool_buffer_};
  rapidjson::Document doc_{&pool_};
  std::optional<ApiError> error_;
  std::string_view invalid_field_;
  // The names taken so far: every name a route asks for, present or not.
  std::array<std::string_view, kFieldsTakenMax> taken_;
  size_t taken_count_ = 0;
};

// Takes the first "name=value" pair off *query ("a=1&b=2" leaves "b=2");
// a pair without '=' has an empty value. REQUIRES: !query->empty().
inline void TakeQueryPair(std::string_view* query, std::string_view* name, std::string_view* value) {
  const size_t amp = query->find('&');
  const std::string_view pair = query->substr(0, amp);
  *query = amp == std::string_view::npos ? std::string_view() : query->substr(amp + 1);
  const size_t eq = pair.find('=');
  *name = pair.substr(0, eq);
  *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
}

// "limit=10&after=123": the page of a list. False with *error on anything else.
inline bool ParsePage(std::string_view query, payments::PageInput* page, ApiError* error) {
  std::set<std::string_view> seen;
  while (!query.empty()) {
    std::string_view name, value;
    TakeQueryPair(&query, &name, &value);
    if (!seen.insert(name).second) {
      *error = {ErrorCode::kInvalidQuery, fmt::format("{} given twice", name)};
      return false;
    }
    if (name == "limit") {
      uint32_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit == 0 ||
          limit > core::kQueryLimitMax) {
        *error = {ErrorCode::kInvalidQuery, "limit: 1..8190"};
        return false;
      }
      page->limit = limit;
    } else if (name == "after") {
      auto id = core::Id128::ParseDecimal(value);
      if (!id) {
        *error = {ErrorCode::kInvalidQuery, "after: a cursor from next_cursor"};
        return false;
      }
      page->after = *id;
    } else {
      *error = {ErrorCode::kInvalidQuery, fmt::format("unknown query parameter {}", name)};
      return false;
    }
  }
  return true;
}

}  // namespace netfin::api
