#pragma once

// CreditService: the credit role on the ledger (credit_records.h shows how
// loans sit in it).
//
// The pure core (credit.h) decides; this service books. Every operation is a
// ledger Command (ledger/command.h) run on the applier thread: it checks
// everything first, runs the pure function on a copy of the loan, then moves
// the money as one linked chain of transfers and appends the loan's new
// snapshot as a role event (Role::kCredit) in the same batch, so the money and
// the role's record of it become durable together, or not at all. Replay
// rebuilds the state from those events at start.
//
// The role never reads another role's tables: where money goes to or comes
// from (the borrower's wallet, the merchant's account) is a ledger account id
// given by the caller; the API resolves a customer to their wallet through
// the payments service. The service checks that the account exists, is in a
// ledger with credit books, and (for a repayment) holds the amount.
//
// Authorization, from the caller the API authenticated: the operator does
// everything; a customer opens, repays and reads their own loans only; the
// day-end and limits are the operator's (a customer reads their own limit).
// Asking for another's loan answers kForbidden whether or not it exists.
//
// The day-end (RunDay) starts by moving the open business day past its date
// (so operations during it are dated the next day), then brings every active
// loan to the end of the date in chunks of kDayEndLoansPerCommand, each one
// command; a crash in between is finished at the next Start. On the review
// day of the month it then reviews every borrower's limit, in chunks of
// kDayEndReviewsPerCommand, before the day is finished. Running a date
// again changes nothing; an earlier date is refused (date_before_last_run).
//
// Thread-safe: every public method may be called from any thread but the
// ledger's applier.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "credit/credit_config.h"
#include "credit/grade.h"
#include "credit/credit_state.h"
#include "credit/credit_statement.h"
#include "ledger/ledger_service.h"

namespace netfin::credit {

// The service's stable error codes, besides the pure core's refusals
// (kRefused, with the CreditResult). The API maps each by an exhaustive switch.
enum class CreditError {
  kOk,
  kRefused,                // a credit rule refused it: see CreditReply::refusal
  kInvalidField,           // a field missing or malformed
  kUnknownProduct,
  kUnknownLoan,
  kUnknownStatement,       // the loan has no statement of that instalment (yet)
  kUnknownAccount,         // the destination or source ledger account does not exist
  kNoCreditBooks,          // the account's ledger (currency) has no credit books
  kInsufficientBalance,    // the source account holds less than the repayment
  kDayEndRunning,          // a day-end is bringing loans to its date: retry shortly
  kForbidden,
  kIdempotencyKeyReused,
  kIdempotencyKeyInvalid,
  kLedgerRefused,          // the ledger refused a transfer (nothing moved)
  kUnavailable,            // the ledger is stopping, failed or busy: retry
  kUnknownLine,
  kLineExists,             // the borrower already has a line on this product
  kReceivableNotConfirmed, // receivable financing needs the buyer's confirmation
  kNoScorer,               // AssessBorrower on a service without a CreditScorer
  kInvalidFeature,         // the scorer refused a feature (the message names it)
  kScoringFailed,          // the scorer failed otherwise, or answered out of contract
  kLimitFrozen,            // the borrower's limit is frozen: no new loans or purchases
  kUnknownBorrower,        // no limit, loan or line of that borrower
};
std::string_view CreditErrorName(CreditError error);

// DO NOT RENUMBER: persisted with API keys alongside payments' roles.
enum class CallerRole : uint8_t { kOperator = 1, kCustomer = 2, kMerchant = 3 };

struct CreditCall {
  CallerRole role = CallerRole::kOperator;
  Id128 party_id;               // zero for the operator
  std::string key_id;           // the API key (scopes idempotency keys)
  std::string idempotency_key;  // POSTs: 1..255 printable ASCII
  std::string fingerprint;      // of the request (method, target, body)
};

// Who a loan's money concerns, typed: set with loan_id on every reply about
// a loan, so the API resolves accounts without reading the JSON back.
struct LoanParties {
  Id128 borrower_id;
  Id128 destination_account_id;  // zero for a credit line's bill
  Id128 buyer_id;                // zero unless receivable financing
  bool business = false;         // a merchant loan or receivable financing: a merchant borrowed
};

struct CreditReply {
  CreditError error = CreditError::kOk;
  CreditResult refusal = CreditResult::kOk;  // with kRefused
  std::string message;
  uint16_t http_status = 200;
  std::string body;  // JSON (or HTML for a printable statement)
  bool replayed = false;
  Id128 loan_id;     // the loan opened or changed
  Id128 line_id;     // the credit line opened or changed
  LoanParties parties;  // with loan_id

