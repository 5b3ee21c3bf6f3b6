// The payments routes: strict JSON bodies in, payments::PaymentsService
// calls, its Reply out. The role decides everything about money and who may
// see what; this file only translates.

#include <algorithm>
#include <charconv>
#include <iterator>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "api/key_registry.h"
#include "api/ledger_json.h"
#include "api/request_body.h"
#include "api/router.h"
#include "api/router_routes.h"
#include "core/assert.h"
#include "core/limits.h"
#include "ledger/ledger_service.h"
#include "payments/events.h"
#include "payments/payments_service.h"

namespace netfin::api {
namespace {

using core::Id128;
using payments::PaymentsError;
using payments::Reply;

// The HTTP status of each of the role's errors.
unsigned HttpStatusOf(PaymentsError error) {
  switch (error) {
    case PaymentsError::kOk:
      return 200;
    case PaymentsError::kInvalidAmount:
    case PaymentsError::kUnknownCurrency:
    case PaymentsError::kUnknownTier:
    case PaymentsError::kInvalidParty:
    case PaymentsError::kInvalidField:
    case PaymentsError::kSameWallet:
    case PaymentsError::kInvalidDate:
    case PaymentsError::kIdempotencyKeyInvalid:
      return 400;
    case PaymentsError::kForbidden:
      return 403;
    case PaymentsError::kUnknownCustomer:
    case PaymentsError::kUnknownMerchant:
    case PaymentsError::kUnknownPayment:
    case PaymentsError::kUnknownSettlement:
    case PaymentsError::kUnknownCase:
      return 404;
    case PaymentsError::kIdempotencyKeyReused:
    case PaymentsError::kPaymentNotPayable:
    case PaymentsError::kPaymentNotCancellable:
    case PaymentsError::kPaymentNotRefundable:
    case PaymentsError::kSettlementNotPayable:
    case PaymentsError::kPaymentNotConfirmable:
    case PaymentsError::kLedgerRefused:
      return 409;
    case PaymentsError::kCurrencyMismatch:
    case PaymentsError::kInsufficientBalance:
    case PaymentsError::kTierLimitExceeded:
    case PaymentsError::kPaymentExpired:
    case PaymentsError::kRefundExceedsPayment:
    case PaymentsError::kMerchantBalanceInsufficient:
    case PaymentsError::kConfirmationCodeInvalid:
      return 422;
    case PaymentsError::kRiskDenied:
      return 402;
    case PaymentsError::kUnavailable:
      return 503;
  }
  return 500;
}

}  // namespace

HttpResponse FromReply(Reply reply, size_t label, std::string_view content_type) {
  HttpResponse response;
  response.route_label = label;
  if (reply.error != PaymentsError::kOk) {
    response.status = HttpStatusOf(reply.error);
    response.body = ErrorJson(payments::PaymentsErrorName(reply.error), reply.message);
    return response;
  }
  response.status = reply.http_status;
  response.content_type = std::string(content_type);
  response.body = std::move(reply.body);
  return response;
}

namespace {

payments::PersonalInput ReadPersonal(Body& body) {
  payments::PersonalInput p;
  p.name = body.Str("name", true, 128);
  p.phone = body.Str("phone", true, 32);
  p.id_number = body.Str("id_number", false, 32);
  p.bank_account = body.Str("bank_account", true, 32);
  return p;
}

// The bounds of a payment's "client" object (docs/openapi.yaml, ClientInput).
constexpr size_t kDeviceIdBytesMax = 128;
constexpr size_t kClientIpBytesMax = 64;
constexpr size_t kConfirmationCodeDigits = 6;

// Whether text is 1..bytes_max characters of ASCII from first to '~'.
bool IsPrintable(const rapidjson::Value& v, size_t bytes_max, char first) {
  if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > bytes_max) return false;
  const std::string_view text(v.GetString(), v.GetStringLength());
  return std::all_of(text.begin(), text.end(), [first](char c) { return c >= first && c <= '~'; });
}

// A coordinate in degrees, within ±limit_deg; nullopt when malformed.
std::optional<double> Degrees(const rapidjson::Value& v, double limit_deg) {
  if (!v.IsNumber()) return std::nullopt;
  const double deg = v.GetDouble();
  if (!(deg >= -limit_deg && deg <= limit_deg)) return std::nullopt;  // NaN fails too
  return deg;
}

constexpr std::string_view kClientMalformed =
    "client: an object of device_id (1..128 printable ASCII), ip (1..64), lat (-90..90) "
    "and lon (-180..180), lat and lon together";

// The members of a "client" object, in the order of ReadClientMember's switch.
constexpr std::string_view kClientMembers[] = {"device_id", "ip", "lat", "lon"};

// The member at index of kClientMembers into *client; false when malformed.
bool ReadClientMember(size_t index, const rapidjson::Value& v, payments::ClientInput* client) {
  switch (index) {
    case 0:
      if (!IsPrintable(v, kDeviceIdBytesMax, ' ')) return false;
      client->device_id.assign(v.GetString(), v.GetStringLength());
      return true;
    case 1:
      if (!IsPrintable(v, kClientIpBytesMax, '!')) return false;
      client->ip.assign(v.GetString(), v.GetStringLength());
      return true;
    case 2:
      client->lat_deg = Degrees(v, 90.0);
      return client->lat_deg.has_value();
    case 3:
      client->lon_deg = Degrees(v, 180.0);
      return client->lon_deg.has_value();
  }
  return false;
}

// Whether v is a well-formed "client" object, read into *client. Members are
// told apart by a bit each: no set to allocate on every payment.
bool ReadClientObject(const rapidjson::Value& v, payments::ClientInput* client) {
  if (!v.IsObject() || v.MemberCount() > std::size(kClientMembers)) return false;
  unsigned seen = 0;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    const auto* known = std::find(std::begin(kClientMembers), std::end(kClientMembers), name);
    const size_t index = static_cast<size_t>(known - std::begin(kClientMembers));
    if (index == std::size(kClientMembers) || (seen & (1u << index)) != 0) return false;
    seen |= 1u << index;
    if (!ReadClientMember(index, it->value, client)) return false;
  }
  return client->lat_deg.has_value() == client->lon_deg.has_value();
}

