#include "api/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace netfin::api {
namespace {

TEST(Errors, EveryCodeHasAUniqueSnakeCaseNameAndAnErrorStatus) {
  std::set<std::string> names;
  for (const ErrorCode code : kErrorCodesAll) {
    const std::string name(ErrorCodeName(code));
    EXPECT_TRUE(names.insert(name).second) << name;
    for (const char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    EXPECT_GE(HttpStatusOf(code), 400u) << name;
    EXPECT_LE(HttpStatusOf(code), 599u) << name;
  }
  EXPECT_EQ(names.size(), std::size(kErrorCodesAll));
}

TEST(Errors, StatusesFollowTheDocumentedTable) {
  EXPECT_EQ(HttpStatusOf(ErrorCode::kMalformedJson), 400u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kNotFound), 404u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kRouteNotFound), 404u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kMethodNotAllowed), 405u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kBodyTooLarge), 413u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kUnsupportedMediaType), 415u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kHeaderTooLarge), 431u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kInternal), 500u);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kServiceUnavailable), 503u);
}

TEST(Errors, OperatingFailuresMapToClientCodes) {
  using core::StatusCode;
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kOk), ErrorCode::kInternal);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kInvalidArgument), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kNotFound), ErrorCode::kNotFound);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kAlreadyExists), ErrorCode::kConflict);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kFailedPrecondition), ErrorCode::kConflict);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kOutOfRange), ErrorCode::kOutOfRange);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kIoError), ErrorCode::kInternal);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kCorruption), ErrorCode::kInternal);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kUnavailable), ErrorCode::kServiceUnavailable);
  EXPECT_EQ(ErrorCodeFromStatus(StatusCode::kInternal), ErrorCode::kInternal);
}

}  // namespace
}  // namespace netfin::api