  bool ok() const { return error == CreditError::kOk; }
  // The stable code: the refusal's name for kRefused, else the error's.
  std::string_view code() const;
};
using CreditReplyFn = std::function<void(CreditReply)>;

struct LoanRequest {
  Id128 borrower_id;
  std::string product;
  AmountMinor amount_minor = 0;
  uint32_t terms = 0;
  DisbursementKind disbursement = DisbursementKind::kWallet;
  Id128 destination_account_id;       // the wallet, or the merchant's account
  AmountMinor annual_income_minor = 0;  // 0: unknown (the person cap's income arm is off)
};

struct RepaymentRequest {
  Id128 loan_id;
  Id128 source_account_id;  // the borrower's wallet
  AmountMinor amount_minor = 0;
  RepaymentKind kind = RepaymentKind::kRegular;
};

// A pay-next-month line (operator). The limit is the operator's decision
// (e.g. the grade's limit from the monthly review): SetBorrowerLimit caps
// loans from offers, and is not read here.
struct LineRequest {
  Id128 borrower_id;
  std::string product;  // a credit_line product
  AmountMinor limit_minor = 0;
  uint32_t ledger = 156;  // the currency ledger the line lends in
};

// A purchase on the line, paid straight to the merchant's account.
struct LinePurchaseRequest {
  Id128 line_id;
  AmountMinor amount_minor = 0;
  Id128 merchant_account_id;
};

// A bill (a loan of a line) turned into `terms` instalments.
struct ConvertBillRequest {
  Id128 bill_loan_id;
  uint32_t terms = 0;
};

// A merchant's day of sales (operator; at settlement): the product's share
// of it repays what the merchant loan has due, from the merchant's account.
struct SalesSweepRequest {
  Id128 loan_id;
  AmountMinor sales_minor = 0;
  Id128 source_account_id;  // the merchant's account
};

// Whether the buyer has confirmed the receivable (the operator attests it:
// the marketplace records the buyer's acceptance of the goods).
enum class BuyerConfirmation : uint8_t { kUnconfirmed = 0, kConfirmed = 1 };

// Receivable financing (operator): the supplier borrows the product's
// advance share of what the buyer owes, for `terms` months at most.
struct ReceivableRequest {
  Id128 supplier_id;
  Id128 buyer_id;
  std::string product;  // a receivable_financing product
  AmountMinor receivable_minor = 0;
  uint32_t terms = 0;
  Id128 supplier_account_id;  // the advance goes here
  BuyerConfirmation confirmation = BuyerConfirmation::kUnconfirmed;
};

// The buyer pays a financed receivable (operator): the loan is paid off
// first, the rest goes to the supplier; short of the payoff it is held.
struct BuyerPaymentRequest {
  Id128 loan_id;
  AmountMinor payment_minor = 0;
  Id128 buyer_account_id;
  Id128 supplier_account_id;
};

// A borrower's assessment (operator): the features the scorer reads, by
// name (gbm_scorer.h: as in the training file's header).
struct AssessmentRequest {
  Id128 borrower_id;
  std::vector<Feature> features;
};

struct CreditServiceOptions {
  const core::Clock* clock = nullptr;  // nullptr: the system clock
  std::vector<uint32_t> ledgers = {156};  // currency ledgers with credit books (156: CNY)
  // The books' first business day; unset: the China date of the first start.
  std::optional<CivilDate> first_business_date;
  // Ledger -> the payments role's reserve account (its cash at the
  // custodian). Where set, money credit moves into or out of wallets and
  // merchant accounts also moves between the reserve and lender funding
  // (credit_records.h), so payments' reconciliation keeps holding. Unset
  // (tests, the CLI): no such legs.
  std::map<uint32_t, Id128> custodian_reserve_accounts = {};
  // Scores AssessBorrower's features (e.g. a GbmScorer); nullptr: assessment
  // answers no_scorer. Must outlive the service and be callable from any
  // thread (CreditScorer's contract). Its grades should be the policy's
  // (`credit.grades`): the service takes the scorer's grade and maps it to
  // the policy's limit.
  const CreditScorer* scorer = nullptr;
};

// How many loans one day-end command runs: each books at most
// kDayEndLegsPerLoan transfers, and a command must fit one ledger batch.
inline constexpr uint32_t kDayEndLegsPerLoan = 5;
inline constexpr uint32_t kDayEndLoansPerCommand = 1'000;
// A loan's openings, repayments and their recognition legs: at most this
// many transfers (a buyer's payment in full: 3 recognitions, the claim, 2
// payment legs, 2 reversals, the provision release, the supplier's part and
// the custodian leg).
inline constexpr uint32_t kLoanLegsMax = 12;
// A disbursement (a loan, a line purchase, an advance): its two legs and the
// custodian's.
inline constexpr uint32_t kOpenLegsMax = 3;
inline constexpr uint32_t kListLimitMax = 500;
// The role's accounts per currency ledger (CreditBooks).
inline constexpr uint32_t kBookAccounts = 10;
// Line bills cut by one day-end command: events only, no transfers.
inline constexpr uint32_t kDayEndLinesPerCommand = 1'000;
// Borrowers the monthly review decides in one day-end command: events only
// (the decision, and each of the borrower's lines whose limit follows it).
inline constexpr uint32_t kDayEndReviewsPerCommand = 1'000;
// Features one assessment may carry: a bureau sends more than a model uses,
// but a request stays bounded (the scorer encodes each).
inline constexpr uint32_t kAssessmentFeaturesMax = 1'024;
// A reason code's bytes as recorded with the borrower (a model's column name).
inline constexpr uint32_t kReasonCodeBytesMax = 128;

class CreditService {
 public:
  // REQUIRES: policy.Validate() passed; master_key outlives the service.
  CreditService(CreditPolicy policy, const core::SecretKey& master_key,
                CreditServiceOptions options = {});
  ~CreditService();

