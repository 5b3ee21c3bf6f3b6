#include "cli/payments_client.h"

#include <fmt/format.h>

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

bool Check(const core::Result<ApiAnswer>& r, unsigned want, const char* what) {
  if (!r.ok()) {
    fmt::print(stderr, "{}: {}\n", what, r.status().ToString());
    return false;
  }
  if (r.value().status != want) {
    fmt::print(stderr, "{}: HTTP {} {}\n", what, r.value().status, r.value().body);
    return false;
  }
  return true;
}

bool OpenParty(PaymentsClient& op, bool customer, size_t i, Party* p) {
  const std::string body = fmt::format(
      R"({{"name":"{} {}","phone":"138{:08}","id_number":"11010119900307{:04}","bank_account":"62220212345{:05}"{}}})",
      customer ? "Customer" : "Merchant", i, 10'000'000 + i, i % 10000, i % 100000,
      customer ? R"(,"tier":3)" : R"(,"fee_bps":60)");
  auto made = op.Post(customer ? "/v1/customers" : "/v1/merchants", body);
  if (!Check(made, 201, customer ? "create customer" : "create merchant")) return false;
  p->id = made.value().Str("id");
  auto key = op.Post("/v1/api-keys", fmt::format(R"({{"role":"{}","party_id":"{}"}})",
                                                  customer ? "customer" : "merchant", p->id));
  if (!Check(key, 201, "create api key")) return false;
  p->key_id = key.value().Str("key_id");
  p->secret = key.value().Str("secret");
  return true;
}

}  // namespace netfin::cli
