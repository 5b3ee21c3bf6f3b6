#include "cli/payments_client.h"

#include "core/crypto.h"

namespace netfin::cli {

std::string ApiAnswer::Str(const char* field) const {
  if (!json.IsObject() || !json.HasMember(field) || !json[field].IsString()) return "";
  return json[field].GetString();
}

uint64_t ApiAnswer::U64(const char* field) const {
  if (!json.IsObject() || !json.HasMember(field) || !json[field].IsUint64()) return 0;
  return json[field].GetUint64();
}

std::string ApiAnswer::ErrorCode() const {
  if (!json.IsObject() || !json.HasMember("error") || !json["error"].IsObject()) return "";
  const auto& e = json["error"];
  return e.HasMember("code") && e["code"].IsString() ? e["code"].GetString() : "";
}

PaymentsClient::PaymentsClient(std::string key_id, std::string secret)
    : key_id_(key_id), key_prefix_(core::RandomHex(8)) {
  http_.SetSigner(std::make_shared<api::RequestSigner>(std::move(key_id), std::move(secret)));
}

core::Status PaymentsClient::Connect(const std::string& host, uint16_t port) {
  return http_.Connect(host, port);
}

namespace {
core::Result<ApiAnswer> Answer(core::Result<api::ClientResponse> r) {
  if (!r.ok()) return r.status();
  ApiAnswer a;
  a.status = r.value().status;
  a.body = std::move(r.value().body);
  a.json.Parse(a.body.data(), a.body.size());
  if (a.json.HasParseError()) a.json.SetNull();
  return a;
}
}  // namespace

core::Result<ApiAnswer> PaymentsClient::Post(const std::string& target, const std::string& body,
                                             const std::string& idempotency_key) {
  const std::string key =
      idempotency_key.empty() ? key_prefix_ + "-" + std::to_string(++next_key_) : idempotency_key;
  return Answer(http_.Request("POST", target, body, "application/json", {{"Idempotency-Key", key}}));
}

core::Result<ApiAnswer> PaymentsClient::Get(const std::string& target) {
  return Answer(http_.Request("GET", target));
}

}  // namespace netfin::cli
