#pragma once

// Private to the credit service's JSON (credit_render.cc, credit_statement.cc,
// credit_events.cc): the RapidJSON writer's small field helpers, and the one
// way a rate is shown to a borrower. Not installed, not included elsewhere.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/money.h"
#include "credit/civil_date.h"

namespace netfin::credit::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void Key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
inline void Str(Writer& w, std::string_view k, std::string_view v) {
  Key(w, k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
inline void U(Writer& w, std::string_view k, uint64_t v) {
  Key(w, k);
  w.Uint64(v);
}
inline void I(Writer& w, std::string_view k, int64_t v) {
  Key(w, k);
  w.Int64(v);
}
// A date as the API shows it ("2026-03-31").
inline void Date(Writer& w, std::string_view k, CivilDate d) { Str(w, k, d.ToString()); }

// A rate in ppm as percent text to 0.01% ("13.03%"): what the borrower
// reads on an offer, a loan and a statement alike. Rounded half-even, as
// every rounding is (core/money.h).
inline std::string PercentText(int64_t ppm) {
  const uint64_t magnitude = ppm < 0 ? 0 - static_cast<uint64_t>(ppm) : static_cast<uint64_t>(ppm);
  const uint64_t bps = core::DivideRoundHalfEven(magnitude, 100);
  return fmt::format("{}{}.{:02}%", ppm < 0 && bps > 0 ? "-" : "", bps / 100, bps % 100);
}
// A rate as k_ppm (the number) and k_text (PercentText).
inline void Rate(Writer& w, std::string_view k, int64_t ppm) {
  I(w, std::string(k) + "_ppm", ppm);
  Str(w, std::string(k) + "_text", PercentText(ppm));
}

inline std::string Done(const rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace netfin::credit::json
