#pragma once

// A signed client of the payments API for the CLI's simulation and
// benchmark: every request signed with one API key, every POST with a
// fresh Idempotency-Key (or the one given, for retries). One per thread.

#include <memory>
#include <string>

#include <rapidjson/document.h>

#include "api/auth.h"
#include "api/http_client.h"

namespace netfin::cli {

struct ApiAnswer {
  unsigned status = 0;
  std::string body;
  rapidjson::Document json;  // parsed body (null when not JSON)
  std::string Str(const char* field) const;
  uint64_t U64(const char* field) const;
  std::string ErrorCode() const;  // error.code, or ""
};

class PaymentsClient {
 public:
  PaymentsClient(std::string key_id, std::string secret);
  core::Status Connect(const std::string& host, uint16_t port);
  // Failures of the transport are Status; HTTP errors are answers.
  core::Result<ApiAnswer> Post(const std::string& target, const std::string& body,
                               const std::string& idempotency_key = "");
  core::Result<ApiAnswer> Get(const std::string& target);

 private:
  api::HttpClient http_;
  std::string key_id_;
  uint64_t next_key_ = 0;
  std::string key_prefix_;
};

// A customer or merchant of a simulation, with its own API key.
struct Party {
  std::string id;
  std::string key_id;
  std::string secret;
};

// Whether r answered HTTP `want`; else says why on stderr, naming `what`.
bool Check(const core::Result<ApiAnswer>& r, unsigned want, const char* what);

// Opens customer (or merchant) number i through the operator's client, with
// an API key of its own. Customers are tier III, so a demonstration is not
// held up by the allowance; merchants pay a 0.60% fee.
bool OpenParty(PaymentsClient& op, bool customer, size_t i, Party* p);

}  // namespace netfin::cli
