#include "api/router.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "api/auth.h"
#include "api/key_registry.h"
#include "api/ledger_json.h"
#include "api/query.h"
#include "api/router_routes.h"
#include "core/assert.h"
#include "core/crypto.h"
#include "ledger/ledger_service.h"
#include "payments/model.h"

namespace netfin::api {

namespace {

using core::Id128;
using RouteId = Router::RouteId;

// No template has more segments than this; a path with more matches none.
constexpr size_t kTemplateSegmentsMax = 8;
// How long one wait for outstanding ledger callbacks sleeps between looks.
constexpr auto kLedgerWaitStep = std::chrono::milliseconds(1);

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

// Splits "/a/b?x=1" into "/a/b" and "x=1".
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::string_view Segment(std::string_view* rest) {
  const size_t slash = rest->find('/');
  const std::string_view segment = rest->substr(0, slash);
  *rest = slash == std::string_view::npos ? std::string_view() : rest->substr(slash);
  return segment;
}

// Whether path fits the template; *param gets the segment "{id}" matched.
bool MatchTemplate(std::string_view path_template, std::string_view path, std::string_view* param) {
  for (size_t i = 0; i < kTemplateSegmentsMax; ++i) {
    if (path_template.empty() || path.empty()) return path_template.empty() && path.empty();
    if (path_template[0] != '/' || path[0] != '/') return false;
    path_template.remove_prefix(1);
    path.remove_prefix(1);
    const std::string_view want = Segment(&path_template);
    const std::string_view have = Segment(&path);
    if (want == "{id}") {
      if (have.empty()) return false;
      *param = have;
    } else if (want != have) {
      return false;
    }
  }
  return false;
}

// The first route of kRoutes whose template fits path and, unless method
// is empty, whose method is method; nullptr when none does.
const RouteSpec* FindRoute(std::string_view path, std::string_view method) {
  for (const RouteSpec& route : kRoutes) {
    std::string_view param;
    if ((method.empty() || route.method == method) &&
        MatchTemplate(route.path_template, path, &param)) {
      return &route;
    }
  }
  return nullptr;
}

// The metrics label of a route of kRoutes, found once for all routes rather
// than by comparing templates on every request.
size_t LabelOfRoute(const RouteSpec& route) {
  static const std::vector<size_t> route_labels = [] {
    const std::vector<std::string> labels = Router::RouteLabels();
    std::vector<size_t> indices;
    for (const RouteSpec& r : kRoutes) {
      const auto it = std::find(labels.begin(), labels.end(), r.path_template);
      NETFIN_ASSERT(it != labels.end());  // every template has a label by construction
      indices.push_back(static_cast<size_t>(it - labels.begin()));
    }
    return indices;
  }();
  const size_t index = static_cast<size_t>(&route - kRoutes);
  NETFIN_ASSERT(index < route_labels.size());
  return route_labels[index];
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

HttpResponse Ok(std::string body, size_t label) {
  HttpResponse response;
  response.status = 200;
  response.body = std::move(body);
  response.route_label = label;
  return response;
}

HttpResponse StatusResponse(const core::Status& status, size_t label) {
  return Router::ErrorResponse({ErrorCodeFromStatus(status.code()), status.message()}, label);
}

std::optional<Id128> ParsePathId(std::string_view text, size_t label, HttpResponse* response) {
  std::optional<Id128> id = Id128::ParseDecimal(text);
  if (!id) {
    *response = Router::ErrorResponse(
        {ErrorCode::kInvalidId,
         "the id in the path must be a decimal integer 0..340282366920938463463374607431768211455"},
        label);
  }
  return id;
}

HttpResponse NotFoundResponse(std::string_view what, std::string_view id_text, size_t label) {
  return Router::ErrorResponse(
      {ErrorCode::kNotFound, std::string(what) + " " + std::string(id_text) + " does not exist"},
      label);
}

template <typename Record>
std::vector<Id128> IdsOf(const std::vector<Record>& records) {
  std::vector<Id128> ids;
  ids.reserve(records.size());
  for (const Record& record : records) ids.push_back(record.id);
  return ids;
}

template <typename Item>
std::optional<std::string> NextCursorOf(const store::AccountFilter& filter,
                                        const std::vector<Item>& items) {
  if (items.empty()) return std::nullopt;
  return NextCursor(filter, items.size(), items.back().timestamp);
}

}  // namespace

bool IsJsonMediaType(const std::optional<std::string_view>& content_type) {
  if (!content_type) return false;
  const std::string_view media_type = Trim(content_type->substr(0, content_type->find(';')));
  return EqualsIgnoreCase(media_type, kJson);
}

Router::Router(ApiServices services, Metrics& metrics)
    : ledger_(services.ledger), services_(services), metrics_(metrics) {
  NETFIN_ASSERT(services.keys == nullptr || services.replay != nullptr);
}

std::vector<RouteInfo> Router::Routes() {
  std::vector<RouteInfo> routes;
  for (const RouteSpec& route : kRoutes) {
    routes.push_back({std::string(route.method), std::string(route.path_template)});
  }
  return routes;
}

std::vector<std::string> Router::RouteLabels() {
  std::vector<std::string> labels;
  for (const RouteSpec& route : kRoutes) {
    const std::string path(route.path_template);
    if (std::find(labels.begin(), labels.end(), path) == labels.end()) labels.push_back(path);
  }
  return labels;
}

size_t Router::LabelOf(std::string_view target) const {
  const RouteSpec* route = FindRoute(SplitTarget(target).first, {});
  return route == nullptr ? metrics_.unmatched_label() : LabelOfRoute(*route);
}

bool Router::OrderedByLedger(std::string_view method, std::string_view target) const {
  // An empty method would match any route's; no request has one.
  if (method.empty()) return false;
  const RouteSpec* route = FindRoute(SplitTarget(target).first, method);
  return route != nullptr && route->ordered_by_ledger;
}

HttpResponse Router::ErrorResponse(const ApiError& error, size_t label) {
  HttpResponse response;
  response.status = HttpStatusOf(error.code);
  response.body = ErrorJson(error);
  response.route_label = label;
  return response;
}

std::string RequestFingerprint(const HttpRequest& request) {
  return core::Sha256Hex(fmt::format("{}\n{}\n{}", request.method, request.target, request.body));
}

std::optional<HttpResponse> ReadRoleId(std::string_view param, size_t label, Id128* id) {
  const std::optional<Id128> parsed = Id128::ParseDecimal(param);
  if (!parsed || parsed->IsZero()) {
    return Router::ErrorResponse(
        {ErrorCode::kInvalidId, "the id in the path must be a non-zero decimal integer"}, label);
  }
  *id = *parsed;
  return std::nullopt;
}

void Router::PostResponse(const Post& post, const Respond& respond, HttpResponse response) {
  try {
    post([respond, response = std::move(response)]() mutable { respond(std::move(response)); });
  } catch (...) {
    // Out of memory on the ledger's thread: see CreateEvents.
  }
  ledger_calls_in_flight_.fetch_sub(1);
}

void Router::Handle(HttpRequest request, const Post& post, const Respond& respond) {
  const auto [path, query] = SplitTarget(request.target);
  std::string allow;
  for (const RouteSpec& route : kRoutes) {
    std::string_view param;
    if (!MatchTemplate(route.path_template, path, &param)) continue;
    const size_t label = LabelOfRoute(route);
    if (route.method != request.method) {
      if (!allow.empty()) allow += ", ";
      allow += route.method;
      continue;
    }
    if (!route.takes_query && !query.empty()) {
      respond(
          ErrorResponse({ErrorCode::kInvalidQuery, "this route takes no query parameters"}, label));
      return;
    }
    payments::Principal principal;
    principal.key_id = std::string(kOperatorKeyId);
    if (route.access != Access::kPublic && services_.keys != nullptr) {
      if (auto refused = Authenticate(request, label, &principal)) {
        respond(std::move(*refused));
        return;
      }
      if (route.access == Access::kOperator &&
          principal.role != payments::PrincipalRole::kOperator) {
        respond(ErrorResponse({ErrorCode::kForbidden, "this route is for the platform operator"},
                              label));
        return;
      }
    }
    std::optional<HttpResponse> response =
        Dispatch(route.id, param, query, request, post, respond, label, principal);
    if (response) respond(std::move(*response));
    return;
  }
  if (allow.empty()) {
    respond(ErrorResponse({ErrorCode::kRouteNotFound, "no route has this path"},
                          metrics_.unmatched_label()));
    return;
  }
  HttpResponse response = ErrorResponse(
      {ErrorCode::kMethodNotAllowed, "this path allows " + allow + " only"}, LabelOf(path));
  response.allow = std::move(allow);
  respond(std::move(response));
}

std::optional<HttpResponse> Router::Dispatch(RouteId route, std::string_view param,
                                             std::string_view query, HttpRequest& request,
                                             const Post& post, const Respond& respond,
                                             size_t label, const payments::Principal& principal) {
  switch (route) {
    case RouteId::kCreateAccounts:
      return CreateAccounts(request, post, respond, label);
    case RouteId::kCreateTransfers:
      return CreateTransfers(request, post, respond, label);
    case RouteId::kGetAccount:
      return GetAccount(param, label);
    case RouteId::kGetTransfer:
      return GetTransfer(param, label);
    case RouteId::kAccountTransfers:
      return AccountTransfers(param, query, label);
    case RouteId::kAccountBalances:
      return AccountBalances(param, query, label);
    case RouteId::kHealth:
      return Health(label);
    case RouteId::kMetrics:
      return MetricsText(label);
    case RouteId::kEvents:
      return EventsFeed(query, label, principal);
    case RouteId::kCreateApiKey:
      return CreateApiKey(request, post, respond, label, principal);
    case RouteId::kCreateCustomer:
    case RouteId::kGetCustomer:
    case RouteId::kSetCustomerTier:
    case RouteId::kGetWallet:
    case RouteId::kListMovements:
    case RouteId::kCreateMerchant:
    case RouteId::kGetMerchant:
    case RouteId::kTopUp:
    case RouteId::kWithdraw:
    case RouteId::kWalletTransfer:
    case RouteId::kCreatePayment:
    case RouteId::kListPayments:
    case RouteId::kGetPayment:
    case RouteId::kPayPayment:
    case RouteId::kCancelPayment:
    case RouteId::kCreateRefund:
    case RouteId::kListRefunds:
    case RouteId::kRunSettlement:
    case RouteId::kListSettlements:
    case RouteId::kGetSettlement:
    case RouteId::kSettlementFile:
    case RouteId::kSettlementPaid:
    case RouteId::kReconciliation:
    case RouteId::kConfirmPayment:
    case RouteId::kDeclinePayment:
    case RouteId::kListRiskCases:
    case RouteId::kLabelRiskCase:
    case RouteId::kRiskLabels:
      return DispatchPayments(route, param, query, request, post, respond, label, principal);
    case RouteId::kCreditOffer:
    case RouteId::kCreditOpenLoan:
    case RouteId::kCreditListLoans:
    case RouteId::kCreditGetLoan:
    case RouteId::kCreditRepay:
    case RouteId::kCreditStatements:
    case RouteId::kCreditStatement:
    case RouteId::kCreditSetLimit:
    case RouteId::kCreditDayEnd:
    case RouteId::kCreditOpenMerchantLoan:
    case RouteId::kCreditSweepSales:
    case RouteId::kCreditConvertBill:
    case RouteId::kCreditOpenLine:
    case RouteId::kCreditGetLine:
    case RouteId::kCreditLinePurchase:
    case RouteId::kCreditFinanceReceivable:
    case RouteId::kCreditBuyerPays:
    case RouteId::kCreditAssess:
    case RouteId::kCreditGetBorrower:
      return DispatchCredit(route, param, query, request, post, respond, label, principal);
  }
  NETFIN_ASSERT(false);  // unreachable: the switch is exhaustive
}

std::optional<HttpResponse> Router::Authenticate(const HttpRequest& request, size_t label,
                                                 payments::Principal* principal) {
  // One message for every way a signature fails, so a caller learns
  // nothing about which keys exist.
  auto refuse = [label](std::string_view why) {
    return ErrorResponse({ErrorCode::kUnauthenticated, std::string(why)}, label);
  };
  if (request.key_id.empty() || request.timestamp.empty() || request.nonce.empty() ||
      request.signature.empty()) {
    return refuse("sign the request: Netfin-Key, Netfin-Timestamp, Netfin-Nonce, Netfin-Signature");
  }
  const std::optional<int64_t> timestamp = ParseTimestamp(request.timestamp);
  if (!timestamp || !NonceWellFormed(request.nonce)) {
    return refuse("malformed Netfin-Timestamp or Netfin-Nonce");
  }
  // An unknown key is checked against a secret anyway, so that it costs the
  // same time as a known key with a wrong signature.
  std::optional<core::HmacSha256Key> secret;  // the key's, or one nobody holds
  const std::optional<ApiKey> key = services_.keys->FindWithMac(request.key_id, &secret);
  const std::string canonical =
      CanonicalRequest(request.method, request.target, request.timestamp, request.nonce, request.body);
  if (!SignatureMatches(*secret, canonical, request.signature) || !key) {
    return refuse("the signature does not match");
  }
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  const ReplayVerdict verdict = services_.replay->Check(key->key_id, *timestamp, request.nonce, now_s);
  if (verdict != ReplayVerdict::kFresh) {
    return refuse("the request is not fresh: " + std::string(ReplayVerdictName(verdict)));
  }
  principal->role = key->role;
  principal->party_id = key->party_id;
  principal->key_id = key->key_id;
  return std::nullopt;
}

template <typename Record, typename Outcome, typename Parse, typename Submit, typename ToJson>
std::optional<HttpResponse> Router::CreateEvents(const HttpRequest& request, const Post& post,
                                                 const Respond& respond, size_t label, Parse parse,
                                                 Submit submit, ToJson to_json) {
  if (!IsJsonMediaType(request.content_type)) {
    return ErrorResponse({ErrorCode::kUnsupportedMediaType, "the body must be application/json"},
                         label);
  }
  std::vector<Record> events;
  ApiError error;
  if (!parse(request.body, &events, &error)) return ErrorResponse(error, label);
  std::vector<Id128> ids = IdsOf(events);
  ledger_calls_in_flight_.fetch_add(1);
  // Runs on the commit thread: it only hands the outcomes over.
  auto done = [this, ids = std::move(ids), post, respond, label, to_json](
                  core::Status status, std::vector<Outcome> outcomes) mutable {
    try {
      post([ids = std::move(ids), respond, label, to_json, status = std::move(status),
            outcomes = std::move(outcomes)] {
        if (!status.ok()) return respond(StatusResponse(status, label));
        respond(Ok(to_json(ids, outcomes), label));
      });
    } catch (...) {
      // Out of memory: nothing may escape into the ledger's thread. The
      // connection then waits for an answer that does not come, until Stop.
    }
    ledger_calls_in_flight_.fetch_sub(1);
  };
  submit(std::move(events), std::move(done));
  return std::nullopt;
}

std::optional<HttpResponse> Router::CreateAccounts(HttpRequest& request, const Post& post,
                                                   const Respond& respond, size_t label) {
  return CreateEvents<store::Account, ledger::AccountOutcome>(
      request, post, respond, label, ParseAccounts,
      [this](auto events, auto done) { ledger_.SubmitAccounts(std::move(events), std::move(done)); },
      [](const std::vector<Id128>& ids, const std::vector<ledger::AccountOutcome>& outcomes) {
        return AccountResultsJson(ids, outcomes);
      });
}

std::optional<HttpResponse> Router::CreateTransfers(HttpRequest& request, const Post& post,
                                                    const Respond& respond, size_t label) {
  return CreateEvents<store::Transfer, ledger::TransferOutcome>(
      request, post, respond, label, ParseTransfers,
      [this](auto events, auto done) { ledger_.SubmitTransfers(std::move(events), std::move(done)); },
      [](const std::vector<Id128>& ids, const std::vector<ledger::TransferOutcome>& outcomes) {
        return TransferResultsJson(ids, outcomes);
      });
}

HttpResponse Router::GetAccount(std::string_view id_text, size_t label) {
  HttpResponse response;
  const std::optional<Id128> id = ParsePathId(id_text, label, &response);
  if (!id) return response;
  const core::Result<std::optional<store::Account>> account = ledger_.store().LookupAccount(*id);
  if (!account.ok()) return StatusResponse(account.status(), label);
  if (!account.value()) return NotFoundResponse("account", id_text, label);
  return Ok(AccountJson(*account.value()), label);
}

HttpResponse Router::GetTransfer(std::string_view id_text, size_t label) {
  HttpResponse response;
  const std::optional<Id128> id = ParsePathId(id_text, label, &response);
  if (!id) return response;
  const core::Result<std::optional<store::Transfer>> transfer = ledger_.store().LookupTransfer(*id);
  if (!transfer.ok()) return StatusResponse(transfer.status(), label);
  if (!transfer.value()) return NotFoundResponse("transfer", id_text, label);
  return Ok(TransferJson(*transfer.value()), label);
}

std::optional<HttpResponse> Router::OpenPage(std::string_view id_text, std::string_view query,
                                             PageKind kind, size_t label, PageQuery* page,
                                             store::Account* account) {
  HttpResponse response;
  const std::optional<Id128> id = ParsePathId(id_text, label, &response);
  if (!id) return response;
  ApiError error;
  if (!ParsePageQuery(query, kind, page, &error)) return ErrorResponse(error, label);
  const core::Result<std::optional<store::Account>> found = ledger_.store().LookupAccount(*id);
  if (!found.ok()) return StatusResponse(found.status(), label);
  if (!found.value()) return NotFoundResponse("account", id_text, label);
  *account = *found.value();
  page->filter.account_id = *id;
  return std::nullopt;
}

HttpResponse Router::AccountTransfers(std::string_view id_text, std::string_view query,
                                      size_t label) {
  PageQuery page;
  store::Account account;
  if (auto refusal = OpenPage(id_text, query, PageKind::kTransfers, label, &page, &account)) {
    return *refusal;
  }
  std::vector<store::Transfer> transfers;
  if (!page.exhausted) {
    core::Result<std::vector<store::Transfer>> found =
        ledger_.store().GetAccountTransfers(page.filter);
    if (!found.ok()) return StatusResponse(found.status(), label);
    transfers = std::move(found.value());
  }
  return Ok(TransferPageJson(transfers, NextCursorOf(page.filter, transfers)), label);
}

HttpResponse Router::AccountBalances(std::string_view id_text, std::string_view query,
                                     size_t label) {
  PageQuery page;
  store::Account account;
  if (auto refusal = OpenPage(id_text, query, PageKind::kBalances, label, &page, &account)) {
    return *refusal;
  }
  if (!store::Has(account.flags, store::AccountFlag::kHistory)) {
    return ErrorResponse({ErrorCode::kAccountHasNoHistory,
                          "account " + std::string(id_text) + " was created without \"history\""},
                         label);
  }
  std::vector<store::AccountBalance> balances;
  if (!page.exhausted) {
    core::Result<std::vector<store::AccountBalance>> found =
        ledger_.store().GetAccountBalances(page.filter);
    if (!found.ok()) return StatusResponse(found.status(), label);
    balances = std::move(found.value());
  }
  return Ok(BalancePageJson(balances, NextCursorOf(page.filter, balances)), label);
}

HttpResponse Router::Health(size_t label) {
  const core::Status health = ledger_.Health();
  if (health.ok()) return Ok(HealthJson(), label);
  // Whatever broke the ledger, the answer to a health check is "unavailable".
  return ErrorResponse({ErrorCode::kServiceUnavailable, health.ToString()}, label);
}

HttpResponse Router::MetricsText(size_t label) {
  std::string text = metrics_.Render(ledger_);
  if (services_.risk_metrics) Metrics::RenderRisk(services_.risk_metrics(), &text);
  HttpResponse response = Ok(std::move(text), label);
  response.content_type = kPrometheusText;
  return response;
}

bool Router::WaitForLedgerCalls(uint32_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (ledger_calls_in_flight_.load() != 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kLedgerWaitStep);
  }
  return true;
}

}  // namespace netfin::api
