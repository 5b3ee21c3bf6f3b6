#pragma once

// The route table and the handlers behind it. Knows HTTP only as plain
// structs (no Beast here), so it is cheap to compile and to test.
//
//   POST /v1/accounts                    create accounts (batch)
//   POST /v1/transfers                   create transfers (batch)
//   GET  /v1/accounts/{id}               one account
//   GET  /v1/transfers/{id}              one transfer
//   GET  /v1/accounts/{id}/transfers     an account's transfers, paginated
//   GET  /v1/accounts/{id}/balances      an account's balance history, paginated
//   GET  /healthz                        200 while the ledger accepts work, else 503
//   GET  /metrics                        Prometheus text
//
// Creating answers asynchronously: the batch goes to LedgerService::Submit*,
// whose callback runs on the ledger's commit thread once the batch is
// durable; the callback only hands the outcomes to `post`, and the response
// is built and sent on the connection's own thread. No io thread ever waits
// for the ledger. Reads go straight to the store, on the io thread.
//
// Thread-safe: Handle runs on any io thread, concurrently.

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/errors.h"
#include "api/metrics.h"
#include "api/query.h"
#include "store/records.h"

namespace netfin::ledger {
class LedgerService;
}
namespace netfin::payments {
class PaymentsService;
struct Principal;
}
namespace netfin::core {
class CivilDate;
}
namespace netfin::credit {
class CreditService;
struct CreditCall;
struct CreditReply;
}

namespace netfin::api {

struct RouteInfo {
  std::string method;         // "GET"
  std::string path_template;  // "/v1/accounts/{id}"
  friend bool operator==(const RouteInfo&, const RouteInfo&) = default;
  friend auto operator<=>(const RouteInfo&, const RouteInfo&) = default;
};

struct HttpRequest {
  std::string_view method;  // as sent: "GET"
  std::string_view target;  // path and query: "/v1/accounts/7/transfers?limit=10"
  std::optional<std::string_view> content_type;
  std::string body;
  // The headers of signed requests (api/auth.h) and Idempotency-Key; empty
  // when absent.
  std::string key_id, timestamp, nonce, signature, idempotency_key;
  // The TCP peer's address as text ("127.0.0.1", "::1"); empty when unknown.
  // The risk screen's fallback when a payment's body names no client ip.
  // Like method and target, it lives as long as the connection.
  std::string_view peer_address;
};

class KeyRegistry;
class ReplayGuard;

// Runs the credit day-end of a date off the io threads (it waits on the
// ledger for as long as the portfolio takes) and calls done with its reply,
// on its own thread. `serve` hands these to the credit day-end thread
// (cli/credit_day_end.h), which also runs the day-end on a schedule.
using CreditDayEndFn = std::function<void(const credit::CreditCall& call, core::CivilDate date,
                                          std::function<void(credit::CreditReply)> done)>;

// What the router serves. Without keys the router authenticates nobody and
// treats every request as the operator's: for in-process tests and
// benchmarks of the ledger only; `netfin serve` always passes keys.
struct ApiServices {
  ledger::LedgerService& ledger;
  payments::PaymentsService* payments = nullptr;
  KeyRegistry* keys = nullptr;
  ReplayGuard* replay = nullptr;  // REQUIRED when keys is set
  // The credit routes answer 503 without it. They resolve customers and
  // merchants to ledger accounts through payments, so they need both.
  credit::CreditService* credit = nullptr;
  CreditDayEndFn credit_day_end = {};  // POST /v1/credit/day-end; empty: 503
  RiskMetricsSource risk_metrics = {};  // GET /metrics' netfin_risk_* series; empty: none
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;       // the Allow header of a 405; empty otherwise
  size_t route_label = 0;  // for metrics: Metrics' label index
};

class Router {
 public:
  // Runs fn later on the connection's thread. Safe to call from any thread.
  using Post = std::function<void(std::function<void()>)>;
  // Sends the response. Called on the connection's thread only.
  using Respond = std::function<void(HttpResponse)>;
  // Which handler a route runs; defined with the route table in router.cc.
  enum class RouteId : int;

  // REQUIRES: the services and metrics outlive the router.
  Router(ApiServices services, Metrics& metrics);

