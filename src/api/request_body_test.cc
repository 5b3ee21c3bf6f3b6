#include "api/request_body.h"

#include <gtest/gtest.h>

#include <string>

namespace netfin::api {
namespace {

// {"f0":0,"f1":1,...} with n members, then `extra` (",\"f3\":9" or "").
std::string ObjectOf(size_t n, const std::string& extra = "") {
  std::string text = "{";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) text += ',';
    text += "\"f" + std::to_string(i) + "\":" + std::to_string(i);
  }
  return text + extra + "}";
}

ApiError FinishOf(Body& body) {
  ApiError error;
  EXPECT_FALSE(body.Finish(&error));
  return error;
}

TEST(RequestBody, TakenFieldsAreReadAndNothingElseIsLeft) {
  Body body(R"({"amount":5,"currency":"CNY","id":"7"})");
  EXPECT_EQ(body.Amount("amount", true), 5u);
  EXPECT_EQ(body.Str("currency", true, 8), "CNY");
  EXPECT_EQ(body.Id("id", true), core::Id128::FromU64(7));
  EXPECT_FALSE(body.Uint("absent", 10).has_value());  // taken, though absent
  ApiError error;
  EXPECT_TRUE(body.Finish(&error)) << error.message;
}

// The parsed values live in a 4 KiB buffer of the Body first; more spill
// into allocated chunks and read the same.
TEST(RequestBody, ABodyLargerThanItsBufferReadsTheSame) {
  const std::string long_text(20'000, 'x');
  Body body(ObjectOf(2'000, ",\"text\":\"" + long_text + "\""));
  EXPECT_EQ(body.Uint("f0", 10'000), 0u);
  EXPECT_EQ(body.Uint("f1999", 10'000), 1'999u);
  EXPECT_EQ(body.Str("text", true, 20'000), long_text);
}

TEST(RequestBody, AFieldNotTakenIsUnknown) {
  Body body(R"({"amount":5,"x":1})");
  body.Amount("amount", true);
  const ApiError error = FinishOf(body);
  EXPECT_EQ(error.code, ErrorCode::kUnknownField);
  EXPECT_EQ(error.message, "x: is not a field of this request");
}

// Small objects are compared pairwise, large ones through a set: both find
// the first repeated name, and a repeat is told before an unknown field.
TEST(RequestBody, ARepeatedFieldIsToldFirstInObjectsOfEverySize) {
  // n members and two repeats: pairwise up to kFieldsTakenMax members in all.
  for (size_t n : {size_t{2}, Body::kFieldsTakenMax - 2, Body::kFieldsTakenMax - 1,
                   size_t{100}}) {
    SCOPED_TRACE(n);
    Body body(ObjectOf(n, ",\"f1\":9,\"f0\":9"));
    body.Uint("f0", 1'000);
    const ApiError error = FinishOf(body);
    EXPECT_EQ(error.code, ErrorCode::kDuplicateField);
    EXPECT_EQ(error.message, "f1: appears twice");
  }
  for (size_t n : {Body::kFieldsTakenMax, Body::kFieldsTakenMax + 1}) {
    SCOPED_TRACE(n);
    Body body(ObjectOf(n));
    body.Uint("f0", 1'000);
    const ApiError error = FinishOf(body);
    EXPECT_EQ(error.code, ErrorCode::kUnknownField);
    EXPECT_EQ(error.message, "f1: is not a field of this request");
  }
}

TEST(RequestBody, TheRolesRefusalOfAFieldComesAfterTheApisErrors) {
  Body refused(R"({"code":7})");
  refused.Raw("code");
  refused.Invalid("code: six digits");
  ApiError error;
  EXPECT_FALSE(refused.Finish(&error));
  EXPECT_EQ(refused.invalid_field(), "code: six digits");

  Body unknown(R"({"code":7,"x":1})");
  unknown.Raw("code");
  unknown.Invalid("code: six digits");
  EXPECT_EQ(FinishOf(unknown).code, ErrorCode::kUnknownField);
  EXPECT_TRUE(unknown.invalid_field().empty());
}

TEST(RequestBody, MalformedAndNonObjectBodiesAreRefused) {
  Body malformed("{");
  EXPECT_EQ(FinishOf(malformed).code, ErrorCode::kMalformedJson);
  Body array("[]");
  EXPECT_EQ(FinishOf(array).code, ErrorCode::kInvalidType);
}

}  // namespace
}  // namespace netfin::api
