#pragma once

// The strict JSON body reader and the page query of the role routes
// (router_payments.cc, router_credit.cc): one reader, so that every role's
// POST refuses malformed JSON, unknown, repeated and mistyped fields alike.
// Private to src/api.

#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "api/errors.h"
#include "core/id.h"
#include "core/limits.h"
#include "core/money.h"
#include "payments/payments_service.h"

namespace netfin::api {

// A request body read strictly: a JSON object whose fields are taken one
// by one; a field never taken is an unknown field.
class Body {
 public:
  explicit Body(const std::string& text) {
    doc_.Parse(text.data(), text.size());
    if (doc_.HasParseError()) {
      error_ = {ErrorCode::kMalformedJson, "the body is not one JSON document"};
    } else if (!doc_.IsObject()) {
      error_ = {ErrorCode::kInvalidType, "the body must be a JSON object"};
    } else {
      std::set<std::string_view> seen;
      for (auto it = doc_.MemberBegin(); it != doc_.MemberEnd(); ++it) {
        const std::string_view name(it->name.GetString(), it->name.GetStringLength());
        if (!seen.insert(name).second) Fail(ErrorCode::kDuplicateField, name, "appears twice");
      }
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
      for (auto it = doc_.MemberBegin(); it != doc_.MemberEnd(); ++it) {
        const std::string_view name(it->name.GetString(), it->name.GetStringLength());
        if (!taken_.contains(name)) {
          Fail(ErrorCode::kUnknownField, name, "is not a field of this request");
          break;
        }
      }
    }
    if (error_) *error = *error_;
    return !error_ && invalid_field_.empty();
  }

 private:
  const rapidjson::Value* Take(std::string_view name, bool required) {
    if (error_ || !doc_.IsObject()) return nullptr;
    taken_.insert(name);
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

  rapidjson::Document doc_;
  std::optional<ApiError> error_;
  std::string_view invalid_field_;
  std::set<std::string_view> taken_;
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