// The optional "client" object of a payment or transfer: where the
// customer's app says the request came from. A body without an ip gets the
// TCP peer's address.
void ReadClient(Body& body, std::string_view peer_address, payments::ClientInput* client) {
  const rapidjson::Value* v = body.Raw("client");
  if (v != nullptr && !ReadClientObject(*v, client)) return body.Invalid(kClientMalformed);
  if (client->ip.empty()) client->ip = peer_address;
}

// The one-time code of a confirmation: exactly six ASCII digits.
std::string ReadConfirmationCode(Body& body) {
  const rapidjson::Value* v = body.Raw("code");
  const std::string_view code = v != nullptr && v->IsString()
                                    ? std::string_view(v->GetString(), v->GetStringLength())
                                    : std::string_view();
  if (code.size() != kConfirmationCodeDigits ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    body.Invalid("code: the six digits of the reminder, as a string");
    return "";
  }
  return std::string(code);
}

// An analyst's label of a case: fraud or genuine.
payments::CaseLabel ReadCaseLabel(Body& body) {
  const rapidjson::Value* v = body.Raw("label");
  payments::CaseLabel label = payments::CaseLabel::kNone;
  if (v == nullptr || !v->IsString() ||
      !payments::ParseCaseLabel({v->GetString(), v->GetStringLength()}, &label)) {
    body.Invalid("label: fraud or genuine");
  }
  return label;
}

}  // namespace

