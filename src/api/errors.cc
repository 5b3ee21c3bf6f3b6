#include "api/errors.h"

namespace netfin::api {

// Every switch here lists each value and has no default: a new code fails the
// build (-Werror=switch) until it has a name, a status and documentation.

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformedJson:
      return "malformed_json";
    case ErrorCode::kInvalidType:
      return "invalid_type";
    case ErrorCode::kUnknownField:
      return "unknown_field";
    case ErrorCode::kDuplicateField:
      return "duplicate_field";
    case ErrorCode::kUnknownFlag:
      return "unknown_flag";
    case ErrorCode::kInvalidId:
      return "invalid_id";
    case ErrorCode::kInvalidAmount:
      return "invalid_amount";
    case ErrorCode::kOutOfRange:
      return "out_of_range";
    case ErrorCode::kMissingField:
      return "missing_field";
    case ErrorCode::kEmptyBatch:
      return "empty_batch";
    case ErrorCode::kTooManyEvents:
      return "too_many_events";
    case ErrorCode::kInvalidQuery:
      return "invalid_query";
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kMalformedRequest:
      return "malformed_request";
    case ErrorCode::kAccountHasNoHistory:
      return "account_has_no_history";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kRouteNotFound:
      return "route_not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kBodyTooLarge:
      return "body_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kHeaderTooLarge:
      return "header_too_large";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kServiceUnavailable:
      return "service_unavailable";
  }
  return "internal";  // unreachable: the switch is exhaustive
}

unsigned HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformedJson:
    case ErrorCode::kInvalidType:
    case ErrorCode::kUnknownField:
    case ErrorCode::kDuplicateField:
    case ErrorCode::kUnknownFlag:
    case ErrorCode::kInvalidId:
    case ErrorCode::kInvalidAmount:
    case ErrorCode::kOutOfRange:
    case ErrorCode::kMissingField:
    case ErrorCode::kEmptyBatch:
    case ErrorCode::kTooManyEvents:
    case ErrorCode::kInvalidQuery:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformedRequest:
    case ErrorCode::kAccountHasNoHistory:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
    case ErrorCode::kRouteNotFound:
      return 404;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kBodyTooLarge:
      return 413;
    case ErrorCode::kUnsupportedMediaType:
      return 415;
    case ErrorCode::kHeaderTooLarge:
      return 431;
    case ErrorCode::kInternal:
      return 500;
    case ErrorCode::kServiceUnavailable:
      return 503;
  }
  return 500;  // unreachable: the switch is exhaustive
}

ErrorCode ErrorCodeFromStatus(core::StatusCode code) {
  switch (code) {
    case core::StatusCode::kOk:
      return ErrorCode::kInternal;  // a bug: ok is no failure
    case core::StatusCode::kInvalidArgument:
      return ErrorCode::kInvalidArgument;
    case core::StatusCode::kNotFound:
      return ErrorCode::kNotFound;
    case core::StatusCode::kAlreadyExists:
      return ErrorCode::kConflict;
    case core::StatusCode::kFailedPrecondition:
      return ErrorCode::kConflict;
    case core::StatusCode::kOutOfRange:
      return ErrorCode::kOutOfRange;
    case core::StatusCode::kIoError:
      return ErrorCode::kInternal;
    case core::StatusCode::kCorruption:
      return ErrorCode::kInternal;
    case core::StatusCode::kUnavailable:
      return ErrorCode::kServiceUnavailable;
    case core::StatusCode::kInternal:
      return ErrorCode::kInternal;
  }
  return ErrorCode::kInternal;  // unreachable: the switch is exhaustive
}

}  // namespace netfin::api
