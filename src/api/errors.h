#pragma once

// The API's error codes: one stable, machine-readable code per way a request
// can fail, each with one HTTP status. Every failure answers with the same
// shape, {"error": {"code": "...", "message": "..."}}. docs/openapi.yaml lists
// the codes; clients match on the code, never on the message.

#include <string>
#include <string_view>

#include "core/status.h"

namespace netfin::api {

// The order is the documentation's; the names are the contract.
enum class ErrorCode {
  kMalformedJson,         // 400: the body is not one JSON document
  kInvalidType,           // 400: a value has the wrong JSON type
  kUnknownField,          // 400: a field the object does not have
  kDuplicateField,        // 400: the same field twice in one object
  kUnknownFlag,           // 400: a flag name the object does not have
  kInvalidId,             // 400: a 128-bit value that is malformed or out of range
  kInvalidAmount,         // 400: an amount or balance that is negative, fractional or too large
  kOutOfRange,            // 400: an integer field outside its width (ledger, code, timeout, ...)
  kMissingField,          // 400: a required field is absent
  kEmptyBatch,            // 400: an array of no events
  kTooManyEvents,         // 400: more than kBatchEventsMax events
  kInvalidQuery,          // 400: a query parameter that is unknown, repeated or malformed
  kInvalidArgument,       // 400: the ledger refused the request as malformed
  kMalformedRequest,      // 400: not a well-formed HTTP/1.1 request
  kAccountHasNoHistory,   // 400: balances of an account without the `history` flag
  kUnauthenticated,       // 401: a missing, malformed or wrong signature, or a replay
  kForbidden,             // 403: the key's role may not use this route or resource
  kNotFound,              // 404: the resource does not exist
  kRouteNotFound,         // 404: no route has this path
  kMethodNotAllowed,      // 405: the path exists with other methods (see Allow)
  kConflict,              // 409: the state does not allow the request
  kBodyTooLarge,          // 413: more than kRequestBodyBytesMax bytes of body
  kUnsupportedMediaType,  // 415: a POST body that is not application/json
  kHeaderTooLarge,        // 431: more than kHttpHeaderBytesMax bytes of header
  kInternal,              // 500: a bug or an unexpected failure
  kServiceUnavailable,    // 503: the ledger's queue is full or the ledger has failed
};

inline constexpr ErrorCode kErrorCodesAll[] = {
    ErrorCode::kMalformedJson,   ErrorCode::kInvalidType,      ErrorCode::kUnknownField,
    ErrorCode::kDuplicateField,  ErrorCode::kUnknownFlag,      ErrorCode::kInvalidId,
    ErrorCode::kInvalidAmount,   ErrorCode::kOutOfRange,       ErrorCode::kMissingField,
    ErrorCode::kEmptyBatch,      ErrorCode::kTooManyEvents,    ErrorCode::kInvalidQuery,
    ErrorCode::kInvalidArgument, ErrorCode::kMalformedRequest, ErrorCode::kAccountHasNoHistory,
    ErrorCode::kUnauthenticated, ErrorCode::kForbidden,
    ErrorCode::kNotFound,        ErrorCode::kRouteNotFound,    ErrorCode::kMethodNotAllowed,
    ErrorCode::kConflict,        ErrorCode::kBodyTooLarge,     ErrorCode::kUnsupportedMediaType,
    ErrorCode::kHeaderTooLarge,  ErrorCode::kInternal,         ErrorCode::kServiceUnavailable,
};

// The snake_case name clients match on ("malformed_json").
std::string_view ErrorCodeName(ErrorCode code);
// The HTTP status that carries the code.
unsigned HttpStatusOf(ErrorCode code);
// How an operating failure of the ledger or the store reaches a client.
ErrorCode ErrorCodeFromStatus(core::StatusCode code);

// One failure of one request: a code and a message for people. Messages name
// the field and, in a batch, the index of the event.
struct ApiError {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

}  // namespace netfin::api
