#pragma once

// Status and Result<T>: how operating failures (I/O, database, network,
// malformed input at an edge) travel. Expected domain outcomes such as
// "exceeds_credits" are not failures: they are result codes of the ledger.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace netfin::core {

// The stable, machine-readable error codes of netfin. Each maps to one
// snake_case name (StatusCodeName) that clients may match on.
// DO NOT RENUMBER: the numbers are persisted in logs and metrics.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // a request or command is malformed
  kNotFound = 2,
  kAlreadyExists = 3,
  kFailedPrecondition = 4,
  kOutOfRange = 5,
  kIoError = 6,          // the disk or the database failed
  kCorruption = 7,       // stored data fails a checksum or an invariant
  kUnavailable = 8,      // the service is shutting down or has failed
  kInternal = 9,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    NETFIN_ASSERT(code != StatusCode::kOk);
  }

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    NETFIN_ASSERT(!std::get<Status>(value_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(value_);
  }
  T& value() & {
    NETFIN_ASSERT(ok());
    return std::get<T>(value_);
  }
  const T& value() const& {
    NETFIN_ASSERT(ok());
    return std::get<T>(value_);
  }
  T&& value() && {
    NETFIN_ASSERT(ok());
    return std::get<T>(std::move(value_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace netfin::core

// Returns early from the enclosing function with a failed Status.
#define NETFIN_RETURN_IF_ERROR(expr)               \
  do {                                             \
    ::netfin::core::Status status_ = (expr);       \
    if (!status_.ok()) return status_;             \
  } while (false)