  // Recovery: feed every durable role event before Start (others are ignored).
  void Replay(const store::RoleEvent& event);
  // Opens the books of each configured ledger on first start, and finishes a
  // day-end a crash interrupted. REQUIRES: ledger outlives the service.
  core::Status Start(ledger::LedgerService& ledger);
  void Stop();

  // The offer for a loan: schedule, every charge and the true APR (a read).
  void Quote(const CreditCall& call, LoanRequest request, CreditReplyFn reply);
  // Accepts the offer of the open day and disburses it.
  void OpenLoan(const CreditCall& call, LoanRequest request, CreditReplyFn reply);
  void Repay(const CreditCall& call, RepaymentRequest request, CreditReplyFn reply);
  void GetLoan(const CreditCall& call, Id128 loan_id, CreditReplyFn reply);
  // A statement of the loan (credit_statement.h): instalment N's, or the
  // latest for 0, as JSON or printable HTML; kUnknownStatement when not issued.
  void Statement(const CreditCall& call, Id128 loan_id, uint32_t instalment,
                 StatementFormat format, CreditReplyFn reply);
  // The statements issued so far, oldest first.
  void ListStatements(const CreditCall& call, Id128 loan_id, CreditReplyFn reply);
  // Loans in opening order after `after`: the customer's own, or all for the operator.
  void ListLoans(const CreditCall& call, Id128 after, uint32_t limit, CreditReplyFn reply);
  // Operator: a borrower's credit limit (0 removes it), recorded as a manual
  // decision (reason "manual") that also lifts a freeze; loans from offers
  // above what is left are refused with over_credit_limit.
  void SetBorrowerLimit(const CreditCall& call, Id128 borrower_id, AmountMinor limit_minor,
                        CreditReplyFn reply);

  // Credit lines, merchant sales sweeps and receivable financing
  // (credit_service_lines.cc; docs/credit.md). Authorization as for loans:
  // the operator does everything; a customer buys on, reads and converts
  // bills of their own line only; lines are opened, sales swept and
  // receivables financed and paid by the operator.
  void OpenLine(const CreditCall& call, LineRequest request, CreditReplyFn reply);
  void LinePurchase(const CreditCall& call, LinePurchaseRequest request, CreditReplyFn reply);
  void GetLine(const CreditCall& call, Id128 line_id, CreditReplyFn reply);
  void ConvertBill(const CreditCall& call, ConvertBillRequest request, CreditReplyFn reply);
  void SweepSales(const CreditCall& call, SalesSweepRequest request, CreditReplyFn reply);
  void FinanceReceivable(const CreditCall& call, ReceivableRequest request, CreditReplyFn reply);
  void BuyerPays(const CreditCall& call, BuyerPaymentRequest request, CreditReplyFn reply);