  // Every route, in table order.
  static std::vector<RouteInfo> Routes();
  // The distinct path templates, by metrics label index.
  static std::vector<std::string> RouteLabels();

  // Answers one request: calls respond exactly once, either before Handle
  // returns or later through post.
  void Handle(HttpRequest request, const Post& post, const Respond& respond);

  // The metrics label of a target, for requests refused before routing.
  size_t LabelOf(std::string_view target) const;
  // Whether a request's effects and answer are decided by one ledger
  // command that Handle queues before it returns: a later request queued
  // behind it then sees its effects, so a server may hand the later one to
  // Handle before this one is answered (HTTP pipelining). False for reads,
  // which see only what is already durable, and for routes that do more than
  // queue one command.
  bool OrderedByLedger(std::string_view method, std::string_view target) const;
  // The error response for error, labelled `label`.
  static HttpResponse ErrorResponse(const ApiError& error, size_t label);

  // Blocks until every ledger callback has handed its outcomes to its post,
  // or until timeout_ms passed. Returns whether none is outstanding.
  bool WaitForLedgerCalls(uint32_t timeout_ms);

 private:
  // Empty when the response will come through post.
  std::optional<HttpResponse> Dispatch(RouteId route, std::string_view param,
                                       std::string_view query, HttpRequest& request,
                                       const Post& post, const Respond& respond, size_t label,
                                       const payments::Principal& principal);
  // Checks the request's signature; empty when it is good (and *principal
  // is set), else the 401 to send.
  std::optional<HttpResponse> Authenticate(const HttpRequest& request, size_t label,
                                           payments::Principal* principal);
  // The payments routes (router_payments.cc).
  std::optional<HttpResponse> DispatchPayments(RouteId route, std::string_view param,
                                               std::string_view query, HttpRequest& request,
                                               const Post& post, const Respond& respond,
                                               size_t label, const payments::Principal& principal);
  // The credit routes (router_credit.cc).
  std::optional<HttpResponse> DispatchCredit(RouteId route, std::string_view param,
                                             std::string_view query, HttpRequest& request,
                                             const Post& post, const Respond& respond,
                                             size_t label, const payments::Principal& principal);
  // Answers through post and ends one count of ledger_calls_in_flight_:
  // what a routed call that answers later (the credit routes, API key
  // creation) calls exactly once when done, from whichever thread it is on.
  void PostResponse(const Post& post, const Respond& respond, HttpResponse response);
  std::optional<HttpResponse> CreateApiKey(HttpRequest& request, const Post& post,
                                           const Respond& respond, size_t label,
                                           const payments::Principal& principal);
  HttpResponse EventsFeed(std::string_view query, size_t label,
                          const payments::Principal& principal);
  std::optional<HttpResponse> CreateAccounts(HttpRequest& request, const Post& post,
                                             const Respond& respond, size_t label);
  std::optional<HttpResponse> CreateTransfers(HttpRequest& request, const Post& post,
                                              const Respond& respond, size_t label);
  // Shared by both: parse, submit, and answer once the ledger has.
  template <typename Record, typename Outcome, typename Parse, typename Submit, typename ToJson>
  std::optional<HttpResponse> CreateEvents(const HttpRequest& request, const Post& post,
                                           const Respond& respond, size_t label, Parse parse,
                                           Submit submit, ToJson to_json);
  HttpResponse GetAccount(std::string_view id_text, size_t label);
  HttpResponse GetTransfer(std::string_view id_text, size_t label);
  // The common start of a page query: the account id, the query string and
  // the account's existence. Empty when all is well, else the refusal.
  std::optional<HttpResponse> OpenPage(std::string_view id_text, std::string_view query,
                                       PageKind kind, size_t label, PageQuery* page,
                                       store::Account* account);
  HttpResponse AccountTransfers(std::string_view id_text, std::string_view query, size_t label);
  HttpResponse AccountBalances(std::string_view id_text, std::string_view query, size_t label);
  HttpResponse Health(size_t label);
  HttpResponse MetricsText(size_t label);

  ledger::LedgerService& ledger_;
  ApiServices services_;
  Metrics& metrics_;
  std::atomic<uint64_t> ledger_calls_in_flight_{0};
};

}  // namespace netfin::api
