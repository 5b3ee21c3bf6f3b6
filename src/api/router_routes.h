#pragma once

// The route table: the one place a route is declared, with who may call it,
// and what the handlers of router.cc, router_payments.cc and
// router_credit.cc share.
// docs/openapi.yaml must list the same routes (openapi_test checks it).
// Private to src/api (router.cc and its role files).

#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "core/id.h"

namespace netfin::payments {
struct Reply;
}

namespace netfin::api {

enum class Router::RouteId : int {
  // ledger (operator only)
  kCreateAccounts,
  kCreateTransfers,
  kGetAccount,
  kGetTransfer,
  kAccountTransfers,
  kAccountBalances,
  // public
  kHealth,
  kMetrics,
  // payments
  kCreateCustomer,
  kGetCustomer,
  kSetCustomerTier,
  kGetWallet,
  kListMovements,
  kCreateMerchant,
  kGetMerchant,
  kCreateApiKey,
  kTopUp,
  kWithdraw,
  kWalletTransfer,
  kCreatePayment,
  kListPayments,
  kGetPayment,
  kPayPayment,
  kCancelPayment,
  kCreateRefund,
  kListRefunds,
  kRunSettlement,
  kListSettlements,
  kGetSettlement,
  kSettlementFile,
  kSettlementPaid,
  kReconciliation,
  kEvents,
  // risk: a challenged payment's confirmation, and the operator's cases
  kConfirmPayment,
  kDeclinePayment,
  kListRiskCases,
  kLabelRiskCase,
  kRiskLabels,
  // credit (router_credit.cc): offers, loans, repayments, statements; the
  // operator's limits and day-end
  kCreditOffer,
  kCreditOpenLoan,
  kCreditListLoans,
  kCreditGetLoan,
  kCreditRepay,
  kCreditStatements,
  kCreditStatement,
  kCreditSetLimit,
  kCreditDayEnd,
  kCreditOpenMerchantLoan,
  kCreditSweepSales,
  kCreditConvertBill,
  kCreditOpenLine,
  kCreditGetLine,
  kCreditLinePurchase,
  kCreditFinanceReceivable,
  kCreditBuyerPays,
  kCreditAssess,
  kCreditGetBorrower,
};

// Who may call a route. Finer rules (whose wallet, whose payment) are the
// role's, per resource.
enum class Access {
  kPublic,    // no signature: health and metrics
  kOperator,  // signed by the operator's key
  kSigned,    // signed by any key; the handler decides per resource
};

struct RouteSpec {
  std::string_view method;
  std::string_view path_template;  // "{id}" matches one non-empty segment
  Router::RouteId id;
  bool takes_query;
  Access access;
  // Decided by one ledger command that Handle queues before it returns
  // (Router::OrderedByLedger): a pipelined request behind it may be handled
  // before it is answered.
  bool ordered_by_ledger = false;
};

inline constexpr RouteSpec kRoutes[] = {
    {"POST", "/v1/accounts", Router::RouteId::kCreateAccounts, false, Access::kOperator, true},
    {"POST", "/v1/transfers", Router::RouteId::kCreateTransfers, false, Access::kOperator, true},
    {"GET", "/v1/accounts/{id}", Router::RouteId::kGetAccount, false, Access::kOperator},
    {"GET", "/v1/transfers/{id}", Router::RouteId::kGetTransfer, false, Access::kOperator},
    {"GET", "/v1/accounts/{id}/transfers", Router::RouteId::kAccountTransfers, true, Access::kOperator},
    {"GET", "/v1/accounts/{id}/balances", Router::RouteId::kAccountBalances, true, Access::kOperator},
    {"GET", "/healthz", Router::RouteId::kHealth, false, Access::kPublic},
    {"GET", "/metrics", Router::RouteId::kMetrics, false, Access::kPublic},
    {"POST", "/v1/customers", Router::RouteId::kCreateCustomer, false, Access::kOperator},
    {"GET", "/v1/customers/{id}", Router::RouteId::kGetCustomer, false, Access::kSigned},
    {"POST", "/v1/customers/{id}/tier", Router::RouteId::kSetCustomerTier, false, Access::kOperator},
    {"GET", "/v1/customers/{id}/wallet", Router::RouteId::kGetWallet, false, Access::kSigned},
    {"GET", "/v1/customers/{id}/movements", Router::RouteId::kListMovements, true, Access::kSigned},
    {"POST", "/v1/merchants", Router::RouteId::kCreateMerchant, false, Access::kOperator},
    {"GET", "/v1/merchants/{id}", Router::RouteId::kGetMerchant, false, Access::kSigned},
    {"POST", "/v1/api-keys", Router::RouteId::kCreateApiKey, false, Access::kOperator},
    {"POST", "/v1/top-ups", Router::RouteId::kTopUp, false, Access::kSigned, true},
    {"POST", "/v1/withdrawals", Router::RouteId::kWithdraw, false, Access::kSigned, true},
    {"POST", "/v1/wallet-transfers", Router::RouteId::kWalletTransfer, false, Access::kSigned, true},
    {"POST", "/v1/payments", Router::RouteId::kCreatePayment, false, Access::kSigned, true},
    {"GET", "/v1/payments", Router::RouteId::kListPayments, true, Access::kSigned},
    {"GET", "/v1/payments/{id}", Router::RouteId::kGetPayment, false, Access::kSigned},
    {"POST", "/v1/payments/{id}/pay", Router::RouteId::kPayPayment, false, Access::kSigned, true},
    {"POST", "/v1/payments/{id}/cancel", Router::RouteId::kCancelPayment, false, Access::kSigned, true},
    {"POST", "/v1/payments/{id}/refunds", Router::RouteId::kCreateRefund, false, Access::kSigned, true},
    {"GET", "/v1/payments/{id}/refunds", Router::RouteId::kListRefunds, false, Access::kSigned},
    {"POST", "/v1/settlements", Router::RouteId::kRunSettlement, false, Access::kOperator},
    {"GET", "/v1/settlements", Router::RouteId::kListSettlements, true, Access::kSigned},
    {"GET", "/v1/settlements/{id}", Router::RouteId::kGetSettlement, false, Access::kSigned},
    {"GET", "/v1/settlements/{id}/file", Router::RouteId::kSettlementFile, false, Access::kSigned},
    {"POST", "/v1/settlements/{id}/paid", Router::RouteId::kSettlementPaid, false, Access::kOperator},
    {"GET", "/v1/platform/reconciliation", Router::RouteId::kReconciliation, false, Access::kOperator},
    {"GET", "/v1/events", Router::RouteId::kEvents, true, Access::kSigned},
    {"POST", "/v1/payments/{id}/confirm", Router::RouteId::kConfirmPayment, false, Access::kSigned, true},
    {"POST", "/v1/payments/{id}/decline", Router::RouteId::kDeclinePayment, false, Access::kSigned, true},
    {"GET", "/v1/risk/cases", Router::RouteId::kListRiskCases, true, Access::kOperator},
    {"POST", "/v1/risk/cases/{id}/label", Router::RouteId::kLabelRiskCase, false, Access::kOperator},
    {"GET", "/v1/risk/labels.csv", Router::RouteId::kRiskLabels, false, Access::kOperator},
    {"POST", "/v1/credit/offers", Router::RouteId::kCreditOffer, false, Access::kSigned},
    {"POST", "/v1/credit/loans", Router::RouteId::kCreditOpenLoan, false, Access::kSigned},
    {"GET", "/v1/credit/loans", Router::RouteId::kCreditListLoans, true, Access::kSigned},
    {"GET", "/v1/credit/loans/{id}", Router::RouteId::kCreditGetLoan, false, Access::kSigned},
    {"POST", "/v1/credit/loans/{id}/repayments", Router::RouteId::kCreditRepay, false, Access::kSigned},
    {"GET", "/v1/credit/loans/{id}/statements", Router::RouteId::kCreditStatements, false, Access::kSigned},
    {"GET", "/v1/credit/loans/{id}/statement", Router::RouteId::kCreditStatement, true, Access::kSigned},
    {"POST", "/v1/credit/limits", Router::RouteId::kCreditSetLimit, false, Access::kOperator},
    {"POST", "/v1/credit/day-end", Router::RouteId::kCreditDayEnd, false, Access::kOperator},
    {"POST", "/v1/credit/merchant-loans", Router::RouteId::kCreditOpenMerchantLoan, false, Access::kOperator},
    {"POST", "/v1/credit/loans/{id}/sales-sweeps", Router::RouteId::kCreditSweepSales, false, Access::kOperator},
    {"POST", "/v1/credit/loans/{id}/conversion", Router::RouteId::kCreditConvertBill, false, Access::kSigned},
    {"POST", "/v1/credit/lines", Router::RouteId::kCreditOpenLine, false, Access::kOperator},
    {"GET", "/v1/credit/lines/{id}", Router::RouteId::kCreditGetLine, false, Access::kSigned},
    {"POST", "/v1/credit/lines/{id}/purchases", Router::RouteId::kCreditLinePurchase, false, Access::kSigned},
    {"POST", "/v1/credit/receivables", Router::RouteId::kCreditFinanceReceivable, false, Access::kOperator},
    {"POST", "/v1/credit/receivables/{id}/payments", Router::RouteId::kCreditBuyerPays, false, Access::kOperator},
    {"POST", "/v1/credit/assessments", Router::RouteId::kCreditAssess, false, Access::kOperator},
    {"GET", "/v1/credit/borrowers/{id}", Router::RouteId::kCreditGetBorrower, false, Access::kSigned},
};

// Every template gets a metrics label, and there are no more templates than routes.
static_assert(std::size(kRoutes) < Metrics::kRouteLabelsMax);

// Whether a Content-Type is application/json, in any case, with or without
// parameters (charset=utf-8): what every POST body must be (router.cc).
bool IsJsonMediaType(const std::optional<std::string_view>& content_type);

// What the role routes (router_payments.cc, router_credit.cc) share, in
// router.cc:
// The fingerprint an Idempotency-Key is recorded with: the SHA-256 of the
// request's method, target and body.
std::string RequestFingerprint(const HttpRequest& request);
// The {id} of a role route's path into *id: a non-zero decimal id; else the
// 400 to answer.
std::optional<HttpResponse> ReadRoleId(std::string_view param, size_t label, core::Id128* id);

// A payments reply as the payments routes answer it: its body as
// content_type with its status, or the error object with the error's status
// (router_payments.cc). The credit routes answer the refusals of their
// payments lookups with it too.
HttpResponse FromReply(payments::Reply reply, size_t label, std::string_view content_type);

}  // namespace netfin::api