  // Credit limits and grades (credit_service_limits.cc; docs/credit.md).
  // AssessBorrower (operator) scores the features with the configured
  // CreditScorer on the caller's thread (never the applier's: a model is
  // slow), then one command records the borrower's limit, the grade's
  // (GradePolicy), with the score, grade and reason codes. The monthly
  // review runs in the day-end of LimitReviewPolicy::review_day. GetBorrower
  // (operator, or the borrower): the limit, grade, used and available, and
  // every decision, oldest first.
  void AssessBorrower(const CreditCall& call, AssessmentRequest request, CreditReplyFn reply);
  void GetBorrower(const CreditCall& call, Id128 borrower_id, CreditReplyFn reply);
  std::optional<BorrowerRecord> BorrowerSnapshot(const Id128& borrower_id);

  // The day-end of `date` (operator), blocking; its summary as JSON.
  CreditReply RunDay(const CreditCall& call, CivilDate date);

  // Blocking forms and reads for the CLI, tests and the property test.
  CreditReply Await(const std::function<void(CreditReplyFn)>& start);
  std::optional<LoanRecord> LoanSnapshot(const Id128& loan_id);
  std::vector<LoanRecord> AllLoanSnapshots();
  std::optional<CreditBooks> Books(uint32_t ledger);
  std::optional<LineRecord> LineSnapshot(const Id128& line_id);
  std::vector<LineRecord> AllLineSnapshots();
  CivilDate OpenDate();

  const CreditPolicy& policy() const { return policy_; }

 private:
  class Op;
  void Submit(const CreditCall& call, uint32_t ledger_events_max, bool records_idempotency,
              std::function<CreditReply(Op&)> body, CreditReplyFn reply);
  void Read(const CreditCall& call, std::function<CreditReply(Op&)> body, CreditReplyFn reply);
  core::Status EnsureBooks(ledger::LedgerService& ledger);
  CreditReply CheckLoanRequest(Op& op, const LoanRequest& in, struct Offer* offer);
  CreditReply StartDayEnd(const CreditCall& call, CivilDate date, bool* run);
  CreditReply RunDayEndChunk(CivilDate date, bool* done);
  CreditReply DaySummary(CivilDate date);
  // Runs `read` on the applier thread (a read command) and waits for it:
  // the blocking snapshots. Nothing runs when the service is not started.
  void ReadState(const std::function<void()>& read);
  // credit_service_lines.cc.
  struct Staged;
  CreditReply StageRepayment(Op& op, const LoanRecord& loan, Repayment repayment, Staged* staged);
  void BookRepayment(Op& op, Staged& staged);
  CreditReply CommitRepayment(Op& op, Staged& staged);
  enum class Cash : uint8_t { kIntoWallets, kOutOfWallets };
  void CustodianLeg(Op& op, uint32_t ledger, AmountMinor amount_minor, Cash direction);
  // A disbursement's legs (a loan, a line purchase, an advance): lending
  // funds to `to`, the receivable's claim, and the custodian's leg.
  void Disburse(Op& op, uint32_t ledger, const Id128& to, AmountMinor amount_minor);
  void SyncLine(Op& op, const Id128& line_id, const Id128& loan_id, AmountMinor restored_minor,
                CivilDate date);
  CreditReply BillLinesChunk(CivilDate date, bool* done);
  // credit_service_limits.cc.
  CreditReply ReviewLimitsChunk(CivilDate date, bool* done);
  void ReviewBorrower(Op& op, const BorrowerRecord& borrower, CivilDate review_date,
                      CivilDate date);
  void FollowLimit(Op& op, const Id128& borrower_id, AmountMinor limit_minor, CivilDate date);
  // The loan and line purchase checks of a borrower's limit: ok, or
  // limit_frozen; with amount_minor, also over_credit_limit.
  CreditReply CheckBorrowerLimit(const Id128& borrower_id, AmountMinor amount_minor,
                                 bool check_amount);

  CreditPolicy policy_;
  const core::SecretKey& master_key_;
  CreditServiceOptions options_;
  core::SystemClock system_clock_;
  const core::Clock* clock_;
  CreditState state_;  // applier thread only
  ledger::LedgerService* ledger_ = nullptr;
  std::mutex day_end_mutex_;  // one day-end at a time
};

}  // namespace netfin::credit
