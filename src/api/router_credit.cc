// The credit routes: strict JSON bodies in, credit::CreditService calls,
// its CreditReply out, with the payments routes' conventions (signed
// requests, an Idempotency-Key on every POST, pages by after/limit, the one
// error object).
//
// The credit role sees ledger accounts only, never the payments role's
// tables (DESIGN.md): so a request naming a customer or a merchant is
// resolved here first, through PaymentsService::FindPartyAccount, which
// decides with the caller's rights whose wallet or merchant account it may
// name. A repayment always comes from the loan's borrower's own wallet: the
// loan is read first (which refuses another customer's loan), then its
// borrower's wallet found. The role decides everything about loans and who
// may see them; this file only translates.
//
// Every handler ends through exactly one call of its Finish, from whichever
// thread the last service callback runs on; ledger_calls_in_flight_ counts
// it from the start, so a stopping server waits for it.

#include <charconv>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "api/ledger_json.h"
#include "api/request_body.h"
#include "api/router.h"
#include "api/router_routes.h"
#include "core/assert.h"
#include "credit/credit_service.h"
#include "ledger/command.h"
#include "payments/payments_service.h"

namespace netfin::api {
namespace {

using core::Id128;
using credit::CreditError;
using credit::CreditReply;
using credit::CreditResult;

// The HTTP status of a rule's refusal: the request was well formed and a
// credit rule said no (422), or the loan's or calendar's state does not
// allow it now (409).
unsigned HttpStatusOf(CreditResult result) {
  switch (result) {
    case CreditResult::kOk:
      return 200;
    case CreditResult::kZeroAmount:
      return 400;
    case CreditResult::kPrincipalOutOfRange:
    case CreditResult::kTermsOutOfRange:
    case CreditResult::kRateOutOfRange:
    case CreditResult::kDueDateInvalid:
    case CreditResult::kTermNotOffered:
    case CreditResult::kAmountBelowProductMin:
    case CreditResult::kAmountAboveProductMax:
    case CreditResult::kAprAboveCap:
    case CreditResult::kPersonCapExceeded:
    case CreditResult::kOverCreditLimit:
    case CreditResult::kLineFrozen:
    case CreditResult::kExceedsAmountDue:
    case CreditResult::kPayoffAmountMismatch:
    case CreditResult::kCatchUpTooLong:
    case CreditResult::kWrongProductKind:
      return 422;
    case CreditResult::kLoanPaidOff:
    case CreditResult::kLoanWrittenOff:
    case CreditResult::kDateBeforeLastRun:
    case CreditResult::kDayClosed:
    case CreditResult::kDayEndBehind:
    case CreditResult::kBillNotConvertible:
    case CreditResult::kNothingToBill:
    case CreditResult::kNotStatementDay:
      return 409;
  }
  return 500;
}

// The HTTP status of each of the role's errors.
unsigned HttpStatusOf(const CreditReply& reply) {
  switch (reply.error) {
    case CreditError::kOk:
      return reply.http_status;
    case CreditError::kRefused:
      return HttpStatusOf(reply.refusal);
    case CreditError::kInvalidField:
    case CreditError::kIdempotencyKeyInvalid:
    case CreditError::kInvalidFeature:
      return 400;
    case CreditError::kForbidden:
      return 403;
    case CreditError::kUnknownProduct:
    case CreditError::kUnknownLoan:
    case CreditError::kUnknownStatement:
    case CreditError::kUnknownAccount:
    case CreditError::kUnknownLine:
    case CreditError::kUnknownBorrower:
      return 404;
    case CreditError::kDayEndRunning:
    case CreditError::kIdempotencyKeyReused:
    case CreditError::kLedgerRefused:
    case CreditError::kLineExists:
      return 409;
    case CreditError::kNoCreditBooks:
    case CreditError::kInsufficientBalance:
    case CreditError::kReceivableNotConfirmed:
    case CreditError::kLimitFrozen:
      return 422;
    // The node runs without a scorer, or the scorer failed: nothing the
    // request can change; retry or tell the operator.
    case CreditError::kNoScorer:
    case CreditError::kScoringFailed:
    case CreditError::kUnavailable:
      return 503;
  }
  return 500;
}

HttpResponse FromCredit(CreditReply reply, size_t label, std::string_view content_type) {
  HttpResponse response;
  response.route_label = label;
  response.status = HttpStatusOf(reply);
  if (!reply.ok()) {
    response.body = ErrorJson(reply.code(), reply.message);
    return response;
  }
  response.content_type = std::string(content_type);
  response.body = std::move(reply.body);
  return response;
}

CreditReply Invalid(CreditError error, std::string message) {
  CreditReply r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

credit::CallerRole CallerRoleOf(payments::PrincipalRole role) {
  switch (role) {
    case payments::PrincipalRole::kOperator:
      return credit::CallerRole::kOperator;
    case payments::PrincipalRole::kCustomer:
      return credit::CallerRole::kCustomer;
    case payments::PrincipalRole::kMerchant:
      return credit::CallerRole::kMerchant;
  }
  NETFIN_ASSERT(false);  // the enum is exhaustive
}

// The fields of an offer or a loan: the request, and the merchant when it
// is a purchase on credit (zero for cash into the wallet).
struct LoanFields {
  credit::LoanRequest request;
  Id128 merchant_id;
};

// The body's fields; false with *error when terms (which Body reads as
// optional) is missing and the body is otherwise well formed.
bool ReadLoanFields(Body& body, LoanFields* out, ApiError* error) {
  out->request.borrower_id = body.Id("customer_id", true);
  out->request.product = body.Str("product", true, 64);
  out->request.amount_minor = body.Amount("amount", true);
  const std::optional<uint64_t> terms = body.Uint("terms", UINT32_MAX);
  out->merchant_id = body.Id("merchant_id", false);
  out->request.annual_income_minor = body.Amount("annual_income", false);
  if (!body.Finish(error)) return false;
  if (!terms) {
    *error = {ErrorCode::kMissingField, "terms: is required"};
    return false;
  }
  out->request.terms = static_cast<uint32_t>(*terms);
  return true;
}

credit::RepaymentKind ReadRepaymentKind(Body& body) {
  const rapidjson::Value* v = body.Raw("kind");
  if (v == nullptr) return credit::RepaymentKind::kRegular;
  const std::string_view kind = v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                              : std::string_view();
  if (kind == "payoff") return credit::RepaymentKind::kPayoff;
  if (kind != "regular") body.Invalid("kind: regular or payoff");
  return credit::RepaymentKind::kRegular;
}

// "instalment=3&format=html": which statement, and how. False with *error
// on anything else.
bool ParseStatementQuery(std::string_view query, uint32_t* instalment,
                         credit::StatementFormat* format, ApiError* error) {
  bool seen_instalment = false, seen_format = false;
  while (!query.empty()) {
    std::string_view name, value;
    TakeQueryPair(&query, &name, &value);
    if (name == "instalment" && !seen_instalment) {
      seen_instalment = true;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *instalment);
      if (ec != std::errc() || end != value.data() + value.size() || *instalment == 0) {
        *error = {ErrorCode::kInvalidQuery, "instalment: the instalment number, 1 or more"};
        return false;
      }
    } else if (name == "format" && !seen_format) {
      seen_format = true;
      if (value != "json" && value != "html") {
        *error = {ErrorCode::kInvalidQuery, "format: json or html"};
        return false;
      }
      *format = value == "html" ? credit::StatementFormat::kHtml : credit::StatementFormat::kJson;
    } else {
      *error = {ErrorCode::kInvalidQuery,
                fmt::format("{}: unknown or repeated (instalment and format are known)", name)};
      return false;
    }
  }
  return true;
}

// The bounds of an assessment's features (docs/openapi.yaml, Assessment).
constexpr size_t kFeatureNameBytesMax = 128;
constexpr size_t kFeatureTextBytesMax = 256;
constexpr std::string_view kFeaturesMalformed =
    "features: an object of at most 1024 features, each name 1..128 bytes and each value a "
    "number, a text of at most 256 bytes, or null (unknown)";

// The "features" object of an assessment: name -> number, text or null
// (an explicit unknown, which the scorer's trees treat as missing).
std::vector<credit::Feature> ReadFeatures(Body& body) {
  std::vector<credit::Feature> features;
  const rapidjson::Value* v = body.Raw("features");
  if (v == nullptr || !v->IsObject() || v->MemberCount() > credit::kAssessmentFeaturesMax) {
    body.Invalid(kFeaturesMalformed);
    return features;
  }
  features.reserve(v->MemberCount());
  for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
    const size_t name_bytes = it->name.GetStringLength();
    if (name_bytes == 0 || name_bytes > kFeatureNameBytesMax) {
      body.Invalid(kFeaturesMalformed);
      return {};
    }
    credit::Feature f;
    f.name.assign(it->name.GetString(), name_bytes);
    if (it->value.IsNumber()) {
      f.value = it->value.GetDouble();
    } else if (it->value.IsString() && it->value.GetStringLength() <= kFeatureTextBytesMax) {
      f.value = std::string(it->value.GetString(), it->value.GetStringLength());
    } else if (it->value.IsNull()) {
      f.value = std::numeric_limits<double>::quiet_NaN();
    } else {
      body.Invalid(kFeaturesMalformed);
      return {};
    }
    features.push_back(std::move(f));
  }
  return features;
}

// A required count of instalments ("terms"), which Body reads as optional.
uint32_t ReadTerms(Body& body) {
  const std::optional<uint64_t> terms = body.Uint("terms", UINT32_MAX);
  if (!terms) body.Invalid("terms: the number of instalments, required");
  return terms.value_or(0);
}

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kHtml = "text/html; charset=utf-8";

// Ends a request: called exactly once, from whichever thread the last
// service callback runs on.
using Finish = std::function<void(HttpResponse)>;

// A request's payments lookups: a customer or merchant resolved to its
// ledger account with the caller's rights (payments decides whose it may
// name), then the request goes on; a refusal ends it as the payments routes
// answer it.
struct PartyAccounts {
  payments::PaymentsService* payments;
  payments::Call lookup;  // the caller's principal
  std::shared_ptr<const Finish> finish;  // shared by every callback of the request
  size_t label;