std::optional<HttpResponse> Router::DispatchPayments(RouteId route, std::string_view param,
                                                     std::string_view query, HttpRequest& request,
                                                     const Post& post, const Respond& respond,
                                                     size_t label,
                                                     const payments::Principal& principal) {
  payments::PaymentsService* svc = services_.payments;
  if (svc == nullptr) {
    return ErrorResponse({ErrorCode::kServiceUnavailable, "the payments role is not running"}, label);
  }
  const bool is_post = request.method == "POST";
  // A decline may come with no body at all; every other POST has a JSON one.
  const bool no_body = route == RouteId::kDeclinePayment && request.body.empty();
  if (is_post && !no_body && !IsJsonMediaType(request.content_type)) {
    return ErrorResponse({ErrorCode::kUnsupportedMediaType, "the body must be application/json"}, label);
  }
  payments::Call call;
  call.principal = principal;
  call.idempotency_key = request.idempotency_key;
  // Only a POST records its Idempotency-Key, and with it this fingerprint.
  if (is_post) call.fingerprint = RequestFingerprint(request);

  Id128 id;
  // The route's template has an {id}, which matched param.
  if (!param.empty()) {
    if (auto refused = ReadRoleId(param, label, &id)) return refused;
  }
  payments::PageInput page;
  ApiError error;
  if (!ParsePage(query, &page, &error)) return ErrorResponse(error, label);

  const bool is_csv = route == RouteId::kSettlementFile || route == RouteId::kRiskLabels;
  const std::string_view content_type = is_csv ? "text/csv; charset=utf-8" : "application/json";
  ledger_calls_in_flight_.fetch_add(1);
  payments::ReplyFn reply = [this, post, respond, label, content_type](Reply r) {
    try {
      post([respond, label, content_type, r = std::move(r)]() mutable {
        respond(FromReply(std::move(r), label, content_type));
      });
    } catch (...) {
      // Out of memory on the ledger's thread: see CreateEvents.
    }
    ledger_calls_in_flight_.fetch_sub(1);
  };

  Body body(is_post && !no_body ? request.body : std::string("{}"));
  switch (route) {
    case RouteId::kCreateCustomer: {
      payments::NewCustomer in;
      in.personal = ReadPersonal(body);
      in.tier = static_cast<uint8_t>(body.Uint("tier", 255).value_or(1));
      in.currency = body.Str("currency", false, 8);
      if (in.currency.empty()) in.currency = "CNY";
      if (!body.Finish(&error)) break;
      svc->CreateCustomer(call, std::move(in), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kSetCustomerTier: {
      const auto tier = body.Uint("tier", 255);
      if (!body.Finish(&error)) break;
      if (!tier) {
        error = {ErrorCode::kMissingField, "tier: is required"};
        break;
      }
      svc->SetCustomerTier(call, id, static_cast<uint8_t>(*tier), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kCreateMerchant: {
      payments::NewMerchant in;
      in.personal = ReadPersonal(body);
      if (auto fee = body.Uint("fee_bps", 10'000)) in.fee_bps = static_cast<uint32_t>(*fee);
      in.webhook_url = body.Str("webhook_url", false, 512);
      in.currency = body.Str("currency", false, 8);
      if (in.currency.empty()) in.currency = "CNY";
      if (!body.Finish(&error)) break;
      svc->CreateMerchant(call, std::move(in), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kTopUp:
    case RouteId::kWithdraw:
    case RouteId::kWalletTransfer: {
      payments::MoneyInput in;
      if (route == RouteId::kWalletTransfer) {
        in.customer_id = body.Id("from_customer_id", true);
        in.counterparty_id = body.Id("to_customer_id", true);
      } else {
        in.customer_id = body.Id("customer_id", true);
      }
      in.amount = body.Amount("amount", true);
      in.currency = body.Str("currency", true, 8);
      if (route == RouteId::kWalletTransfer) ReadClient(body, request.peer_address, &call.client);
      if (!body.Finish(&error)) break;
      if (route == RouteId::kTopUp) svc->TopUp(call, in, std::move(reply));
      if (route == RouteId::kWithdraw) svc->Withdraw(call, in, std::move(reply));
      if (route == RouteId::kWalletTransfer) svc->TransferBetweenWallets(call, in, std::move(reply));
      return std::nullopt;
    }
    case RouteId::kCreatePayment: {
      payments::NewPayment in;
      in.merchant_id = body.Id("merchant_id", false);
      in.amount = body.Amount("amount", true);
      in.currency = body.Str("currency", true, 8);
      in.description = body.Str("description", false, 256);
      in.expires_in_s = body.Uint("expires_in_s", UINT32_MAX);
      ReadClient(body, request.peer_address, &call.client);
      if (!body.Finish(&error)) break;
      svc->CreatePayment(call, std::move(in), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kPayPayment:
      ReadClient(body, request.peer_address, &call.client);
      if (!body.Finish(&error)) break;
      svc->PayPayment(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kConfirmPayment: {
      std::string code = ReadConfirmationCode(body);
      if (!body.Finish(&error)) break;
      svc->ConfirmPayment(call, id, std::move(code), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kLabelRiskCase: {
      const payments::CaseLabel case_label = ReadCaseLabel(body);
      if (!body.Finish(&error)) break;
      svc->LabelRiskCase(call, id, case_label, std::move(reply));
      return std::nullopt;
    }
    case RouteId::kDeclinePayment:
    case RouteId::kCancelPayment:
    case RouteId::kSettlementPaid:
      if (!body.Finish(&error)) break;
      if (route == RouteId::kDeclinePayment) svc->DeclinePayment(call, id, std::move(reply));
      if (route == RouteId::kCancelPayment) svc->CancelPayment(call, id, std::move(reply));
      if (route == RouteId::kSettlementPaid) svc->MarkSettlementPaid(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kCreateRefund: {
      payments::NewRefund in;
      in.payment_id = id;
      bool present = false;
      const core::AmountMinor amount = body.Amount("amount", false, &present);
      if (present) in.amount = amount;
      in.reason = body.Str("reason", false, 256);
      if (!body.Finish(&error)) break;
      svc->CreateRefund(call, std::move(in), std::move(reply));
      return std::nullopt;
    }
    case RouteId::kRunSettlement: {
      const std::string date = body.Str("date", true, 10);
      const bool early = body.Bool("early");
      if (!body.Finish(&error)) break;
      int32_t y = 0, m = 0, d = 0;
      if (date.size() != 10 || date[4] != '-' || date[7] != '-' ||
          std::from_chars(date.data(), date.data() + 4, y).ec != std::errc() ||
          std::from_chars(date.data() + 5, date.data() + 7, m).ec != std::errc() ||
          std::from_chars(date.data() + 8, date.data() + 10, d).ec != std::errc()) {
        error = {ErrorCode::kInvalidArgument, "date: YYYY-MM-DD"};
        break;
      }
      svc->RunSettlement(call, y * 10000 + m * 100 + d, early, std::move(reply));
      return std::nullopt;
    }
    case RouteId::kGetCustomer:
      svc->GetCustomer(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kGetWallet:
      svc->GetWallet(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kListMovements:
      svc->ListMovements(call, id, page, std::move(reply));
      return std::nullopt;
    case RouteId::kGetMerchant:
      svc->GetMerchant(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kListPayments:
      svc->ListPayments(call, page, std::move(reply));
      return std::nullopt;
    case RouteId::kGetPayment:
      svc->GetPayment(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kListRefunds:
      svc->ListRefunds(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kListSettlements:
      svc->ListSettlements(call, page, std::move(reply));
      return std::nullopt;
    case RouteId::kGetSettlement:
      svc->GetSettlement(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kSettlementFile:
      svc->GetSettlementFile(call, id, std::move(reply));
      return std::nullopt;
    case RouteId::kReconciliation:
      svc->GetReconciliation(call, std::move(reply));
      return std::nullopt;
    case RouteId::kListRiskCases:
      svc->ListRiskCases(call, page, std::move(reply));
      return std::nullopt;
    case RouteId::kRiskLabels:
      svc->ExportRiskLabels(call, std::move(reply));
      return std::nullopt;
    default:
      NETFIN_ASSERT(false);  // DispatchPayments gets the payments routes only
  }
  // Refused before reaching the role: the reply will never be called.
  ledger_calls_in_flight_.fetch_sub(1);
  if (!body.invalid_field().empty()) {
    Reply refused;
    refused.error = PaymentsError::kInvalidField;
    refused.message = std::string(body.invalid_field());
    return FromReply(std::move(refused), label, "");
  }
  return ErrorResponse(error, label);
}

std::optional<HttpResponse> Router::CreateApiKey(HttpRequest& request, const Post& post,
                                                 const Respond& respond, size_t label,
                                                 const payments::Principal& principal) {
  if (services_.keys == nullptr || services_.payments == nullptr) {
    return ErrorResponse({ErrorCode::kServiceUnavailable, "keys are not configured"}, label);
  }
  if (!IsJsonMediaType(request.content_type)) {
    return ErrorResponse({ErrorCode::kUnsupportedMediaType, "the body must be application/json"}, label);
  }
  if (!ledger::IsValidIdempotencyKey(request.idempotency_key)) {
    return ErrorResponse({ErrorCode::kInvalidArgument, "an Idempotency-Key header of 1..255 printable ASCII characters is required"}, label);
  }
  Body body(request.body);
  const std::string role_name = body.Str("role", true, 16);
  const Id128 party_id = body.Id("party_id", true);
  ApiError error;
  if (!body.Finish(&error)) return ErrorResponse(error, label);
  payments::PrincipalRole role;
  if (!payments::ParsePrincipalRole(role_name, &role) || role == payments::PrincipalRole::kOperator) {
    return ErrorResponse({ErrorCode::kInvalidArgument, "role: customer or merchant"}, label);
  }
  // The party must exist: ask the role as the operator.
  payments::Call check;
  check.principal = principal;
  ledger_calls_in_flight_.fetch_add(1);
  auto finish = [this, post, respond](HttpResponse response) {
    PostResponse(post, respond, std::move(response));
  };
  auto create = [this, finish, label, role, party_id, scope = principal.key_id,
                 key = request.idempotency_key](Reply found) {
    if (found.error != PaymentsError::kOk) return finish(FromReply(std::move(found), label, ""));
    services_.keys->Create(
        ledger_, scope, key, role, party_id,
        [this, finish, label](core::Status status, std::optional<ApiKey> created, bool conflict) {
          if (!status.ok()) return finish(ErrorResponse({ErrorCode::kServiceUnavailable, status.message()}, label));
          if (conflict) {
            return finish(FromReply({PaymentsError::kIdempotencyKeyReused,
                                     "this Idempotency-Key made a key for another party", 409, "", false},
                                    label, ""));
          }
          HttpResponse r;
          r.status = 201;
          r.route_label = label;
          r.body = fmt::format(
              "{{\"object\":\"api_key\",\"key_id\":\"{}\",\"secret\":\"{}\",\"role\":\"{}\",\"party_id\":\"{}\"}}",
              created->key_id, services_.keys->SecretOf(created->key_id),
              payments::PrincipalRoleName(created->role), created->party_id.ToDecimal());
          finish(std::move(r));
        });
  };
  if (role == payments::PrincipalRole::kCustomer) {
    services_.payments->GetCustomer(check, party_id, std::move(create));
  } else {
    services_.payments->GetMerchant(check, party_id, std::move(create));
  }
  return std::nullopt;
}

HttpResponse Router::EventsFeed(std::string_view query, size_t label,
                                const payments::Principal& principal) {
  payments::PageInput page;
  ApiError error;
  if (!ParsePage(query, &page, &error)) return ErrorResponse(error, label);
  if (page.after.hi != 0) return ErrorResponse({ErrorCode::kInvalidQuery, "after: a cursor from next_cursor"}, label);
  store::EventFilter filter;
  filter.after_sequence = page.after.lo;
  filter.limit = page.limit;
  if (principal.role != payments::PrincipalRole::kOperator) filter.subject = principal.party_id;
  std::string items;
  uint64_t last = 0;
  size_t scanned = 0;
  // Bookkeeping events are skipped; read on until the page is full or the
  // journal ends.
  size_t shown = 0;
  for (int rounds = 0; rounds < 64 && shown < page.limit; ++rounds) {
    auto events = ledger_.store().ReadEvents(filter);
    if (!events.ok()) return ErrorResponse({ErrorCode::kServiceUnavailable, events.status().message()}, label);
    scanned = events.value().size();
    for (const store::RoleEvent& e : events.value()) {
      if (shown == page.limit) break;
      last = e.sequence;
      if (e.role != static_cast<uint16_t>(ledger::Role::kPayments)) continue;
      const auto type = static_cast<payments::EventType>(e.type);
      if (!payments::IsPublicEvent(type)) continue;
      // A stored payload that does not decode is corruption the chain check
      // reports; the feed refuses rather than show a partial page.
      auto data = payments::EventDataJson(e.type, e.payload);
      if (!data.ok()) return ErrorResponse({ErrorCode::kInternal, data.status().message()}, label);
      if (!items.empty()) items += ',';
      items += payments::EventEnvelopeJson(e.sequence, type, e.timestamp, data.value());
      ++shown;
    }
    if (scanned < filter.limit) break;
    filter.after_sequence = last;
  }
  HttpResponse response;
  response.route_label = label;
  const bool more = scanned == filter.limit || shown == page.limit;
  response.body = "{\"data\":[" + items + "],\"next_cursor\":" +
                  (more && last != 0 ? "\"" + std::to_string(last) + "\"" : std::string("null")) + "}";
  return response;
}

}  // namespace netfin::api