  // Calls then(account) with party_id's account, or finishes with the refusal.
  template <typename Then>
  void Find(payments::PrincipalRole role, Id128 party_id, Then then) const {
    payments->FindPartyAccount(
        lookup, role, party_id,
        [finish = finish, label = label, then = std::move(then)](payments::Reply found,
                                                                 Id128 account) mutable {
          if (found.error != payments::PaymentsError::kOk) {
            return (*finish)(FromReply(std::move(found), label, kJson));
          }
          then(account);
        });
  }
};

}  // namespace

std::optional<HttpResponse> Router::DispatchCredit(RouteId route, std::string_view param,
                                                   std::string_view query, HttpRequest& request,
                                                   const Post& post, const Respond& respond,
                                                   size_t label,
                                                   const payments::Principal& principal) {
  using payments::PrincipalRole;
  credit::CreditService* svc = services_.credit;
  if (svc == nullptr || services_.payments == nullptr) {
    return ErrorResponse({ErrorCode::kServiceUnavailable, "the credit role is not running"}, label);
  }
  const bool is_post = request.method == "POST";
  if (is_post && !IsJsonMediaType(request.content_type)) {
    return ErrorResponse({ErrorCode::kUnsupportedMediaType, "the body must be application/json"}, label);
  }
  credit::CreditCall call;
  call.role = CallerRoleOf(principal.role);
  call.party_id = principal.party_id;
  call.key_id = principal.key_id;
  call.idempotency_key = request.idempotency_key;
  if (is_post) call.fingerprint = RequestFingerprint(request);

  Id128 id;
  // The route's template has an {id}, which matched param.
  if (!param.empty()) {
    if (auto refused = ReadRoleId(param, label, &id)) return refused;
  }
  ApiError error;
  payments::PageInput page;
  uint32_t instalment = 0;
  credit::StatementFormat format = credit::StatementFormat::kJson;
  if (route == RouteId::kCreditStatement) {
    if (!ParseStatementQuery(query, &instalment, &format, &error)) return ErrorResponse(error, label);
  } else if (!ParsePage(query, &page, &error)) {
    return ErrorResponse(error, label);
  }
  // Every POST carries a key, also where nothing is recorded (an offer
  // changes nothing; a date's day-end runs once), so clients treat every
  // POST alike.
  if (is_post && !ledger::IsValidIdempotencyKey(request.idempotency_key)) {
    return FromCredit(Invalid(CreditError::kIdempotencyKeyInvalid,
                              "every POST needs an Idempotency-Key header of 1..255 printable ASCII characters"),
                      label, kJson);
  }

  ledger_calls_in_flight_.fetch_add(1);
  // Payments lookups are reads on the caller's behalf: its rights decide.
  PartyAccounts accounts{services_.payments, {}, nullptr, label};
  accounts.lookup.principal = principal;
  accounts.finish = std::make_shared<const Finish>(
      [this, post, respond](HttpResponse response) { PostResponse(post, respond, std::move(response)); });
  const std::string_view content_type = format == credit::StatementFormat::kHtml ? kHtml : kJson;
  credit::CreditReplyFn reply = [finish = accounts.finish, label, content_type](CreditReply r) {
    (*finish)(FromCredit(std::move(r), label, content_type));
  };

  Body body(is_post ? request.body : std::string("{}"));
  switch (route) {
    case RouteId::kCreditOffer:
    case RouteId::kCreditOpenLoan: {
      LoanFields in;
      if (!ReadLoanFields(body, &in, &error)) break;
      const bool open = route == RouteId::kCreditOpenLoan;
      // The loan, once its destination is known.
      auto submit = [svc, call, open, reply](credit::LoanRequest request) {
        if (open) return svc->OpenLoan(call, std::move(request), reply);
        svc->Quote(call, std::move(request), reply);
      };
      // The borrower's wallet (which also checks the caller may name the
      // borrower), or the merchant's account of a purchase on credit.
      accounts.Find(PrincipalRole::kCustomer, in.request.borrower_id,
                    [accounts, in, submit](Id128 wallet) mutable {
                      in.request.destination_account_id = wallet;
                      if (in.merchant_id.IsZero()) return submit(std::move(in.request));
                      accounts.Find(PrincipalRole::kMerchant, in.merchant_id,
                                    [in, submit](Id128 account) mutable {
                                      in.request.destination_account_id = account;
                                      in.request.disbursement = credit::DisbursementKind::kMerchant;
                                      submit(std::move(in.request));
                                    });
                    });
      return std::nullopt;
    }
    case RouteId::kCreditRepay: {
      credit::RepaymentRequest in;
      in.loan_id = id;
      in.amount_minor = body.Amount("amount", true);
      in.kind = ReadRepaymentKind(body);
      if (!body.Finish(&error)) break;
      // The loan first (another's is refused here), then its borrower's
      // wallet; a merchant repays from the account the loan was paid into.
      svc->GetLoan(call, id, [svc, call, accounts, in, reply](CreditReply loan) mutable {
        if (!loan.ok()) return reply(std::move(loan));
        const credit::LoanParties& parties = loan.parties;
        if (parties.business) {
          in.source_account_id = parties.destination_account_id;
          return svc->Repay(call, in, reply);
        }
        accounts.Find(PrincipalRole::kCustomer, parties.borrower_id,
                      [svc, call, in, reply](Id128 wallet) mutable {
                        in.source_account_id = wallet;
                        svc->Repay(call, in, reply);
                      });
      });
      return std::nullopt;
    }
    case RouteId::kCreditSetLimit: {
      const Id128 customer_id = body.Id("customer_id", true);
      const core::AmountMinor limit = body.Amount("limit", true);
      if (!body.Finish(&error)) break;
      // The customer must exist: a limit for nobody would wait for an id.
      accounts.Find(PrincipalRole::kCustomer, customer_id,
                    [svc, call, customer_id, limit, reply](Id128) {
                      svc->SetBorrowerLimit(call, customer_id, limit, reply);
                    });
      return std::nullopt;
    }
    case RouteId::kCreditDayEnd: {
      const std::string date_text = body.Str("date", true, 10);
      if (!body.Finish(&error)) break;
      core::Result<core::CivilDate> date = core::CivilDate::Parse(date_text);
      if (!date.ok()) {
        reply(Invalid(CreditError::kInvalidField, "date: " + date.status().message()));
        return std::nullopt;
      }
      if (!services_.credit_day_end) {
        reply(Invalid(CreditError::kUnavailable, "the day-end runner is not running"));
        return std::nullopt;
      }
      services_.credit_day_end(call, *date, reply);
      return std::nullopt;
    }
    case RouteId::kCreditOpenMerchantLoan: {
      credit::LoanRequest in;
      in.borrower_id = body.Id("merchant_id", true);
      in.product = body.Str("product", true, 64);
      in.amount_minor = body.Amount("amount", true);
      in.terms = ReadTerms(body);
      if (!body.Finish(&error)) break;
      // Lent to the merchant's own account, which repays it.
      accounts.Find(PrincipalRole::kMerchant, in.borrower_id,
                    [svc, call, in, reply](Id128 account) mutable {
                      in.destination_account_id = account;
                      in.disbursement = credit::DisbursementKind::kMerchant;
                      svc->OpenLoan(call, std::move(in), reply);
                    });
      return std::nullopt;
    }
    case RouteId::kCreditSweepSales: {
      credit::SalesSweepRequest in;
      in.loan_id = id;
      in.sales_minor = body.Amount("sales", true);
      if (!body.Finish(&error)) break;
      // The share comes out of the account the loan was paid into.
      svc->GetLoan(call, id, [svc, call, in, reply](CreditReply loan) mutable {
        if (!loan.ok()) return reply(std::move(loan));
        in.source_account_id = loan.parties.destination_account_id;
        svc->SweepSales(call, in, reply);
      });
      return std::nullopt;
    }
    case RouteId::kCreditConvertBill: {
      credit::ConvertBillRequest in;
      in.bill_loan_id = id;
      in.terms = ReadTerms(body);
      if (!body.Finish(&error)) break;
      svc->ConvertBill(call, in, reply);
      return std::nullopt;
    }
    case RouteId::kCreditOpenLine: {
      credit::LineRequest in;
      in.borrower_id = body.Id("customer_id", true);
      in.product = body.Str("product", true, 64);
      in.limit_minor = body.Amount("limit", true);
      if (!body.Finish(&error)) break;
      accounts.Find(PrincipalRole::kCustomer, in.borrower_id, [svc, call, in, reply](Id128) mutable {
        svc->OpenLine(call, std::move(in), reply);
      });
      return std::nullopt;
    }
    case RouteId::kCreditGetLine:
      svc->GetLine(call, id, reply);
      return std::nullopt;
    case RouteId::kCreditLinePurchase: {
      credit::LinePurchaseRequest in;
      in.line_id = id;
      in.amount_minor = body.Amount("amount", true);
      const Id128 merchant_id = body.Id("merchant_id", true);
      if (!body.Finish(&error)) break;
      accounts.Find(PrincipalRole::kMerchant, merchant_id,
                    [svc, call, in, reply](Id128 account) mutable {
                      in.merchant_account_id = account;
                      svc->LinePurchase(call, in, reply);
                    });
      return std::nullopt;
    }
    case RouteId::kCreditFinanceReceivable: {
      credit::ReceivableRequest in;
      in.supplier_id = body.Id("supplier_id", true);
      in.buyer_id = body.Id("buyer_id", true);
      in.product = body.Str("product", true, 64);
      in.receivable_minor = body.Amount("amount", true);
      in.terms = ReadTerms(body);
      in.confirmation = body.Bool("buyer_confirmed") ? credit::BuyerConfirmation::kConfirmed
                                                     : credit::BuyerConfirmation::kUnconfirmed;
      if (!body.Finish(&error)) break;
      // Supplier and buyer are merchants of the platform; the advance goes
      // to the supplier's account.
      accounts.Find(PrincipalRole::kMerchant, in.buyer_id,
                    [svc, call, accounts, in, reply](Id128) mutable {
                      accounts.Find(PrincipalRole::kMerchant, in.supplier_id,
                                    [svc, call, in, reply](Id128 account) mutable {
                                      in.supplier_account_id = account;
                                      svc->FinanceReceivable(call, std::move(in), reply);
                                    });
                    });
      return std::nullopt;
    }
    case RouteId::kCreditBuyerPays: {
      credit::BuyerPaymentRequest in;
      in.loan_id = id;
      in.payment_minor = body.Amount("amount", true);
      if (!body.Finish(&error)) break;
      // The loan names its buyer and the supplier's account; the buyer pays
      // from its own merchant account.
      svc->GetLoan(call, id, [svc, call, accounts, in, reply](CreditReply loan) mutable {
        if (!loan.ok()) return reply(std::move(loan));
        const credit::LoanParties& parties = loan.parties;
        if (parties.buyer_id.IsZero()) {
          return reply(Invalid(CreditError::kInvalidField, "the loan is not receivable financing"));
        }
        in.supplier_account_id = parties.destination_account_id;
        accounts.Find(PrincipalRole::kMerchant, parties.buyer_id,
                      [svc, call, in, reply](Id128 account) mutable {
                        in.buyer_account_id = account;
                        svc->BuyerPays(call, in, reply);
                      });
      });
      return std::nullopt;
    }
    case RouteId::kCreditAssess: {
      credit::AssessmentRequest in;
      in.borrower_id = body.Id("customer_id", true);
      in.features = ReadFeatures(body);
      if (!body.Finish(&error)) break;
      const Id128 borrower_id = in.borrower_id;  // before `in` moves into the callback
      accounts.Find(PrincipalRole::kCustomer, borrower_id,
                    [svc, call, in = std::move(in), reply](Id128) mutable {
                      svc->AssessBorrower(call, std::move(in), reply);
                    });
      return std::nullopt;
    }
    case RouteId::kCreditGetBorrower:
      svc->GetBorrower(call, id, reply);
      return std::nullopt;
    case RouteId::kCreditListLoans:
      svc->ListLoans(call, page.after, page.limit, reply);
      return std::nullopt;
    case RouteId::kCreditGetLoan:
      svc->GetLoan(call, id, reply);
      return std::nullopt;
    case RouteId::kCreditStatements:
      svc->ListStatements(call, id, reply);
      return std::nullopt;
    case RouteId::kCreditStatement:
      svc->Statement(call, id, instalment, format, reply);
      return std::nullopt;
    default:
      NETFIN_ASSERT(false);  // DispatchCredit gets the credit routes only
  }
  // Refused before reaching a role: finish is never called.
  ledger_calls_in_flight_.fetch_sub(1);
  if (!body.invalid_field().empty()) {
    return FromCredit(Invalid(CreditError::kInvalidField, std::string(body.invalid_field())), label, kJson);
  }
  return ErrorResponse(error, label);
}

}  // namespace netfin::api
